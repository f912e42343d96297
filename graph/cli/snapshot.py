"""`crimegraph snapshot`: freeze a subgraph for a briefing and write it in one format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from graph.cli.output import add_json, to_json
from graph.cli.query import add_param, parse_params
from graph.core.errors import InvalidInput
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    snap = subparsers.add_parser(
        "snapshot",
        help="freeze a subgraph for a briefing and write it in one format",
        description="crimegraph snapshot (--entity ID [--depth N] | --query NAME [--param k=v] "
        "| --id SNAPSHOT_ID) --format html --out FILE [--json]",
    )
    snap.add_argument(
        "--entity", action="append", default=[], metavar="ID", help="start entity (repeatable)"
    )
    snap.add_argument("--depth", type=int, default=2, choices=[1, 2, 3])
    snap.add_argument("--query", metavar="NAME", help="a named read query whose entities to freeze")
    add_param(snap)
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
    add_json(snap, "print what was frozen and written (id, title, counts, file) as JSON")
    snap.set_defaults(func=run)


def _freeze(store: Any, args: argparse.Namespace, types: list[str]) -> tuple[Any, bool]:
    """The snapshot the options name, and whether this call stored it."""
    from graph.investigate import snapshot as snapshots
    from graph.investigate.links import LinkFilter

    if args.id:
        return snapshots.load(store, args.id), False
    if args.entity:
        flt = LinkFilter.build(tuple(types), args.min_confidence, args.min_grade)
        frozen = snapshots.freeze_neighbourhood(store, args.entity, args.depth, flt, args.title)
    else:
        params = parse_params(store.queries[args.query], args.param)
        frozen = snapshots.freeze_named_query(store, args.query, params, types, args.title)
    snap, created = snapshots.save(store, frozen)
    return snap, created


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.service import open_store
    from graph.formats.registry import FORMATS, render
    from graph.model.schema import load_model

    if args.format not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}")
    if sum([bool(args.id), bool(args.entity), bool(args.query)]) != 1:
        raise InvalidInput("give one of --id SNAPSHOT_ID, --entity ID (repeatable) or --query NAME")
    if args.json and args.out == "-":
        raise InvalidInput("--json and --out - both write to standard output: choose one")
    types = [t for t in load_model().relationship_types if t != "MENTIONS"]
    with open_store(settings) as store:
        snap, created = _freeze(store, args, types)
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
        return 0
    out.write_bytes(content)
    print(f"wrote {out}", file=sys.stderr)
    if args.json:
        summary = {"id": snap["id"], "title": snap["title"], "created": snap["created"]}
        summary |= {"stored_now": created, "nodes": nodes, "relationships": links}
        print(to_json(summary | {"format": args.format, "file": str(out), "bytes": len(content)}))
    return 0
