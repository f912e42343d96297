"""`crimegraph generate`: a deterministic synthetic dataset in the import format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from graph.cli.output import add_json, emit
from graph.core.errors import InvalidInput
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    gen = subparsers.add_parser(
        "generate",
        help="write a synthetic crime-network dataset in the import format (benchmarks)",
        description="crimegraph generate --size XS|S|M|L --seed N --output PATH "
        "[--format csv|ftm|admin] [--dry-run] [--json]",
    )
    gen.add_argument(
        "--size",
        required=True,
        choices=["XS", "S", "M", "L"],
        help="XS 500 nodes / 2,500 relationships, S 10k / 50k, M 100k / 1M, L 1M / 10M",
    )
    gen.add_argument("--seed", type=int, default=1, help="same size and seed, same bytes")
    gen.add_argument("--output", help="a directory for csv and admin, a .jsonl file for ftm")
    gen.add_argument(
        "--format",
        choices=["csv", "ftm", "admin"],
        default="csv",
        help="csv: a file per label and type; ftm: JSON lines; admin: neo4j-admin import layout",
    )
    gen.add_argument("--dry-run", action="store_true", help="count only, write nothing")
    add_json(gen, "print the manifest as JSON")
    gen.set_defaults(func=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.synth.generate import generate

    if args.output is None and not args.dry_run:
        raise InvalidInput("give --output PATH (or --dry-run to count only)")
    output = None if args.dry_run else Path(args.output)
    result = generate(
        args.size,
        args.seed,
        output,
        args.format,
        progress=lambda message: print(f"generate: {message}", file=sys.stderr),
    )

    def human(manifest: dict[str, Any]) -> None:
        where = f" to {output} ({result.bytes / 1e6:.1f} MB)" if output is not None else ""
        print(
            f"generated {manifest['nodes']:,} nodes and {manifest['relationships']:,} "
            f"relationships (size {args.size}, seed {args.seed}){where} "
            f"in {result.seconds:.1f} s"
        )

    return emit(args, result.manifest(), human)
