"""Import throughput: a generated 100k-row FtM file into a fresh embedded engine.

    .venv/bin/python benchmarks/import_throughput.py [--rows 100000] [--out FILE.md]

Generates a deterministic plain FollowTheMoney file (no crimegraph extension key, so the
FtM mapping is measured too): one source Document, then people and organizations (40% of
the rows), then memberships, associations and UnknownLink relationships (60%), each row
citing the document (`proof`) with a quote (`summary`). Starts its own embedded engine in a
temporary data dir, imports the file once (one transaction) and reports rows/s for
reading, validating, writing and in total; then exports the graph again as FtM (rows/s).
Never run as a test: these machines are shared, and numbers move with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.core.settings import Settings
from graph.db.engine import EmbeddedEngine, EngineHandle
from graph.db.service import load_queries
from graph.db.store import Store
from graph.growth.imports import export_graph, render_export, run_import
from graph.model.schema import load_model

DOC = "document-bench-source"
TEXT = "A generated source document: every generated entity and link cites it."


def entity(entity_id: str, schema: str, **props: Any) -> dict[str, Any]:
    values = {k: v if isinstance(v, list) else [v] for k, v in props.items()}
    values.update(proof=[DOC], summary=[f"{schema} {entity_id} as the source states it"])
    return {"id": entity_id, "schema": schema, "properties": values}


def generate(rows: int) -> bytes:
    """`rows` FtM entities, the same bytes every time."""
    nodes = rows * 2 // 5 - 1  # the document is a node too
    people = nodes * 3 // 4
    orgs = nodes - people
    links = rows - 1 - nodes
    lines = [
        {
            "id": DOC,
            "schema": "Document",
            "properties": {
                "title": ["Generated source"],
                "bodyText": [TEXT],
                "retrievedAt": ["2026-11-22"],
            },
        }
    ]
    for i in range(people):
        lines.append(
            entity(
                f"bench-person-{i}",
                "Person",
                name=f"Person {i}",
                alias=[f"P{i}", f"Alias {i % 97}"],
                nationality="fr",
            )
        )
    for i in range(orgs):
        keywords = ["CriminalNetwork"] if i % 3 == 0 else []
        lines.append(
            entity(f"bench-org-{i}", "Organization", name=f"Network {i}", keywords=keywords)
        )
    for i in range(links):
        person = f"bench-person-{(i * 7919) % people}"
        kind = i % 3
        if kind == 0:
            lines.append(
                entity(
                    f"bench-membership-{i}",
                    "Membership",
                    member=person,
                    organization=f"bench-org-{(i * 31) % orgs}",
                    role="member",
                )
            )
        elif kind == 1:
            lines.append(
                entity(
                    f"bench-associate-{i}",
                    "Associate",
                    person=person,
                    associate=f"bench-person-{(i * 104729 + 1) % people}",
                )
            )
        else:
            lines.append(
                entity(
                    f"bench-supplier-{i}",
                    "UnknownLink",
                    subject=f"bench-org-{(i * 17) % orgs}",
                    object=person,
                    role="SUPPLIER_OF",
                )
            )
    return "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="FtM entities in the file")
    parser.add_argument("--out", type=Path, help="also write the result to this Markdown file")
    args = parser.parse_args()
    data = generate(args.rows)
    model = load_model()
    print(f"generated {args.rows} rows, {len(data) / 1e6:.1f} MB", flush=True)

    with tempfile.TemporaryDirectory(prefix="crimegraph-bench-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), neo4j_uri=None)
        try:
            with (
                EngineHandle(settings) as engine,
                Store(engine.connection, load_queries(settings), 120.0) as store,
            ):
                store.apply_schema(settings.cypher_dir / "schema")
                result = run_import(
                    store,
                    model,
                    data,
                    file_name="bench.ftm.jsonl",
                    imported_by="benchmark",
                    progress=lambda message: print(f"  {message}", flush=True),
                    timeout=settings.import_timeout,
                )
                started = time.monotonic()
                snapshot = export_graph(store)
                exported, _, _ = render_export(snapshot, "ftm", model)
                export_seconds = time.monotonic() - started
        finally:
            EmbeddedEngine.from_settings(settings).stop()

    ds, seconds = result.dataset, result.seconds
    assert ds["nodes"] + ds["relationships"] == args.rows
    assert len(exported.splitlines()) == args.rows
    table = (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}), "
        f"embedded ArcadeDB ({settings.engine_heap} heap), fresh database, "
        f"{args.rows} FtM rows ({ds['nodes']} nodes, {ds['relationships']} relationships), "
        "one transaction.\n\n"
        "| step | seconds | rows/s |\n|---|---:|---:|\n"
        + "".join(
            f"| {step} | {seconds[step]:.1f} | {args.rows / max(seconds[step], 1e-9):,.0f} |\n"
            for step in ("read", "validate", "write", "total")
        )
        + f"| export (FtM) | {export_seconds:.1f} | {args.rows / export_seconds:,.0f} |\n"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table, encoding="utf-8")
    print()
    print(table)


if __name__ == "__main__":
    main()
