"""The two HTTP servers benchmarks.run compares, started the same way: uvicorn, one process,
loopback, no access log.

    .venv/bin/python -m benchmarks.serve api --data-dir DIR --port PORT
    .venv/bin/python -m benchmarks.serve bare --body FILE --port PORT

`api` is crimegraph's app (API keys, audit log and all) on the running engine of DIR, with
the rate limit off (the benchmark sends more than a person would); `bare` is a Starlette app
whose one route returns the bytes of FILE as JSON: the same response without the work.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def bare_app(body: bytes) -> Starlette:
    async def endpoint(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", endpoint)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["api", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--body", type=Path)
    args = parser.parse_args()
    app: Starlette
    if args.kind == "api":
        from api.app import create_app
        from graph.core.settings import Settings

        settings = Settings(
            data_dir=args.data_dir,
            neo4j_uri=None,
            port=args.port,
            rate_limit_per_minute=0,
            query_timeout=120,
        )
        app = create_app(settings)
    else:
        app = bare_app(args.body.read_bytes())
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
