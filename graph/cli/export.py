"""`crimegraph export`: the graph, or one import, as FtM JSON lines or neo4j-admin CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from graph.cli.output import add_json, to_json
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    exp = subparsers.add_parser(
        "export",
        help="export the graph or one dataset as FtM JSON lines or neo4j-admin CSV",
        description="crimegraph export [--dataset ID] --format ftm|csv --output PATH [--json]",
    )
    exp.add_argument("--dataset", metavar="ID", help="only this import (default: everything)")
    exp.add_argument("--format", choices=["ftm", "csv"], default="ftm")
    exp.add_argument(
        "--output", required=True, help="file to write; for csv a directory, or a .zip"
    )
    add_json(exp, "print {nodes, relationships, format, files} as JSON")
    exp.set_defaults(func=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.service import open_store
    from graph.growth import imports
    from graph.model.schema import load_model

    model = load_model()
    with open_store(settings) as store:
        snapshot = imports.export_graph(store, args.dataset)
    written = imports.write_export(snapshot, args.format, Path(args.output), model)
    nodes, relationships = len(snapshot["nodes"]), len(snapshot["relationships"])
    print(
        f"exported {nodes} nodes and {relationships} relationships to "
        f"{', '.join(map(str, written))}",
        file=sys.stderr,
    )
    if args.json:
        files = [str(path) for path in written]
        summary = {"nodes": nodes, "relationships": relationships}
        print(to_json(summary | {"format": args.format, "files": files}))
    return 0
