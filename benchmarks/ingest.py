"""One ingest run in a process of its own, so its peak memory is its own; prints one JSON line.

    .venv/bin/python -m benchmarks.ingest ours|raw DATA --data-dir DIR [--heap 1g]

The engine of DIR must be running (benchmarks.run starts a fresh one for every run):

- `ours`: `graph.growth.imports.run_import`, the path of `crimegraph import` (read, validate in
  full, one write transaction through graph.db.store);
- `raw`: the same rows written with the neo4j driver directly: the file read by the same
  reader (untimed validation builds the rows, with the same derived properties), then the
  same generated statements as ours (`create_nodes_<schema>`: UNWIND ... CREATE;
  `create_relationships_<type>`: UNWIND ... MATCH ... CREATE unless present) in the same
  batches in one explicit transaction, with no named-query layer, no checks and no
  bookkeeping.

Timings are wall-clock seconds; nodes/s and relationships/s come from the moments the last
node batch and the last relationship batch were written (the commit is counted apart).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from neo4j import GraphDatabase

from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.service import load_queries
from graph.db.store import Store
from graph.growth.imports import (  # the same statements and batches as ours
    ImportOptions,
    ImportSource,
    _by_query,
    _write_batches,
    dataset_id_for,
    read_import,
    run_import,
    validate_import,
)
from graph.model.schema import load_model

_WROTE = re.compile(r"wrote (\d+)/(\d+) nodes, (\d+)/(\d+) relationships")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ours(store: Store, data: Path) -> dict[str, Any]:
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(message: str) -> None:
        now = time.perf_counter() - started
        print(f"ingest ours {now:8.1f} s  {message}", file=sys.stderr, flush=True)
        if message.startswith("read "):
            marks["read"] = now
        elif message.startswith("validated"):
            marks["validated"] = now
        match = _WROTE.match(message)
        if match:
            nodes_done = int(match[1]) == int(match[2])
            if nodes_done and "nodes" not in marks:
                marks["nodes"] = now
            if nodes_done and int(match[3]) == int(match[4]):
                marks["relationships"] = now

    result = run_import(
        store, load_model(), ImportSource.from_path(data), progress=progress, timeout=36_000
    )
    end = time.perf_counter() - started
    ds = result.dataset
    return {
        "nodes": ds["nodes"],
        "relationships": ds["relationships"],
        "read_s": marks["read"],
        "validate_s": marks["validated"] - marks["read"],
        "nodes_s": marks["nodes"] - marks["validated"],
        "relationships_s": marks["relationships"] - marks["nodes"],
        "commit_s": end - marks["relationships"],
        "total_s": end,
    }


def raw(store: Store, data: Path) -> dict[str, Any]:
    model = load_model()
    started = time.perf_counter()
    source = ImportSource.from_path(data)
    parsed = read_import(source, model)
    read_s = time.perf_counter() - started
    # Untimed: builds the same rows ours writes (derived search_text, date precision, ...).
    plan = validate_import(
        parsed, model, store, ImportOptions(), dataset_id_for(source.sha256, ImportOptions())
    )
    queries = store.queries
    conn = store.connection
    driver = GraphDatabase.driver(conn.uri, auth=conn.write_auth)
    try:
        begun = time.perf_counter()
        with driver.session(database=conn.database) as session:
            tx = session.begin_transaction(timeout=36_000)
            # The importer's batches (rows and text bounded: Bolt refuses 16 MiB messages).
            for name, rows in _by_query("create_nodes", plan.new_nodes).items():
                for batch in _write_batches(rows):
                    tx.run(queries[name].body, rows=batch).consume()
            nodes_done = time.perf_counter()
            for name, rows in _by_query("create_relationships", plan.new_relationships).items():
                for batch in _write_batches(rows):
                    tx.run(queries[name].body, rows=batch).consume()
            rels_done = time.perf_counter()
            tx.commit()
        end = time.perf_counter()
    finally:
        driver.close()
    return {
        "nodes": len(plan.new_nodes),
        "relationships": len(plan.new_relationships),
        "read_s": read_s,
        "nodes_s": nodes_done - begun,
        "relationships_s": rels_done - nodes_done,
        "commit_s": end - rels_done,
        "write_s": end - begun,
        "total_s": read_s + (end - begun),  # what a raw script pays: parse, then write
    }


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    """JSON-representable values for GraphBatch's bulk path (a `<date>_day` as ISO text)."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in props.items()}


