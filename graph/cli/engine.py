"""`crimegraph engine`: start, stop or inspect the embedded ArcadeDB engine."""

from __future__ import annotations

import argparse
from typing import Any

from graph.cli.output import add_json, emit
from graph.core.settings import Settings


def register(subparsers: Any) -> None:
    engine = subparsers.add_parser(
        "engine",
        help="start, stop or inspect the embedded ArcadeDB engine",
        description="crimegraph engine start|stop|status [--json]",
    )
    engine.add_argument("action", choices=["start", "stop", "status"])
    add_json(engine, "print {embedded, running, uri, pid, data_dir, changed} as JSON")
    engine.set_defaults(func=run)


def _act(settings: Settings, action: str) -> dict[str, Any]:
    from graph.db.engine import EmbeddedEngine

    if settings.neo4j_uri is not None:
        return {"embedded": False, "running": None, "uri": settings.neo4j_uri, "changed": False}
    engine = EmbeddedEngine.from_settings(settings)
    data: dict[str, Any] = {"embedded": True, "data_dir": str(engine.data_dir)}
    if action == "start":
        connection, started = engine.ensure_running()
        return data | {"running": True, "uri": connection.uri, "changed": started}
    if action == "stop":
        return data | {"running": False, "uri": None, "changed": engine.stop()}
    state = engine.running_state()
    if not state:
        return data | {"running": False, "uri": None, "changed": False}
    uri = f"bolt://127.0.0.1:{state['bolt_port']}"
    return data | {"running": True, "uri": uri, "pid": state["pid"], "changed": False}


def run(settings: Settings, args: argparse.Namespace) -> int:
    def human(data: dict[str, Any]) -> None:
        if not data["embedded"]:
            print(f"CRIMEGRAPH_NEO4J_URI is set ({data['uri']}): no embedded engine is used")
        elif args.action == "start":
            state = "started" if data["changed"] else "already running"
            print(f"{state}: {data['uri']} (data dir {data['data_dir']})")
        elif args.action == "stop":
            print("stopped" if data["changed"] else "not running")
        else:
            print(f"running: {data['uri']} pid {data['pid']}" if data["running"] else "not running")

    return emit(args, _act(settings, args.action), human)
