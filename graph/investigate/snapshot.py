"""Snapshots: a subgraph frozen for a briefing (format: docs/snapshot-format.md).

A snapshot holds what a reader needs without the database: the query that produced it, the
nodes and relationships with all their properties and provenance, and the sources cited.
Its id is its content hash, so the same content is the same snapshot, and every format is
rendered from it alone, byte for byte the same each time.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from graph.access import audit, visibility
from graph.core.errors import InvalidInput, NotFound
from graph.db.store import Store
from graph.formats.snapshot_json import (
    FORMAT,
    HIDDEN_PROPERTIES,
    SOURCE_FIELDS,
    Snapshot,
    canonical_json,
    content_hash,
)
from graph.investigate.links import LinkFilter, neighbourhood

MAX_NODES = 500  # pictures are capped lower (graph.briefing.render); the data may hold more


class EmptySnapshot(InvalidInput):
    """The query named no entity: there is nothing to freeze."""


def _strings(value: Any) -> set[str]:
    """Every string anywhere in a query result (some of them entity ids)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(set(), *(_strings(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(_strings(v) for v in value))
    return set()


def _build(
    store: Store,
    title: str,
    query: dict[str, Any],
    node_ids: set[str],
    types: list[str],
    started: float,
) -> Snapshot:
    if not node_ids:
        raise EmptySnapshot("the snapshot would be empty: the query returned no entity")
    if len(node_ids) > MAX_NODES:
        raise InvalidInput(
            f"the snapshot would hold {len(node_ids)} entities; the limit is {MAX_NODES}"
        )
    ids = sorted(node_ids)
    nodes = [
        {
            "id": row["id"],
            "labels": sorted(row["labels"]),
            "properties": {
                k: v for k, v in sorted(row["properties"].items()) if k not in HIDDEN_PROPERTIES
            },
        }
        for row in store.run("entities_with_properties", {"ids": ids})
    ]
    relationships = [
        {
            "id": r["id"],
            "type": r["type"],
            "from_id": r["from_id"],
            "to_id": r["to_id"],
            "properties": dict(sorted(r["properties"].items())),
        }
        for r in store.run("links_among", {"ids": ids, "types": types})
    ]
    source_ids = sorted(
        {s for item in (*nodes, *relationships) for s in item["properties"].get("source_ids") or []}
    )
    source_rows = store.run("entities_with_properties", {"ids": source_ids})
    sources = [
        {"id": row["id"], **{k: row["properties"].get(k) for k in SOURCE_FIELDS}}
        for row in source_rows
    ]
    digest = content_hash(query, nodes, relationships, sources)
    # What the creating key could see is what it froze; the codes of the restricted items
    # (sources too, whose handling the source list does not show) decide who may load it.
    codes = visibility.snapshot_codes([*nodes, *source_rows], relationships)
    return {
        "format": FORMAT,
        "id": f"snapshot-{digest[:16]}",
        "title": title,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "engine": store.engine,
        "duration_ms": round((time.monotonic() - started) * 1000),
        "query": query,
        "nodes": nodes,
        "relationships": relationships,
        "sources": sources,
        "content_hash": digest,
        **({"handling": codes} if codes else {}),
    }


def freeze_neighbourhood(
    store: Store, entity_ids: list[str], depth: int, flt: LinkFilter, title: str | None = None
) -> Snapshot:
    """The entities within `depth` hops of the given ones, and every link among them."""
    started = time.monotonic()
    node_ids: set[str] = set()
    for entity_id in entity_ids:
        sub = neighbourhood(store, entity_id, depth, flt, MAX_NODES * 4)
        node_ids |= {n.id for n in sub.nodes}
    query = {
        "kind": "neighbourhood",
        "entity_ids": sorted(entity_ids),
        "depth": depth,
        "types": list(flt.types),
    }
    starts = store.run("entities_by_ids", {"ids": sorted(entity_ids)})
    names = ", ".join(sorted(str(row["name"]) for row in starts)) or ", ".join(entity_ids)
    default_title = f"{names}, {depth} hop{'s' if depth > 1 else ''}"
    return _build(store, title or default_title, query, node_ids, list(flt.types), started)


def freeze_named_query(
    store: Store, name: str, params: dict[str, Any], types: list[str], title: str | None = None
) -> Snapshot:
    """The entities a read query returns (any column holding entity ids), and every link
    among them."""
    snap = run_as_graph(store, name, params, types, title)[1]
    if snap is None:
        raise EmptySnapshot("the snapshot would be empty: the query returned no entity")
    return snap


def run_as_graph(
    store: Store, name: str, params: dict[str, Any], types: list[str], title: str | None = None
) -> tuple[list[dict[str, Any]], Snapshot | None]:
    """Run a read query; return its rows and the subgraph of the entities they name (None
    when they name none)."""
    started = time.monotonic()
    if store.queries[name].mode != "read":
        raise InvalidInput(f"{name} is a write query; only read queries can be shown or frozen")
    rows = store.run(name, params)
    # The entities the rows name, and those the parameters name (an entity_links row names
    # only the far ends; the entity asked about belongs in its own picture).
    candidates = sorted(_strings(rows) | _strings(params))
    found = store.run("entities_by_ids", {"ids": candidates}) if candidates else []
    # Documents join a picture through MENTIONS only; without that type they would float
    # unlinked (rows cite them in source_ids), and the snapshot lists its sources anyway.
    node_ids = {r["id"] for r in found if "MENTIONS" in types or "Document" not in r["labels"]}
    if not node_ids:
        return rows, None
    query = {"kind": "named_query", "name": name, "params": params}
    return rows, _build(store, title or name, query, node_ids, types, started)


def save(store: Store, snapshot: Snapshot) -> tuple[Snapshot, bool]:
    """Store the snapshot; if the same content was stored before, return that one (with its
    title and creation time: the content is the snapshot). Returns (snapshot, created)."""
    store.run(
        "save_snapshot",
        {
            "id": snapshot["id"],
            "title": snapshot["title"],
            "created": snapshot["created"],
            "nodes": len(snapshot["nodes"]),
            "relationships": len(snapshot["relationships"]),
            "payload": canonical_json(snapshot),
            "handling": handling_codes(snapshot),
        },
    )
    stored = load(store, snapshot["id"])
    return stored, stored["created"] == snapshot["created"] and stored["title"] == snapshot["title"]


def handling_codes(snapshot: Snapshot) -> list[str]:
    """The handling codes of a snapshot's restricted items: a key must hold them all."""
    found = visibility.snapshot_codes(snapshot["nodes"], snapshot["relationships"])
    return sorted({*found, *(snapshot.get("handling") or [])})


def load(store: Store, snapshot_id: str) -> Snapshot:
    """The stored snapshot; NotFound when there is none or when it holds an item restricted
    to a code the caller lacks (the same answer: its existence is not leaked)."""
    rows = store.run("snapshot_by_id", {"id": snapshot_id})
    if not rows:
        if not visibility.current().see_all and audit.current() is not None:
            with visibility.unrestricted():
                hidden = store.run("snapshot_by_id", {"id": snapshot_id})
            if hidden:
                codes = handling_codes(json.loads(hidden[0]["payload"]))
                audit.note_denied(f"handling {', '.join(codes)}")
        raise NotFound(f"no snapshot with id {snapshot_id!r}")
    snapshot: Snapshot = json.loads(rows[0]["payload"])
    return snapshot
