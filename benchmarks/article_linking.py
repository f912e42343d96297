"""Linking a one-page article against a graph of size S or M: `graph.ingest.ingest` timed.

    .venv/bin/python -m benchmarks.article_linking DATASET [--rounds 30] [--heap 2g]

DATASET is a directory written by `crimegraph generate --size S|M --seed 1` (CSV). Only its
node files are imported (the linker reads names, not links; the relationships would take
minutes to import and change nothing here), into a fresh embedded engine. Then:

- `cold`: the first ingest after start, which reads every linkable entity and builds the
  Aho-Corasick automaton;
- `warm`: `--rounds` ingests of different one-page articles (the same page with a round
  number, so each is a new document) with the matcher kept: the names stamp query, the
  scan, the candidates, the suggestions and the write transaction;
- `warm_queries`: each database call of the warm ingests;
- `stamp`: the `linkable_names_stamp` query alone; `link_without_writing`: the kept
  matcher (with its check), the scan and the candidates, without the write.

Prints one JSON object (milliseconds; median and p99 over the rounds).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from graph.core.settings import Settings
from graph.db.service import open_store
from graph.growth import ingest as ingestion
from graph.growth.imports import ImportSource, run_import
from graph.growth.linking import propose_candidates, split_sentences
from graph.model.schema import load_model

PAGE = (
    """Prison attacks: a new suspect
{person_a}, 41, was arrested in {city} last month, police said on Tuesday. She ran Vexaro
Transport, a small company in {city}, which resold miniature phones to inmates at
{facility}. Prosecutors said {person_b} had been detained at {facility} before the escape
in May last year, and that {network} was behind the attacks on several prisons.
Le Monde reported that the group, nicknamed "La Mouche", paid {person_c} in cash.
According to prosecutor {person_d}, the phones came through {company}. Officials at
{facility} declined to comment; the Justice Ministry said searches would continue in
{city} and across the country. {person_a} denies the charges. Round {round}.
"""
    * 3
)  # about one page: 3 x 90 words


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _timed(function: Callable[[], object]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


def _names(dataset: Path, label: str, count: int) -> list[str]:
    lines = (dataset / f"{label}.csv").read_text(encoding="utf-8").splitlines()[1 : count + 1]
    return [line.split(",")[1].strip('"') for line in lines]


def _link(store: Any, model: Any, text: str) -> None:
    """What ingest does before it writes: the kept matcher (after its check), the scan,
    the candidates."""
    linker = ingestion.LINKERS.get(store, model)[0]
    propose_candidates(text, split_sentences(text), linker.scan(text), linker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--heap", default="2g")
    args = parser.parse_args()

    nodes_only = Path(tempfile.mkdtemp(prefix="crimegraph-article-nodes-"))
    for path in args.dataset.glob("*.csv"):
        if not path.stem.isupper():  # node files are named by label, relationships by TYPE
            shutil.copy(path, nodes_only / path.name)
    data_dir = Path(tempfile.mkdtemp(prefix="crimegraph-article-engine-"))
    # The cold read of every name outlasts the default 15 s query timeout at M on a busy machine.
    settings = Settings(data_dir=data_dir, neo4j_uri=None, engine_heap=args.heap, query_timeout=300)
    model = load_model()
    try:
        with open_store(settings) as store:
            import_ms, imported = _timed(
                lambda: run_import(store, model, ImportSource.from_path(nodes_only), timeout=3600)
            )
            people = _names(args.dataset, "Person", 4)
            values = {
                "person_a": people[0],
                "person_b": people[1],
                "person_c": people[2],
                "person_d": people[3],
                "city": _names(args.dataset, "Location", 1)[0],
                "facility": _names(args.dataset, "Facility", 1)[0],
                "network": _names(args.dataset, "CriminalNetwork", 1)[0],
                "company": _names(args.dataset, "Company", 1)[0],
            }
            ingestion.LINKERS.clear()
            cold_ms, first = _timed(
                lambda: ingestion.ingest(store, model, PAGE.format(round=0, **values))
            )
            warm, stamp, linking = [], [], []
            spent: dict[str, list[float]] = {}
            run, write = store.run, store.write_transaction

            def timed_run(name: str, params: Any = None) -> Any:
                elapsed, rows = _timed(partial(run, name, params))
                spent.setdefault(name, []).append(elapsed)
                return rows

            def timed_write(steps: Any, **options: Any) -> Any:
                elapsed, rows = _timed(partial(write, steps, **options))
                spent.setdefault("write_transaction", []).append(elapsed)
                return rows

            for number in range(1, args.rounds + 1):
                text = PAGE.format(round=number, **values)
                store.run, store.write_transaction = timed_run, timed_write  # type: ignore[method-assign, assignment]
                warm.append(_timed(partial(ingestion.ingest, store, model, text))[0])
                store.run, store.write_transaction = run, write  # type: ignore[method-assign]
                stamp.append(_timed(partial(store.run, "linkable_names_stamp"))[0])
                linking.append(_timed(partial(_link, store, model, text))[0])
            entities = store.run("linkable_names_stamp")[0]["entities"]
    finally:
        shutil.rmtree(nodes_only, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "median": round(statistics.median(values), 1),
            "p99": round(_percentile(values, 0.99), 1),
        }

    print(
        json.dumps(
            {
                "dataset": str(args.dataset),
                "linkable_entities": entities,
                "imported": imported.dataset.get("counts") or imported.seconds,
                "import_s": round(import_ms / 1000, 1),
                "article_chars": len(PAGE.format(round=0, **values)),
                "linked_in_first": len(first.linked),
                "cold_ms": round(cold_ms, 1),
                "warm_ms": summary(warm),
                "stamp_ms": summary(stamp),
                "link_without_writing_ms": summary(linking),
                "warm_queries_ms": {name: summary(times) for name, times in spent.items()},
                "rounds": args.rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
