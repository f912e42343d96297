"""`crimegraph seed`: load the seed dataset, then say what it loaded and what the database
holds, apart (a database may hold more than the seed)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.cli.output import add_json, emit, totals
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    seed = subparsers.add_parser(
        "seed",
        help="load the seed dataset (idempotent, all-or-nothing)",
        description="crimegraph seed [--json]",
    )
    add_json(seed, "print {loaded: {nodes, relationships}, totals: {nodes, relationships}}")
    seed.set_defaults(func=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.service import open_store
    from graph.model.schema import load_model
    from seed.loader import load_seed

    with open_store(settings) as store:
        rows = load_seed(
            store,
            load_model(),
            settings.seed_dir / "data",
            settings.seed_dir / "documents",
            progress=lambda message: print(f"seed: {message}", file=sys.stderr),
        )
        report = {
            # Records of the seed files, each written or found already stored as it is.
            "loaded": {"nodes": len(rows.nodes), "relationships": len(rows.relationships)},
            "totals": totals(store),
        }

    def human(data: dict[str, Any]) -> None:
        loaded, total = data["loaded"], data["totals"]
        print(f"loaded: {loaded['nodes']} nodes, {loaded['relationships']} relationships")
        print(f"database totals: {total['nodes']} nodes, {total['relationships']} relationships")

    return emit(args, report, human)
