"""`crimegraph keys`: create, revoke or list API keys (stored hashed in the database)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from graph.cli.output import add_json, emit, print_table, to_json
from graph.core.errors import InvalidInput
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    keys = subparsers.add_parser(
        "keys",
        help="create, revoke or list API keys (stored hashed in the graph database)",
        description="crimegraph keys create --name NAME --role ROLE [--handling CODE ...] | "
        "keys revoke KEY_ID | keys list  (each with [--json])",
    )
    keys.add_argument("action", choices=["create", "revoke", "list"])
    keys.add_argument("key_id", nargs="?", metavar="KEY_ID", help="with revoke: the key's id")
    keys.add_argument("--name", help="with create: who or what the key is for")
    keys.add_argument(
        "--role",
        default="viewer",
        choices=["viewer", "investigator", "analyst", "admin"],
        help="with create: the key's role (default viewer)",
    )
    keys.add_argument(
        "--handling",
        action="append",
        default=[],
        metavar="CODE",
        help="with create: a handling code the key may see, e.g. case:prison-break (repeatable)",
    )
    add_json(keys, "print the key record(s) as JSON (with create: and its token)")
    keys.set_defaults(func=run)


def _create(keys: Any, args: argparse.Namespace) -> int:
    from graph.access.auth import Role, local_user

    if not args.name:
        raise InvalidInput("keys create needs --name NAME and --role ROLE")
    info, token = keys.create(
        args.name, Role.parse(args.role), args.handling, created_by=local_user()
    )
    handling = ", ".join(info.handling) or "none"
    print(
        f"created key {info.id} ({info.name}, {info.role.value}, handling: {handling}). "
        "The token below is shown once and cannot be recovered: store it now.",
        file=sys.stderr,
    )
    print(to_json(info.as_dict() | {"token": token}) if args.json else token)
    return 0


def run(settings: Settings, args: argparse.Namespace) -> int:
    from graph.access.auth import KeyStore, local_user
    from graph.db.service import open_store

    with open_store(settings) as store:
        keys = KeyStore(store, ttl=0)
        if args.action == "create":
            return _create(keys, args)
        if args.action == "list":
            return emit(args, [k.as_dict() for k in keys.list()], print_table)
        if not args.key_id:
            raise InvalidInput("usage: crimegraph keys revoke KEY_ID")
        info = keys.revoke(args.key_id, revoked_by=local_user())

    def human(_: Any) -> None:
        print(
            f"revoked key {info.id} ({info.name}) at {info.revoked_at}; API processes "
            f"stop accepting it within {settings.key_cache_seconds:g} s"
        )

    return emit(args, info.as_dict(), human)
