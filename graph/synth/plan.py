"""What a generated graph holds, decided before anything is written: sizes and budgets,
the dates, and the claims of one network with the documents that state them (Chunk)."""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.core.text import MONTHS

if TYPE_CHECKING:
    from graph.synth.generate import Generator

SIZES: dict[str, tuple[int, int]] = {
    "XS": (500, 2_500),
    "S": (10_000, 50_000),
    "M": (100_000, 1_000_000),
    "L": (1_000_000, 10_000_000),
}
FORMATS = ("csv", "ftm", "admin")
RETRIEVED = "2026-07-01"  # fixed, so the output does not depend on the day it is generated
FIRST_DAY = date(2018, 1, 1)
DAYS = (date(2025, 12, 31) - FIRST_DAY).days
MENTION_SHARE = 0.22  # of the relationships beyond the structural ones; the rest: associates
DOC_SHARE = 0.05  # documents as a share of the nodes
Progress = Callable[[str], None]

# Node budgets as shares of the nodes (with minimums for the tiny test size); people take
# what is left (about 79%).
SHARES: dict[str, tuple[float, int]] = {
    "location": (0.004, 15),
    "facility": (0.006, 10),
    "body": (0.002, 4),
    "company": (0.004, 4),
    "asset": (0.012, 10),
    "network": (0.01, 5),
    "attack": (0.04, 12),
    "wave": (0.004, 2),
    "escape": (0.004, 2),
    "arrest": (0.03, 8),
    "seizure": (0.03, 8),
    "operation": (0.008, 2),
    "measure": (0.002, 1),
}
# Expected structural relationships per node of the kind (see the chunk code): what is left
# of the relationship budget goes to associations and mentions.
STRUCTURAL = {
    "person": 1.45,
    "attack": 4.6,
    "wave": 1.0,
    "escape": 4.0,
    "arrest": 3.2,
    "seizure": 4.0,
    "operation": 9.0,
    "measure": 2.0,
    "network": 6.0,
    "company": 3.0,
    "facility": 1.0,
    "location": 1.0,
    "asset": 0.3,
}

MASK = (1 << 64) - 1


def mix(value: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread hash of an integer (for names by index)."""
    value = (value + 0x9E3779B97F4A7C15) & MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
    return value ^ (value >> 31)


def day_at(offset: int) -> date:
    return FIRST_DAY + timedelta(days=max(0, min(DAYS, offset)))


def partial_date(day: date, precision: str) -> str:
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def shown_date(day: date, precision: str) -> str:
    if precision == "year":
        return f"in {day.year}"
    if precision == "month":
        return f"in {MONTHS[day.month - 1]} {day.year}"
    return f"on {day.day} {MONTHS[day.month - 1]} {day.year}"


# --- the plan: what exists, decided before anything is written ---------------------------------


@dataclass
class PlannedDoc:
    id: str
    title: str
    kind: str
    reliability: str
    credibility: int
    published: str
    sentences: dict[str, None] = field(default_factory=dict)  # ordered, without repeats
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (entity id, sentence)


@dataclass
class PlannedNetwork:
    index: int
    id: str
    name: str
    size: int
    first_person: int
    isolated: bool
    events: dict[str, int] = field(default_factory=dict)


@dataclass
class Named:
    id: str
    name: str
    label: str
    country: int = 0


@dataclass
class GenerateResult:
    size: str
    seed: int
    format: str
    output: Path | None
    nodes: Counter[str]
    relationships: Counter[str]
    bytes: int
    seconds: float
    probes: dict[str, Any]

    def manifest(self) -> dict[str, Any]:
        return {
            "generator": "crimegraph generate",
            "size": self.size,
            "seed": self.seed,
            "format": self.format,
            "nodes": sum(self.nodes.values()),
            "relationships": sum(self.relationships.values()),
            "labels": dict(sorted(self.nodes.items())),
            "types": dict(sorted(self.relationships.items())),
            "bytes": self.bytes,
            "probes": self.probes,
        }


def budget(nodes: int, kind: str) -> int:
    share, minimum = SHARES[kind]
    return max(minimum, round(nodes * share))


def spread(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to the weights, by randomised rounding (sums near total)."""
    whole = sum(weights) or 1.0
    counts = []
    for weight in weights:
        exact = total * weight / whole
        base = math.floor(exact)
        counts.append(base + (1 if rng.random() < exact - base else 0))
    return counts


class Chunk:
    """The claims of one network (or of the world) and the documents that state them."""

    def __init__(
        self, gen: Generator, rng: random.Random, key: str, docs: list[PlannedDoc]
    ) -> None:
        self.gen = gen
        self.rng = rng
        self.key = key  # "w" for the world, "n<index>" for a network
        self.docs = docs
        self.seq = 0
        self.seen: set[tuple[str, str, str]] = set()

    def cite(self, sentence: str, *entities: str) -> dict[str, Any]:
        """Provenance for one claim: a document of this chunk states the sentence (a second
        one corroborates about one claim in ten)."""
        rng = self.rng
        doc = self.docs[rng.randrange(len(self.docs))]
        doc.sentences[sentence] = None
        for entity in entities:
            doc.mentions.append((entity, sentence))
        sources = [doc.id]
        if len(self.docs) > 1 and rng.random() < 0.1:
            second = self.docs[rng.randrange(len(self.docs))]
            if second is not doc:
                second.sentences[sentence] = None
                sources.append(second.id)
        return {
            "source_ids": sources,
            "quote": sentence,
            "quotes": [sentence],
            "confidence": min(100, max(5, round(rng.gauss(68, 15)))),
            "reliability": doc.reliability,
            "credibility": doc.credibility,
        }

    def finish(self, mentions: int) -> None:
        """Write the documents (now that their text is known) and up to `mentions` MENTIONS,
        each quoting a sentence of the document that names the entity."""
        gen = self.gen
        rng = self.rng
        written = [d for d in self.docs if d.sentences]
        for doc in written:
            text = " ".join(doc.sentences)
            first = next(iter(doc.sentences))
            gen.node(
                "Document",
                {
                    "id": doc.id,
                    "name": doc.title,
                    "title": doc.title,
                    "publisher": gen.publisher(rng, doc.kind),
                    "published": doc.published,
                    "retrieved": RETRIEVED,
                    "content_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    "text": text,
                    "language": "en",
                    "source_ids": [doc.id],
                    "quote": first,
                    "quotes": [first],
                    "confidence": 90,
                    "reliability": doc.reliability,
                    "credibility": doc.credibility,
                },
            )
        pool = [(doc, entity, sentence) for doc in written for entity, sentence in doc.mentions]
        if mentions <= 0 or not pool:
            return
        chosen = rng.sample(range(len(pool)), k=min(len(pool), mentions * 2))
        made = 0
        for at in chosen:
            if made >= mentions:
                break
            doc, entity, sentence = pool[at]
            if gen.rel(
                self,
                "MENTIONS",
                doc.id,
                entity,
                {
                    "source_ids": [doc.id],
                    "quote": sentence,
                    "quotes": [sentence],
                    "confidence": 90,
                    "reliability": doc.reliability,
                    "credibility": doc.credibility,
                },
            ):
                made += 1