def bulk(data: Path, heap: str, workdir: Path) -> dict[str, Any]:
    """ArcadeDB's own bulk path: GraphBatch in this process on a fresh embedded database (no
    server, no Bolt, no Cypher, no transaction around the whole load). Vertex types are
    the composite types ArcadeDB's Cypher gives multi-label nodes (Entity~Person), with a
    unique index on id; the rows are the same as `raw` writes."""
    import arcadedb_embedded as arcadedb
    from arcadedb_embedded import jvm

    jvm.start_jvm(heap_size=heap)
    model = load_model()
    started = time.perf_counter()
    source = ImportSource.from_path(data)
    parsed = read_import(source, model)
    read_s = time.perf_counter() - started
    # The plan without a store: every row is new in an empty database (untimed, as in raw).
    plan = _offline_plan(parsed, model)
    db = arcadedb.create_database(str(workdir / "bulk-db"))
    try:
        schema = db.schema
        types: dict[str, str] = {}
        for label in model.node_labels:
            name = "~".join(sorted(model.labels_of(label)))
            schema.create_vertex_type(name)
            schema.create_property(name, "id", "STRING")
            schema.create_index(name, ["id"], unique=True)
            types[label] = name
        for rel_type in model.relationship_types:
            schema.create_edge_type(rel_type)
        begun = time.perf_counter()
        rids: dict[str, str] = {}
        by_label: dict[str, list[dict[str, Any]]] = {}
        for row in plan.new_nodes:
            by_label.setdefault(row["label"], []).append(row["props"])
        by_type: dict[str, list[dict[str, Any]]] = {}
        for row in plan.new_relationships:
            by_type.setdefault(row["type"], []).append(row)
        with db.graph_batch(expected_edge_count=len(plan.new_relationships)) as batch:
            for label, rows in by_label.items():
                made = batch.create_vertices(types[label], [_plain(r) for r in rows])
                rids.update(zip((r["id"] for r in rows), made, strict=True))
            nodes_done = time.perf_counter()
            for rel_type, rows in by_type.items():
                batch.new_edges(
                    [rids[r["from"]] for r in rows],
                    rel_type,
                    [rids[r["to"]] for r in rows],
                    properties=[_plain(r["props"]) for r in rows],
                )
            batch.flush()
        end = time.perf_counter()
        count = db.count_type("ASSOCIATE")
    finally:
        db.close()
    return {
        "nodes": len(plan.new_nodes),
        "relationships": len(plan.new_relationships),
        "associate_edges_stored": count,
        "read_s": read_s,
        "nodes_s": nodes_done - begun,
        "relationships_s": end - nodes_done,
        "commit_s": 0.0,
        "write_s": end - begun,
        "total_s": read_s + (end - begun),
    }


def _offline_plan(parsed: Any, model: Any) -> Any:
    """validate_import against an empty graph, without a database: a store stub that knows
    no ids (every record is new)."""

    class _Empty:
        engine = "none"

        def run(self, name: str, params: dict[str, Any] | None = None) -> list[Any]:
            return []

    options = ImportOptions()
    return validate_import(
        parsed,
        model,
        _Empty(),
        options,
        dataset_id_for(parsed.sha256, options),  # type: ignore[arg-type]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["ours", "raw", "bulk"])
    parser.add_argument("data", type=Path)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--heap", default="1g")
    args = parser.parse_args()
    if args.kind == "bulk":
        figures = bulk(args.data, args.heap, args.data_dir)
        figures["kind"] = "bulk"
        figures["peak_rss_mb"] = peak_rss_mb()  # this process holds the engine here
        print(json.dumps(figures))
        os._exit(0)  # JPype's exit hooks can crash after the database is closed
    settings = Settings(data_dir=args.data_dir, neo4j_uri=None, engine_heap=args.heap)
    with EngineHandle(settings) as engine:
        store = Store(engine.connection, load_queries(settings), 36_000, 1.0)
        try:
            store.apply_schema(settings.cypher_dir / "schema")
            figures = ours(store, args.data) if args.kind == "ours" else raw(store, args.data)
        finally:
            store.close()
    figures["kind"] = args.kind
    figures["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
