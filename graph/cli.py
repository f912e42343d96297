"""The `crimegraph` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph.errors import CrimegraphError, InvalidInput
from graph.settings import REPO_ROOT, Settings


def _print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("(no rows)")
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def _cell(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _print_totals(store: Any) -> None:
    totals = store.run("graph_totals")[0]
    print(f"{totals['nodes']} nodes")
    print(f"{totals['relationships']} relationships")


def _check_port_free(host: str, port: int) -> None:
    """Fail before the engine starts and the seed runs, not after, when the port is taken."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InvalidInput(
                f"cannot listen on {host}:{port} ({exc.strerror}); is crimegraph already serving? "
                "Choose another with --port or CRIMEGRAPH_PORT"
            ) from exc


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = settings.model_copy(
        update={"host": args.host or settings.host, "port": args.port or settings.port}
    )
    _check_port_free(settings.host, settings.port)
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    app = create_app(settings, seed_on_start=args.seed)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from graph.model import load_model
    from graph.service import open_store
    from seed.loader import load_seed

    model = load_model()
    with open_store(settings) as store:
        rows = load_seed(
            store,
            model,
            settings.seed_dir / "data",
            settings.seed_dir / "documents",
            progress=lambda message: print(f"seed: {message}", file=sys.stderr),
        )
        print(
            f"seed: loaded {len(rows.nodes)} node records and {len(rows.relationships)} relationship records",
            file=sys.stderr,
        )
        _print_totals(store)
    return 0


def _parse_params(query: Any, pairs: Sequence[str]) -> dict[str, Any]:
    declared = {p.name: p for p in query.user_params}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--param takes NAME=VALUE, got {pair!r}")
        if name not in declared:
            raise InvalidInput(
                f"query {query.name} has no parameter {name!r}; it takes: "
                + (", ".join(declared) or "none")
            )
        try:
            values[name] = declared[name].parse_text(text)
        except ValueError as exc:
            raise InvalidInput(f"--param {name}: {exc}") from exc
    return values


def cmd_query(settings: Settings, args: argparse.Namespace) -> int:
    from graph.service import load_queries, open_store

    queries = load_queries(settings)
    words: list[str] = args.words
    if not words:
        for query in queries.values():
            signature = ", ".join(f"{p.name}: {p.type}" for p in query.user_params)
            print(f"{query.name:28} {query.mode:5}  {query.description}  ({signature})")
        return 0
    if words[0] == "show":
        if len(words) != 2:
            raise InvalidInput("usage: crimegraph query show NAME [--browser]")
        query = queries[words[1]]
        print(query.browser_block() if args.browser else query.text, end="")
        return 0
    if len(words) != 1:
        raise InvalidInput("usage: crimegraph query NAME [--param k=v ...] [--json]")
    query = queries[words[0]]
    params: dict[str, Any] = _parse_params(query, args.param)
    missing = [p for p in query.user_params if p.name not in params]
    if missing:
        hint = ", ".join(
            f"{p.name} (e.g. {p.name}={json.dumps(p.example, ensure_ascii=False)})" for p in missing
        )
        raise InvalidInput(f"query {query.name} needs --param for: {hint}")
    with open_store(settings) as store:
        rows = store.run(query.name, params)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    else:
        _print_table(rows)
    return 0


def cmd_snapshot(settings: Settings, args: argparse.Namespace) -> int:
    from graph import snapshot as snapshots
    from graph.formats import FORMATS, render
    from graph.links import LinkFilter
    from graph.model import load_model
    from graph.service import open_store

    if args.format not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}")
    chosen = [bool(args.id), bool(args.entity), bool(args.query)]
    if sum(chosen) != 1:
        raise InvalidInput("give one of --id SNAPSHOT_ID, --entity ID (repeatable) or --query NAME")
    model = load_model()
    types = [t for t in model.relationship_types if t != "MENTIONS"]
    with open_store(settings) as store:
        created = False
        if args.id:
            snap = snapshots.load(store, args.id)
        elif args.entity:
            flt = LinkFilter.build(tuple(types), args.min_confidence, args.min_grade)
            snap, created = snapshots.save(
                store,
                snapshots.freeze_neighbourhood(store, args.entity, args.depth, flt, args.title),
            )
        else:
            query = store.queries[args.query]
            params = _parse_params(query, args.param)
            snap, created = snapshots.save(
                store, snapshots.freeze_named_query(store, args.query, params, types, args.title)
            )
        content, _, file_name = render(snap, args.format)
    nodes, links = len(snap["nodes"]), len(snap["relationships"])
    known = (
        "" if created or args.id else f" (already stored {snap['created']} as {snap['title']!r})"
    )
    print(
        f"snapshot {snap['id']}: {nodes} node{'s' * (nodes != 1)}, "
        f"{links} relationship{'s' * (links != 1)}{known}",
        file=sys.stderr,
    )
    out = Path(args.out) if args.out else Path(file_name)
    if args.out == "-":
        sys.stdout.buffer.write(content)
    else:
        out.write_bytes(content)
        print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_engine(settings: Settings, args: argparse.Namespace) -> int:
    from graph.engine import EmbeddedEngine

    if settings.neo4j_uri is not None:
        print(f"CRIMEGRAPH_NEO4J_URI is set ({settings.neo4j_uri}): no embedded engine is used")
        return 0
    engine = EmbeddedEngine.from_settings(settings)
    if args.action == "start":
        connection, started = engine.ensure_running()
        print(
            f"{'started' if started else 'already running'}: {connection.uri} (data dir {engine.data_dir})"
        )
    elif args.action == "stop":
        print("stopped" if engine.stop() else "not running")
    else:
        state = engine.running_state()
        print(
            f"running: bolt://127.0.0.1:{state['bolt_port']} pid {state['pid']}"
            if state
            else "not running"
        )
    return 0


