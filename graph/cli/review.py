"""`crimegraph review`: the queue of names found by ingest; list, accept or reject them.
Who decides is the local user (`cli:<user>`), as the API records the key that decides: no
option names another decider."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from graph.cli.output import add_json, emit, print_table
from graph.core.errors import InvalidInput
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    review = subparsers.add_parser(
        "review",
        help="the review queue of names found by ingest: list, accept or reject candidates",
        description="crimegraph review list [--status S] [--document ID] | review accept ID "
        "(--label L [--name N] [--property k=v ...] | --entity ENTITY_ID) | review reject ID  "
        "(each with [--json]). Decisions are recorded as made by cli:<user>, the local account",
    )
    review.add_argument("action", choices=["list", "accept", "reject"])
    review.add_argument("candidate_id", nargs="?", metavar="ID", help="the candidate's id")
    review.add_argument(
        "--status", default="pending", choices=["pending", "accepted", "rejected", "all"]
    )
    review.add_argument("--document", metavar="ID", help="with list: only this document's")
    review.add_argument("--limit", type=int, default=100, help="with list: at most this many")
    review.add_argument("--label", help="with accept: create an entity of this label")
    review.add_argument("--name", help="with accept: its name (default the candidate's text)")
    review.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with accept: a property, e.g. location_type=city (repeatable)",
    )
    review.add_argument("--entity", metavar="ENTITY_ID", help="with accept: link this entity")
    review.add_argument("--confidence", type=int, help="with accept: the new entity's confidence")
    add_json(review, "print the candidates, or the decision, as JSON")
    review.set_defaults(func=run)


def _typed_properties(model: Any, label: str | None, pairs: Sequence[str]) -> dict[str, Any]:
    """--property k=v values typed as the model declares k (JSON for numbers and lists)."""
    specs = model.node_properties(label) if label in model.node_labels else {}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise InvalidInput(f"--property takes NAME=VALUE, got {pair!r}")
        spec = specs.get(name)
        if spec is not None and spec.type not in ("string", "text", "date"):
            try:
                values[name] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"--property {name}: expected {spec.type} as JSON") from exc
        else:
            values[name] = text
    return values


def _print_candidates(rows: list[dict[str, Any]]) -> None:
    print_table(
        [
            {
                "id": r["id"],
                "status": r["status"],
                "kind": r["kind"],
                "text": r["text"],
                "label?": r.get("suggested_label") or "",
                "date": r.get("date") or "",
                "sentence": (r["sentences"] or [""])[0],
            }
            for r in rows
        ]
    )


def _decide(store: Any, args: argparse.Namespace) -> Any:
    from graph.access.auth import local_user
    from graph.growth import ingest as ingestion
    from graph.model.schema import load_model

    if args.action == "reject":
        return ingestion.reject_candidate(store, args.candidate_id, local_user())
    model = load_model()
    return ingestion.accept_candidate(
        store,
        model,
        args.candidate_id,
        label=args.label,
        name=args.name,
        properties=_typed_properties(model, args.label, args.property),
        entity_id=args.entity,
        confidence=args.confidence,
        decided_by=local_user(),
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.service import open_store
    from graph.growth import ingest as ingestion

    if args.action != "list" and not args.candidate_id:
        raise InvalidInput(f"usage: crimegraph review {args.action} CANDIDATE_ID")
    with open_store(settings) as store:
        if args.action == "list":
            status = None if args.status == "all" else args.status
            rows = ingestion.list_candidates(store, status, args.document, args.limit)
            return emit(args, rows, _print_candidates)
        decision = _decide(store, args)

    def human(_: Any) -> None:
        if args.action == "reject":
            print(f"rejected {args.candidate_id}")
            return
        assert decision.entity is not None
        verb = "created" if decision.entity_created else "linked"
        print(
            f"accepted {args.candidate_id}: {verb} {decision.entity.id} "
            f"({decision.entity.name}, {decision.entity.labels[-1]}); "
            f"mention {decision.mention_id}"
        )

    return emit(args, dataclasses.asdict(decision), human)
