"""`crimegraph audit`: verify the audit log's hash chain, or print its last records."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from graph.cli.output import FAILURE, OK, add_json, print_table, to_json
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser(
        "audit",
        help="verify the audit log's hash chain, or print its last records",
        description="crimegraph audit verify [--expect-prev HASH] [--checkpoint HASH ...] | "
        "audit tail [-n N]  (each with [--json])",
    )
    audit.add_argument("action", choices=["verify", "tail"])
    audit.add_argument("--file", help="audit log (default CRIMEGRAPH_AUDIT_DIR/audit.jsonl)")
    audit.add_argument(
        "--expect-prev", metavar="HASH", help="with verify: head hash of the previous file"
    )
    audit.add_argument(
        "--checkpoint",
        metavar="HASH",
        action="append",
        help="with verify: a head hash printed by an earlier verify and kept elsewhere; it must "
        "still be in the chain (catches records cut from the end). Repeatable",
    )
    audit.add_argument("-n", type=int, default=20, help="with tail: how many records")
    add_json(audit, "with tail: one JSON record a line; with verify: the result as JSON")
    audit.set_defaults(func=run)


def _verify(path: Path, args: argparse.Namespace) -> int:
    from graph.access import audit

    result = audit.verify(
        path, expect_prev=args.expect_prev, checkpoints=tuple(args.checkpoint or ())
    )
    if args.json:
        print(to_json({"file": str(path)} | dataclasses.asdict(result)))
    elif result.ok:
        after = result.starts_after
        print(
            f"audit log OK: {path}: {result.records} records, head seq {result.head_seq}, "
            f"head hash {result.head_hash}"
            + ("" if after == audit.GENESIS else f", continuing from {after}")
        )
    else:
        where = f" line {result.broken_line}" if result.broken_line is not None else ""
        print(
            f"audit log BROKEN: {path}{where}"
            + (f" (seq {result.broken_seq})" if result.broken_seq is not None else "")
            + f": {result.reason}; the {result.records} records before it verify "
            f"(last good hash {result.head_hash})",
            file=sys.stderr,
        )
    return OK if result.ok else FAILURE


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": record.get("seq"),
        "time": record.get("time"),
        "key": record.get("key_id") or "-",
        "role": record.get("role") or "-",
        "request": f"{record.get('method') or ''} {record.get('path')}".strip(),
        "status": record.get("status"),
        "outcome": record.get("outcome"),
        "reason": record.get("reason") or "",
    }


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.access import audit

    path = Path(args.file) if args.file else settings.audit_path
    if not path.exists():
        # A log that should be there and is not is what deleting it looks like.
        print(f"crimegraph: error: no audit log at {path}", file=sys.stderr)
        return FAILURE
    if args.action == "verify":
        return _verify(path, args)
    records = audit.tail(path, args.n)
    if args.json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
    else:
        print_table([_row(r) for r in records])
    return OK
