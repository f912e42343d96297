"""`crimegraph model`: check the model, or render the files generated from it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from graph.cli.output import FAILURE, OK, add_json, to_json
from graph.core.errors import InvalidInput
from graph.core.settings import REPO_ROOT, Settings


def register(subparsers: Any) -> None:
    model = subparsers.add_parser(
        "model",
        help="check the model or render the files generated from it",
        description="crimegraph model check|render [--file MODEL.yaml] [--json]",
    )
    model.add_argument("action", choices=["check", "render"])
    model.add_argument("--file", help="model file (default graph/model/model.yaml)")
    add_json(model, "print {labels, relationship_types, stale} or {written} as JSON")
    model.set_defaults(func=run)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.codegen import stale_files, write_generated
    from graph.model.schema import MODEL_PATH, load_model

    if not (REPO_ROOT / "pyproject.toml").is_file():
        # The generated files are sources (cypher/, graph/): an installed wheel has none.
        raise InvalidInput("`crimegraph model` works in a source checkout (pip install -e .)")
    model = load_model(Path(args.file) if args.file else MODEL_PATH)
    if args.action == "render":
        written = [str(p.relative_to(REPO_ROOT)) for p in write_generated(model, REPO_ROOT)]
        if args.json:
            print(to_json({"written": written}))
        else:
            print("\n".join(f"wrote {path}" for path in written))
        return OK
    stale = [str(p.relative_to(REPO_ROOT)) for p in stale_files(model, REPO_ROOT)]
    labels, types = len(model.node_labels), len(model.relationship_types)
    if args.json:
        print(to_json({"labels": labels, "relationship_types": types, "stale": stale}))
    elif stale:
        print("out of date (run `crimegraph model render`): " + ", ".join(stale))
    else:
        print(f"model OK: {labels} labels, {types} relationship types")
    return FAILURE if stale else OK
