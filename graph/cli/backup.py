"""`crimegraph backup` and `crimegraph restore`: the embedded engine's database to a file
and back (docs/operations.md)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from graph.cli.output import add_json, emit
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    bak = subparsers.add_parser(
        "backup",
        help="write a consistent backup of the embedded engine's database while it serves",
        description="crimegraph backup DEST [--json] (a file, or a directory for a timestamped "
        "file)",
    )
    bak.add_argument("destination", metavar="DEST")
    add_json(bak)
    bak.set_defaults(func=backup)

    res = subparsers.add_parser(
        "restore",
        help="replace the embedded engine's database with a backup (stops and restarts it)",
        description="crimegraph restore SRC [--force] [--json]",
    )
    res.add_argument("source", metavar="SRC", help="a file written by `crimegraph backup`")
    res.add_argument(
        "--force", action="store_true", help="replace a database that holds data (refused without)"
    )
    add_json(res)
    res.set_defaults(func=restore)


def backup(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db import backup as backups

    result = backups.backup(settings, Path(args.destination))

    def human(_: Any) -> None:
        print(
            f"backup written: {result.path} ({result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s)"
        )

    return emit(args, dataclasses.asdict(result), human)


def restore(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db import backup as backups

    result = backups.restore(settings, Path(args.source), force=args.force)

    def human(_: Any) -> None:
        migrated = (
            f", migrated from schema version {result.restored_version} to {result.schema_version}"
            if result.restored_version != result.schema_version
            else f", schema version {result.schema_version}"
        )
        print(
            f"restored {args.source}: {result.nodes} nodes (replacing {result.replaced_nodes})"
            f"{migrated}; engine {'running' if result.engine_left_running else 'stopped'} "
            f"({result.seconds:.1f} s)"
        )

    return emit(args, dataclasses.asdict(result), human)
