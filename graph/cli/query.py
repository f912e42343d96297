"""`crimegraph query`: list, show or run the named queries (cypher/queries/)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from graph.cli.output import add_json, emit, print_table
from graph.core.errors import InvalidInput
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    query = subparsers.add_parser(
        "query",
        help="run a named query; `query` lists them, `query show NAME --browser` prints one",
        description="crimegraph query NAME [--param k=v ...] [--json] | crimegraph query "
        "show NAME [--browser] | crimegraph query [--json]",
    )
    query.add_argument("words", nargs="*", metavar="NAME")
    add_param(query, "a parameter; JSON for non-string types, e.g. --param limit=5")
    add_json(query, "print rows (or, without NAME, the queries) as JSON")
    query.add_argument(
        "--browser",
        action="store_true",
        help="with show: :param lines + body for the Neo4j Browser",
    )
    query.set_defaults(func=run)


def add_param(parser: argparse.ArgumentParser, what: str | None = None) -> None:
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help=what)


def parse_params(query: Any, pairs: Sequence[str]) -> dict[str, Any]:
    """--param NAME=VALUE pairs, typed as the query's header declares each parameter."""
    declared = {p.name: p for p in query.user_params}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--param takes NAME=VALUE, got {pair!r}")
        if name not in declared:
            raise InvalidInput(
                f"query {query.name} has no parameter {name!r}; it takes: "
                + (", ".join(declared) or "none")
            )
        try:
            values[name] = declared[name].parse_text(text)
        except ValueError as exc:
            raise InvalidInput(f"--param {name}: {exc}") from exc
    return values


def _listing(queries: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": q.name,
            "mode": q.mode,
            "description": q.description,
            "params": {p.name: p.type for p in q.user_params},
        }
        for q in queries.values()
    ]


def _print_listing(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        signature = ", ".join(f"{name}: {kind}" for name, kind in row["params"].items())
        print(f"{row['name']:28} {row['mode']:5}  {row['description']}  ({signature})")


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.db.service import load_queries, open_store

    queries = load_queries(settings)
    words: list[str] = args.words
    if not words:
        return emit(args, _listing(queries), _print_listing)
    if words[0] == "show":
        if len(words) != 2:
            raise InvalidInput("usage: crimegraph query show NAME [--browser]")
        query = queries[words[1]]
        print(query.browser_block() if args.browser else query.text, end="")
        return 0
    if len(words) != 1:
        raise InvalidInput("usage: crimegraph query NAME [--param k=v ...] [--json]")
    query = queries[words[0]]
    params = parse_params(query, args.param)
    missing = [p for p in query.user_params if p.name not in params]
    if missing:
        hint = ", ".join(
            f"{p.name} (e.g. {p.name}={json.dumps(p.example, ensure_ascii=False)})" for p in missing
        )
        raise InvalidInput(f"query {query.name} needs --param for: {hint}")
    with open_store(settings) as store:
        rows = store.run(query.name, params)
    return emit(args, rows, print_table)
