"""Relationships a sentence states between two entities it names, proposed for review.

"Vexaro Transport resold miniature mobile phones": two linked entities with a recognisable
verb or pattern between them, and nothing else linked in between, suggest a relationship
of a type graph/model/model.yaml allows between their labels. A suggestion is data, never a
fact: it carries its sentence as the quote and a low confidence, and an analyst decides.

The patterns are words of English and French (folded: no accents, lower case), each with
the relationship types it may mean in order of preference and its direction: `forward`
when the first-named entity is the source ("X resold Y"), not when it is the target
("X, dirigé par Y": Y holds a post at X).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.growth.linking import fold_name
from graph.model.schema import Model

SUGGESTION_CONFIDENCE = 40  # below DEFAULT_CONFIDENCE: a pattern read from one sentence
MAX_GAP_WORDS = 8  # words between the two names; further apart, the verb may link others


@dataclass(frozen=True)
class Pattern:
    words: re.Pattern[str]
    types: tuple[str, ...]
    forward: bool = True
    properties: dict[str, str] = field(default_factory=dict)


def _pattern(words: str, *types: str, forward: bool = True, **properties: str) -> Pattern:
    return Pattern(re.compile(r"\b(?:" + words + r")\b"), types, forward, properties)


PATTERNS: tuple[Pattern, ...] = (
    _pattern(
        r"arrested in|arrete en|arrete a|arretee en|arretee a|interpelle en|interpelle a",
        "OCCURRED_AT",
        "DESTINATION",
    ),
    _pattern(
        r"resold|resells|resell|revendu|revendus|revendues|revend|revendait",
        "RESOLD",
        "SUPPLIER_OF",
    ),
    _pattern(
        r"supplied|supplies|sold|sells|fourni|fournit|vendu|vendus|vend|vendait",
        "SUPPLIED",
        "SUPPLIER_OF",
    ),
    _pattern(
        r"attacked|attacks|targeted|targets|attaque|attaquee|attaquent|vise|visait|visaient|cible",
        "TARGETED",
    ),
    _pattern(r"escaped from|s est evade de|s est evadee de|evade de|fled from", "DETAINED_AT"),
    _pattern(
        r"detained at|detained in|held at|held in|imprisoned at|imprisoned in|jailed in"
        r"|detenu a|detenue a|incarcere a|incarceree a|emprisonne a",
        "DETAINED_AT",
    ),
    _pattern(
        r"blamed on|attributed to|attribue a|attribuee a|attribues a|attribuees a"
        r"|impute a|imputee a|imputees a",
        "ATTRIBUTED_TO",
    ),
    # "X est derrière Y", "X was behind Y": Y is attributed to X.
    _pattern(
        r"is behind|was behind|are behind|were behind|est derriere|sont derriere|serait derriere",
        "ATTRIBUTED_TO",
        forward=False,
    ),
    _pattern(
        r"member of|members of|membre de|membre du|membres de|membres du|belongs to|belonged to"
        r"|appartient a|appartenait a",
        "MEMBERSHIP",
    ),
    _pattern(
        r"extradited to|extrade vers|extradee vers|extrade en|extradee en|transferred to",
        "DESTINATION",
    ),
    _pattern(
        r"led by|headed by|run by|dirige par|dirigee par|dirigees par|dirigee par",
        "EMPLOYMENT",
        forward=False,
        role="head",
    ),
    _pattern(
        r"works for|worked for|employed by|travaille pour|travaillait pour|employe par",
        "EMPLOYMENT",
        role="employee",
    ),
    _pattern(r"searched|perquisitionne|fouille|fouilles", "SEARCHED"),
    _pattern(r"seized|saisi|saisis|saisies", "SEIZED"),
    _pattern(r"based in|located in|situe a|situee a|basee a|base a", "LOCATED_IN"),
    _pattern(r"owns|owned|possede|possedait", "OWNERSHIP"),
    _pattern(r"helped|aided|assisted|aide|aidee|a aide", "ASSOCIATE", relationship="helped"),
)


@dataclass(frozen=True)
class Mention:
    """One linked name in the text: where, and which entity (id, name, labels)."""

    start: int
    end: int
    sentence_start: int
    quote: str
    entity_id: str
    name: str
    labels: tuple[str, ...]


def suggest(text: str, mentions: Sequence[Mention], model: Model) -> list[dict[str, Any]]:
    """Relationship suggestions, one per (source, type, target), in text order."""
    ordered = sorted(mentions, key=lambda m: (m.start, m.end))
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for first, second in itertools.pairwise(ordered):
        if first.sentence_start != second.sentence_start or first.entity_id == second.entity_id:
            continue
        between = fold_name(text[first.end : second.start])
        if len(between.split()) > MAX_GAP_WORDS:
            continue
        for pattern in PATTERNS:
            cue = pattern.words.search(between)
            if cue is None:
                continue
            source, target = (first, second) if pattern.forward else (second, first)
            allowed = next(
                (t for t in pattern.types if _allows(model, t, source.labels, target.labels)), None
            )
            if allowed is None:
                continue
            key = (source.entity_id, allowed, target.entity_id)
            found.setdefault(
                key,
                {
                    "from_id": source.entity_id,
                    "from_name": source.name,
                    "type": allowed,
                    "to_id": target.entity_id,
                    "to_name": target.name,
                    "properties": dict(pattern.properties),
                    "quote": first.quote,
                    "cue": cue.group(0),
                    "confidence": SUGGESTION_CONFIDENCE,
                    "status": "suggestion",
                },
            )
            break
    return list(found.values())


def _allows(model: Model, rel_type: str, source: Sequence[str], target: Sequence[str]) -> bool:
    spec = model.spec.relationships.get(rel_type)
    if spec is None:
        return False
    return bool(set(spec.from_) & set(source)) and bool(set(spec.to) & set(target))
