"""The snapshot document (docs/snapshot-format.md): its format name, what it keeps of each
node and source, its canonical JSON and its content hash (which is its id).

Building a snapshot from the graph is investigation work (graph.investigate.snapshot); every
format is rendered from the document alone, so its definition sits here, with the formats.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

FORMAT = "crimegraph.snapshot/1"
HIDDEN_PROPERTIES = ("search_text", "text")
SOURCE_FIELDS = (
    "name",
    "title",
    "publisher",
    "url",
    "published",
    "retrieved",
    "file_name",
    "content_sha256",
)

Snapshot = dict[str, Any]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(
    query: dict[str, Any], nodes: list[Any], relationships: list[Any], sources: list[Any]
) -> str:
    body = {"query": query, "nodes": nodes, "relationships": relationships, "sources": sources}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
