"""`crimegraph resolve` (duplicates, decisions, merges and their undo) and
`crimegraph contradictions` (where sources disagree about one event)."""

from __future__ import annotations

import argparse
from typing import Any

from graph.cli.output import add_json, emit, print_table, to_json
from graph.core.settings import Settings

DECISION_COLUMNS = ("id", "judgement", "status", "left_id", "right_id", "decided_by", "decided_at")


def register(subparsers: Any) -> None:
    resolve = subparsers.add_parser(
        "resolve",
        help="duplicate candidates, decisions (same merges, undo splits) and why an entity is",
        description="crimegraph resolve candidates [--min-score S] | decide LEFT RIGHT "
        "--judgement same|not_same|unsure [--canonical ID] [--note TEXT] | undo DECISION_ID | "
        "decisions [--entity ID] | why ID  (each with [--json]). Decisions are recorded as "
        "made by cli:<user>",
    )
    actions = resolve.add_subparsers(dest="action", required=True)
    found = actions.add_parser("candidates", help="candidate duplicate pairs, best first")
    found.add_argument("--min-score", type=float, default=0.5, help="default 0.5")
    found.add_argument("--limit", type=int, default=50)
    decide = actions.add_parser("decide", help="record a decision; same merges (undoably)")
    decide.add_argument("left", metavar="LEFT")
    decide.add_argument("right", metavar="RIGHT")
    decide.add_argument("--judgement", required=True, choices=["same", "not_same", "unsure"])
    decide.add_argument("--canonical", metavar="ID", help="with same: the entity that absorbs")
    decide.add_argument("--note")
    undo = actions.add_parser("undo", help="undo a decision; a merge is split exactly")
    undo.add_argument("decision_id", metavar="DECISION_ID")
    listed = actions.add_parser("decisions", help="decisions, oldest first")
    listed.add_argument("--entity", metavar="ID", help="only those about this entity")
    why = actions.add_parser("why", help="the sources, imports and decisions of an entity")
    why.add_argument("entity_id", metavar="ID")
    for action in (found, decide, undo, listed, why):
        add_json(action, "print JSON")
    resolve.set_defaults(func=run)

    contradictions = subparsers.add_parser(
        "contradictions",
        help="where sources disagree about one event (dates, statuses)",
        description="crimegraph contradictions [--json]",
    )
    add_json(contradictions, "print JSON")
    contradictions.set_defaults(func=run_contradictions)


def _print_decision(decision: dict[str, Any]) -> None:
    merged = (
        f", {decision['merged_id']} merged into {decision['canonical_id']} "
        f"({decision['moved_relationships']} relationships moved)"
        if decision.get("canonical_id")
        else ""
    )
    print(
        f"decision {decision['id']}: {decision['judgement']} ({decision['status']}), "
        f"score {decision['score']}{merged}"
    )


def _print_candidates(found: list[dict[str, Any]]) -> None:
    print_table(
        [
            {
                "score": c["score"],
                "left": f"{c['left']['id']} ({c['left']['name']})",
                "right": f"{c['right']['id']} ({c['right']['name']})",
                "reasons": "; ".join(c["reasons"]),
            }
            for c in found
        ]
    )


def _print_decisions(rows: list[dict[str, Any]]) -> None:
    print_table([{k: d[k] for k in DECISION_COLUMNS} for d in rows])


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.access.auth import local_user
    from graph.db.service import open_store
    from graph.growth import resolution
    from graph.model.schema import load_model

    model = load_model()
    with open_store(settings) as store:
        if args.action == "candidates":
            found = resolution.candidates(store, model, args.min_score)[: args.limit]
            return emit(args, [c.as_dict() for c in found], _print_candidates)
        if args.action == "decide":
            decision = resolution.decide(
                store,
                model,
                args.left,
                args.right,
                args.judgement,
                local_user(),
                args.canonical,
                args.note,
            )
            return emit(args, decision, _print_decision)
        if args.action == "undo":
            undone = resolution.undo(store, model, args.decision_id, local_user())
            return emit(args, undone, _print_decision)
        if args.action == "decisions":
            return emit(args, resolution.decisions(store, args.entity or ""), _print_decisions)
        why = resolution.why(store, args.entity_id)
    print(to_json(why))  # JSON either way: a tree of sources, imports and decisions
    return 0


def _print_contradictions(found: list[dict[str, Any]]) -> None:
    if not found:
        print("no contradictions")
    for item in found:
        print(f"{item['kind']}: {item['message']}")
        print(f"  because: {item['basis']}")
        for claim in item["claims"]:
            sources = ", ".join(f"{s['id']} ({s['title']})" for s in claim["sources"])
            print(f"  - {claim['event_id']}: {claim['value']} ({claim['basis']}); {sources}")
            for quote in claim["quotes"][:3]:
                print(f"      “{quote}”")


def run_contradictions(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.service import open_store
    from graph.growth import contradictions
    from graph.model.schema import load_model

    with open_store(settings) as store:
        found = contradictions.find(store, load_model())
    return emit(args, found, _print_contradictions)
