"""What every command shares: `--json`, tables, and the exit codes of errors."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from graph.core.errors import (
    Conflict,
    CrimegraphError,
    NotFound,
    ReadOnlyViolation,
    RoleRequired,
    UnsafeConfiguration,
)

# The documented exit codes (README.md, `crimegraph --help`).
OK, FAILURE, USAGE, NOT_FOUND, REFUSED = 0, 1, 2, 3, 4
BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader left

# Refused: the request was understood and nothing was changed, on purpose (a decision
# already taken, a restore over data without --force, a write where only reading is allowed,
# settings that would expose the API).
_REFUSED = (Conflict, ReadOnlyViolation, RoleRequired, UnsafeConfiguration)

EXIT_CODES_HELP = """\
exit codes:
  0  ok
  1  failure (the database or engine unavailable, a broken audit log, a stale model)
  2  usage: a bad option, parameter or input file
  3  not found: an entity, snapshot, key, candidate or decision id that does not exist
  4  refused: nothing was changed on purpose (e.g. a decision already taken, a restore
     over data without --force)
  141  the reader of the output went away (e.g. `| head`); nothing is printed

conventions:
  --json on every command that prints data prints it as JSON on standard output; messages
  and progress go to standard error. What a command writes is recorded as made by
  cli:<user>, the local account (the API records the key instead)."""


def exit_code(error: CrimegraphError) -> int:
    """The exit code of an error, from its place under graph.core.errors."""
    if isinstance(error, NotFound):
        return NOT_FOUND
    if isinstance(error, _REFUSED) or error.status in (401, 403, 409):  # 409: RestoreRefused
        return REFUSED
    return USAGE if error.status < 500 else FAILURE


def add_json(parser: argparse.ArgumentParser, what: str = "print the result as JSON") -> None:
    parser.add_argument("--json", action="store_true", help=what)


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def emit(args: argparse.Namespace, data: Any, human: Callable[[Any], None]) -> int:
    """Print `data` as JSON with --json, else as `human` writes it for a reader."""
    if getattr(args, "json", False):
        print(to_json(data))
    else:
        human(data)
    return OK


def print_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("(no rows)")
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def _cell(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def totals(store: Any) -> dict[str, int]:
    """The database's node and relationship counts (system records aside)."""
    row = store.run("graph_totals")[0]
    return {"nodes": row["nodes"], "relationships": row["relationships"]}