def cmd_model(settings: Settings, args: argparse.Namespace) -> int:
    from graph.codegen import generated_files
    from graph.model import load_model

    model = load_model(Path(args.file) if args.file else REPO_ROOT / "graph" / "model.yaml")
    files = generated_files(model, REPO_ROOT)
    if args.action == "check":
        stale = [
            str(p.relative_to(REPO_ROOT))
            for p, text in files.items()
            if not p.exists() or p.read_text(encoding="utf-8") != text
        ]
        if stale:
            print("out of date (run `crimegraph model render`): " + ", ".join(stale))
            return 1
        print(
            f"model OK: {len(model.node_labels)} labels, {len(model.relationship_types)} relationship types"
        )
        return 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crimegraph",
        description="A knowledge graph of organized-crime networks where every link cites its source.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API (starts the embedded engine when needed)")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--seed", action="store_true", help="load the seed dataset before serving")
    serve.set_defaults(func=cmd_serve)

    seed = sub.add_parser("seed", help="load the seed dataset (idempotent, all-or-nothing)")
    seed.set_defaults(func=cmd_seed)

    query = sub.add_parser(
        "query",
        help="run a named query; `query` lists them, `query show NAME --browser` prints one",
        description="crimegraph query NAME [--param k=v ...] | crimegraph query show NAME [--browser]",
    )
    query.add_argument("words", nargs="*", metavar="NAME")
    query.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter; JSON for non-string types, e.g. --param limit=5",
    )
    query.add_argument("--json", action="store_true", help="print rows as JSON")
    query.add_argument(
        "--browser",
        action="store_true",
        help="with show: :param lines + body for the Neo4j Browser",
    )
    query.set_defaults(func=cmd_query)

    snap = sub.add_parser(
        "snapshot",
        help="freeze a subgraph for a briefing and write it in one format",
        description="crimegraph snapshot (--entity ID [--depth N] | --query NAME [--param k=v] | --id SNAPSHOT_ID) "
        "--format html --out FILE",
    )
    snap.add_argument(
        "--entity", action="append", default=[], metavar="ID", help="start entity (repeatable)"
    )
    snap.add_argument("--depth", type=int, default=2, choices=[1, 2, 3])
    snap.add_argument("--query", metavar="NAME", help="a named read query whose entities to freeze")
    snap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    snap.add_argument("--id", metavar="SNAPSHOT_ID", help="render a stored snapshot again")
    snap.add_argument("--title")
    snap.add_argument("--min-confidence", type=int, default=0)
    snap.add_argument("--min-grade", help="e.g. B2")
    snap.add_argument(
        "--format", default="json", help="json, graphml, ftm, cypher, csv, svg, png or html"
    )
    snap.add_argument(
        "--out", help="file to write (default: SNAPSHOT_ID.EXT; - for standard output)"
    )
    snap.set_defaults(func=cmd_snapshot)

    engine = sub.add_parser("engine", help="start, stop or inspect the embedded ArcadeDB engine")
    engine.add_argument("action", choices=["start", "stop", "status"])
    engine.set_defaults(func=cmd_engine)

    model = sub.add_parser("model", help="check the model or render the files generated from it")
    model.add_argument("action", choices=["check", "render"])
    model.add_argument("--file", help="model file (default graph/model.yaml)")
    model.set_defaults(func=cmd_model)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(Settings(), args)
    except CrimegraphError as exc:
        print(f"crimegraph: error: {exc.message}", file=sys.stderr)
        return 2 if exc.status < 500 else 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
