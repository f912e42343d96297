"""`crimegraph serve`: the API under uvicorn, on one process or several workers."""

from __future__ import annotations

import argparse
import contextlib
import socket
from typing import Any

from graph.cli.output import FAILURE, OK
from graph.core.errors import InvalidInput
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="serve the API (starts the embedded engine when needed; on a database without "
        "API keys, makes an admin key and prints its token once)",
    )
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--seed", action="store_true", help="load the seed dataset before serving")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API worker processes on the one port (default 1); rate limits and the key cache "
        "are per process (docs/operations.md)",
    )
    serve.set_defaults(func=run, scoped=False)  # each request reads with its own view


def check_port_free(host: str, port: int) -> None:
    """Fail before the engine starts and the seed runs, not after, when the port is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        # As uvicorn binds: connections of a server just stopped (TIME_WAIT) do not block it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InvalidInput(
                f"cannot listen on {host}:{port} ({exc.strerror}); is crimegraph already serving? "
                "Choose another with --port or CRIMEGRAPH_PORT"
            ) from exc


def server_config(app: Any, settings: Settings) -> Any:
    """`crimegraph serve`'s uvicorn configuration (a uvicorn.Config). The h11 parser is
    chosen by name, since its buffer for a request line and headers is the limit set here
    (httptools, if installed, would take the place of h11 and ignore it). The buffer is
    larger than the URL and header limits, so a request over those reaches the app and is
    answered in the JSON error shape and audited; past the buffer, h11 refuses it itself
    with a plain-text 400 (docs/security.md)."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        http="h11",
        h11_max_incomplete_event_size=settings.http_head_buffer_bytes,
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from api.app import create_app

    settings = settings.model_copy(
        update={"host": args.host or settings.host, "port": args.port or settings.port}
    )
    check_port_free(settings.host, settings.port)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    if args.workers > 1:
        return _serve_workers(settings, args)
    # A first admin key when the database has none (printed once; docs/security.md).
    app = create_app(settings, seed_on_start=args.seed, bootstrap_key=True)
    server = uvicorn.Server(server_config(app, settings))
    # uvicorn re-raises the Ctrl-C it handled once the shutdown is done; like uvicorn.run,
    # a server stopped that way has stopped cleanly (exit 0).
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return OK if server.started else FAILURE


def _serve_workers(settings: Settings, args: argparse.Namespace) -> int:
    """`serve --workers N`: N uvicorn worker processes on one port and one database
    (docs/operations.md). This parent process owns the embedded engine, applies the schema
    and migrations, seeds and makes the first key once, before any worker starts; each
    worker builds the app from the same CRIMEGRAPH_* environment."""
    import os

    import uvicorn

    from api.app import _bootstrap_key
    from graph.db.engine import EngineHandle
    from graph.db.service import open_store
    from graph.model.schema import load_model
    from seed.loader import load_seed

    with EngineHandle(settings):  # held until the workers are gone
        with open_store(settings) as store:
            if args.seed:
                seed_dir = settings.seed_dir
                load_seed(store, load_model(), seed_dir / "data", seed_dir / "documents")
            if settings.auth == "keys":
                _bootstrap_key(store, settings)
        os.environ["CRIMEGRAPH_HOST"] = settings.host
        os.environ["CRIMEGRAPH_PORT"] = str(settings.port)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            log_level="info",
        )
    return OK
