"""Duplicate candidates and contradictions on a graph of the seed plus N synthetic entities.

    .venv/bin/python benchmarks/resolution.py [--entities 10000]

Starts its own embedded engine in a temporary data dir, loads the seed, adds N synthetic
people, organisations and events (names drawn from small vocabularies, so many share words,
and one in twenty a misspelt or reordered copy of another), then times the candidate list,
the contradictions, and one merge and its undo. Never run as a test: numbers move with the
machine's load.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from graph.core.settings import Settings
from graph.core.text import search_text, stable_id
from graph.db.engine import EmbeddedEngine
from graph.db.service import open_store
from graph.db.store import WriteStep
from graph.growth import contradictions, resolution
from graph.model.schema import load_model
from seed.loader import load_seed


def words(text: str) -> list[str]:
    return text.split()


FIRST = words(
    "Ali Anna Bruno Chen Dario Elena Farid Giulia Hugo Ines Jan Karim Lea Marco Nadia Omar"
)
LAST = words("Amrani Bianchi Costa Dubois Esposito Fontaine Garcia Haddad Ivanov Jansen Khan Lopez")
ORG = words("Atlas Nova Orion Delta Sigma Vega Polar Terra Lumen Kappa Zenit Aurora")
KIND = words("Logistics Trading Holdings Transport Imports Security Telecom Shipping")
PLACE = words("Marseille Lyon Lille Nantes Nice Rennes Toulouse Bordeaux Paris Rouen")


def misspell(name: str, rng: random.Random) -> str:
    words = name.split()
    if rng.random() < 0.5 and len(words) > 1:
        return " ".join(reversed(words))
    word = rng.choice([i for i, w in enumerate(words) if not w.isdigit()])
    text = words[word]
    cut = rng.randrange(1, len(text))
    words[word] = text[:cut] + text[cut - 1] + text[cut:]  # a doubled letter
    return " ".join(words)


def synthetic(
    count: int, source: str, rng: random.Random
) -> tuple[list[dict[str, Any]], set[frozenset[str]]]:
    """Rows for upsert_nodes, and the planted pairs (a record and its altered copy)."""
    rows: list[dict[str, Any]] = []
    names: list[tuple[str, str, str]] = []
    planted: set[frozenset[str]] = set()
    dates: dict[str, str] = {}
    for number in range(count):
        original_id = ""
        if names and rng.random() < 0.05:
            label, original, original_id = rng.choice(names)
            name = misspell(original, rng)
            planted.add(frozenset((original_id, stable_id(label.lower(), f"bench-{number}"))))
        else:
            label = rng.choice(["Person", "Company", "Attack"])
            if label == "Person":
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {number}"
            elif label == "Company":
                name = f"{rng.choice(ORG)} {rng.choice(KIND)} {rng.choice(PLACE)} {number}"
            else:
                name = f"Attack on {rng.choice(PLACE)} depot {number}"
            names.append((label, name, stable_id(label.lower(), f"bench-{number}")))
        entity_id = stable_id(label.lower(), f"bench-{number}")
        props: dict[str, Any] = {
            "id": entity_id,
            "name": name,
            "search_text": search_text(name),
            "source_ids": [source],
            "quote": "benchmark",
            "quotes": ["benchmark"],
            "confidence": 50,
            "reliability": "F",
            "credibility": 6,
        }
        if label == "Attack":
            day = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            dates[entity_id] = dates.get(original_id, day)  # a copy keeps its original's date
            props.update(date=dates[entity_id], date_precision="day")
        rows.append({"id": entity_id, "label": label, "props": props})
    return rows, planted


def timed(label: str, work: Any) -> Any:
    started = time.perf_counter()
    result = work()
    print(f"{label:36} {time.perf_counter() - started:8.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    model = load_model()
    with tempfile.TemporaryDirectory(prefix="crimegraph-bench-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), neo4j_uri=None)
        try:
            with open_store(settings) as store:
                load_seed(store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
                rows, planted = synthetic(args.entities, "bench-source", random.Random(args.seed))
                timed(
                    f"load {args.entities} entities",
                    lambda: store.write_transaction(
                        [
                            WriteStep("upsert_nodes", {"rows": rows[i : i + 500]})
                            for i in range(0, len(rows), 500)
                        ]
                    ),
                )
                records = timed("read live entities", lambda: resolution.live_records(store, model))
                found = timed(
                    "candidates (score in Python)",
                    lambda: resolution.find_candidates(model, records),
                )
                timed("candidates (read + score)", lambda: resolution.candidates(store, model))
                pairs = {frozenset((c.left.id, c.right.id)) for c in found}
                print(
                    f"{len(records)} live entities, {len(found)} candidate pairs >= 0.5; "
                    f"{len(planted & pairs)} of the {len(planted)} planted duplicates found"
                )
                for candidate in found[:5]:
                    print(f"  {candidate.score}  {candidate.left.name} / {candidate.right.name}")
                timed("contradictions", lambda: contradictions.find(store, model))
                top = found[0]
                decision = timed(
                    "decide same (merge)",
                    lambda: resolution.decide(
                        store, model, top.left.id, top.right.id, "same", "bench"
                    ),
                )
                timed(
                    "undo (split)", lambda: resolution.undo(store, model, decision["id"], "bench")
                )
        finally:
            EmbeddedEngine.from_settings(settings).stop()


if __name__ == "__main__":
    main()
