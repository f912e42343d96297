"""Every format a snapshot renders to, by name: extension, media type, renderer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graph.briefing import render as pictures
from graph.core.errors import InvalidInput
from graph.formats import export


@dataclass(frozen=True)
class Format:
    extension: str
    media_type: str
    describe: str


FORMATS: dict[str, Format] = {
    "json": Format("json", "application/json", "the snapshot itself (crimegraph.snapshot/1)"),
    "graphml": Format("graphml", "application/graphml+xml", "GraphML for Gephi and yEd"),
    "ftm": Format("ftm.jsonl", "application/x-ndjson", "FollowTheMoney entities, one per line"),
    "cypher": Format(
        "cypher", "text/plain; charset=utf-8", "a Cypher script that recreates the subgraph"
    ),
    "csv": Format(
        "csv.zip", "application/zip", "neo4j-admin import CSV files (nodes, relationships)"
    ),
    "svg": Format("svg", "image/svg+xml", "a picture of the subgraph"),
    "png": Format("png", "image/png", "the same picture as PNG"),
    "html": Format("html", "text/html; charset=utf-8", "a one-page briefing"),
}


def _renderer(name: str) -> Callable[[dict[str, Any]], str | bytes]:
    renderers: dict[str, Callable[[dict[str, Any]], str | bytes]] = {
        "json": export.to_json,
        "graphml": export.to_graphml,
        "ftm": export.to_ftm,
        "cypher": export.to_cypher,
        "csv": export.to_admin_csv_zip,
        "svg": pictures.to_svg,
        "png": pictures.to_png,
        "html": pictures.to_html,
    }
    return renderers[name]


def render(snapshot: dict[str, Any], name: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the snapshot in one format."""
    if name not in FORMATS:
        raise InvalidInput(f"unknown format {name!r}; one of {', '.join(FORMATS)}")
    output = _renderer(name)(snapshot)
    content = output.encode("utf-8") if isinstance(output, str) else output
    return content, FORMATS[name].media_type, f"{snapshot['id']}.{FORMATS[name].extension}"
