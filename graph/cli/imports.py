"""`crimegraph import` (FtM, CSV or snapshot JSON as one batch) and `crimegraph datasets`
(the imports made), docs/import-format.md."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from graph.cli.output import add_json, emit, print_table
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    imp = subparsers.add_parser(
        "import",
        help="import FtM JSON lines, CSV or snapshot JSON as one batch (docs/import-format.md)",
        description="crimegraph import FILE [--format ftm|csv|snapshot] "
        "[--source-document ID] [--json]. Recorded as imported by cli:<user>",
    )
    imp.add_argument("file", metavar="FILE", help="a file, a .zip or a directory of CSV files")
    imp.add_argument("--format", choices=["ftm", "csv", "snapshot"], help="default: detected")
    imp.add_argument(
        "--source-document",
        metavar="DOC_ID",
        help="a Document (stored, or in the file) cited by rows that cite none",
    )
    imp.add_argument("--grading", default="F6", help="for rows without one (default F6)")
    imp.add_argument("--confidence", type=int, default=50, help="for rows without one (default 50)")
    add_json(imp, "print the Dataset record as JSON")
    imp.set_defaults(func=run_import)

    datasets = subparsers.add_parser(
        "datasets",
        help="list the imports (Dataset records), newest first",
        description="crimegraph datasets [--limit N] [--json]",
    )
    datasets.add_argument("--limit", type=int, default=50)
    add_json(datasets, "print JSON")
    datasets.set_defaults(func=run_datasets)


def _print_result(result: Any) -> None:
    ds = result.dataset
    if not result.created:
        print(
            f"dataset {ds['id']}: this file was imported before ({ds['imported_at']} by "
            f"{ds['imported_by']}); nothing was written"
        )
        return
    for name, count in result.ignored.items():
        entities = f"{count} entit{'y' if count == 1 else 'ies'}"
        print(f"import: ignored FtM property {name} ({entities})", file=sys.stderr)
    print(
        f"dataset {ds['id']}: {ds['nodes']} nodes ({ds['new_nodes']} new), "
        f"{ds['relationships']} relationships ({ds['new_relationships']} new) "
        f"in {result.seconds['total']:.1f} s"
    )


def run_import(settings: Settings, args: argparse.Namespace) -> int:
    from graph.access.auth import local_user
    from graph.db.service import open_store
    from graph.growth import imports
    from graph.model.schema import load_model

    options = imports.ImportOptions(
        source_document=args.source_document,
        grading=args.grading,
        confidence=args.confidence,
        names=imports.CLI_OPTION_NAMES,  # messages name the flags, not the API's parameters
    ).checked()
    source = imports.ImportSource.from_path(Path(args.file))
    with open_store(settings) as store:
        result = imports.run_import(
            store,
            load_model(),
            source,
            format=args.format,
            options=options,
            imported_by=local_user(),
            progress=lambda message: print(f"import: {message}", file=sys.stderr),
            timeout=settings.import_timeout,
            limits=imports.ImportLimits.from_settings(settings),
        )
    if args.json:
        summary = {"created": result.created, **result.dataset, "ignored": result.ignored}
        print(json.dumps(summary, indent=2))
    else:
        _print_result(result)
    return 0


def _print_datasets(rows: list[dict[str, Any]]) -> None:
    print_table(
        [
            {k: r[k] for k in ("id", "file_name", "format", "nodes", "relationships")}
            | {"by": r["imported_by"], "at": r["imported_at"]}
            for r in rows
        ]
    )


def run_datasets(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.service import open_store
    from graph.growth import imports

    with open_store(settings) as store:
        rows = imports.list_datasets(store, args.limit)
    return emit(args, rows, _print_datasets)
