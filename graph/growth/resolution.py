"""Entity resolution: duplicate candidates, analysts' decisions kept as data, merge and undo.

Candidates: live entities (documents and merged-away entities aside) are blocked by the
words of their names and aliases, paired when their labels can denote the same thing (the
same label, or one an ancestor of the other in graph/model/model.yaml: Organization and Company,
Event and Attack; never Person and Organization), and scored 0-1 with the reasons in words.

Decisions: an analyst's judgement on a pair (same, not_same, unsure) is a `:Decision`
record. `same` merges without deleting: the canonical entity A takes every relationship of
B (same id, same properties), B's names as aliases and B's sources; B stays as a node with
`merged_into = A.id` and no search text. The decision keeps the exact state before the
merge, so an undo restores the graph as it was, and refuses (409) when later work builds on
the merge. Each merge and each undo is one write transaction.
"""

from __future__ import annotations

import calendar
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from rapidfuzz import fuzz
from rigour.names import remove_org_types

from graph.access import visibility
from graph.core.errors import Conflict, InvalidInput, NotFound
from graph.core.text import fold, search_text, stable_id
from graph.db.store import Row, Store, WriteStep
from graph.model.schema import Model

Judgement = Literal["same", "not_same", "unsure"]
JUDGEMENTS: tuple[str, ...] = ("same", "not_same", "unsure")

MIN_NAME_SIMILARITY = 0.6  # below this, two names are not worth an analyst's time
CLOSE_SPELLING = 85  # rapidfuzz ratio at which two words count as one spelled differently
MAX_BLOCK = 300  # a name word shared by more entities than this is too common to pair on
# Share of two names' blocking-key weight they must have in common to be scored at all
# (the score itself needs 0.6 / 0.9 of the words' weight; the slack is for close spellings).
PREFILTER = 0.6
DEFAULT_MIN_SCORE = 0.5
# Words that carry no identity on their own ("Attack on Fresnes" vs "Attack at Fresnes").
STOPWORDS = frozenset(
    {"a", "an", "and", "at", "by", "de", "des", "du", "et", "for", "from", "in", "into"}
    | {"la", "le", "les", "of", "on", "the", "to", "with"}
)
_QUALIFIER = re.compile(r"\([^)]*\)|\[[^\]]*\]")  # "(April 2024 report)": a disambiguator
# Properties a merge never copies from B to A: identity, search and resolution bookkeeping.
_OWN = frozenset({"id", "name", "search_text", "merged_into", "merged_ids"})
_UNION = ("source_ids", "quotes", "dataset_ids")


# --- names ------------------------------------------------------------------------------


def name_tokens(name: str, organisation: bool = False) -> list[str]:
    """The identifying words of a name: folded, without bracketed qualifiers, function
    words and (for organisations) legal forms such as "SARL" or "Ltd"."""
    core = fold(_QUALIFIER.sub(" ", name)) or fold(name)
    if organisation:
        core = remove_org_types(core).strip() or core
    words = core.split()
    return [w for w in words if w not in STOPWORDS] or words


def fingerprint(tokens: Iterable[str]) -> str:
    """Word order and repetition aside: "Amra Mohamed" and "Mohamed Amra" are one name."""
    return " ".join(sorted(set(tokens)))


@dataclass(frozen=True)
class _Name:
    text: str
    primary: bool
    tokens: str
    fingerprint: str


@dataclass(frozen=True)
class Record:
    """One live entity as duplicate detection sees it."""

    id: str
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    date: str | None = None
    nationality: str | None = None
    country: str | None = None
    source_ids: tuple[str, ...] = ()
    dataset_ids: tuple[str, ...] = ()
    neighbours: frozenset[str] = frozenset()
    names: tuple[_Name, ...] = field(default=(), compare=False)

    def ref(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "aliases": list(self.aliases),
            "date": self.date,
            "source_ids": list(self.source_ids),
            "dataset_ids": list(self.dataset_ids),
        }


def concrete_label(model: Model, labels: Iterable[str]) -> str:
    """The most specific model label among a node's labels (Attack for Entity:Event:Attack)."""
    known = [label for label in labels if label in model.spec.nodes]
    if not known:
        return model.root_label
    return max(known, key=lambda label: (len(model.labels_of(label)), label))


def labels_compatible(model: Model, left: str, right: str) -> bool:
    """Whether two labels can denote one thing: the same, or one a kind of the other."""
    return model.is_a(left, right) or model.is_a(right, left)


def make_record(model: Model, row: Row) -> Record:
    label = concrete_label(model, row["labels"])
    organisation = model.is_a(label, "Organization")
    texts = [(row["name"] or row["id"], True)] + [(a, False) for a in row.get("aliases") or []]
    names: list[_Name] = []
    seen: set[str] = set()
    for text, primary in texts:
        tokens = name_tokens(text, organisation)
        if not tokens:
            continue
        print_ = fingerprint(tokens)
        if print_ in seen:
            continue
        seen.add(print_)
        names.append(_Name(text, primary, " ".join(tokens), print_))
    return Record(
        id=row["id"],
        name=row["name"] or row["id"],
        label=label,
        aliases=tuple(row.get("aliases") or ()),
        date=row.get("date"),
        nationality=row.get("nationality"),
        country=row.get("country"),
        source_ids=tuple(row.get("source_ids") or ()),
        dataset_ids=tuple(row.get("dataset_ids") or ()),
        neighbours=frozenset(row.get("neighbour_ids") or ()),
        names=tuple(names),
    )


# --- dates ------------------------------------------------------------------------------

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def period(value: str) -> tuple[date, date] | None:
    """The days a partial ISO date covers: "2024-04" is April 1 to April 30, 2024."""
    match = _PARTIAL.match(value or "")
    if match is None:
        return None
    year, month, day = match.groups()
    try:
        if day is not None:
            one = date(int(year), int(month), int(day))
            return one, one
        if month is not None:
            last = calendar.monthrange(int(year), int(month))[1]
            return date(int(year), int(month), 1), date(int(year), int(month), last)
        return date(int(year), 1, 1), date(int(year), 12, 31)
    except ValueError:
        return None


def overlaps(left: tuple[date, date], right: tuple[date, date]) -> bool:
    return left[0] <= right[1] and right[0] <= left[1]


# --- scoring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    left: Record
    right: Record
    score: float
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "left": self.left.ref(),
            "right": self.right.ref(),
            "score": self.score,
            "reasons": list(self.reasons),
        }


class Scorer:
    """Scores pairs against a population of records: a word shared by few entities says
    more than one shared by many ("Sante" more than "prison"), so names are compared by
    their words weighted by rarity (inverse document frequency), a word matching a close
    spelling ("prisons" / "prison", "Amra" / "Amrra")."""

    def __init__(self, records: Sequence[Record]) -> None:
        counts: dict[str, int] = defaultdict(int)
        for record in records:
            for word in {w for name in record.names for w in name.tokens.split()}:
                counts[word] += 1
        self.size = max(1, len(records))
        self.counts = counts
        self.names = {r.id: r.name for r in records}

    def weight(self, word: str) -> float:
        return math.log(1 + self.size / max(1, self.counts.get(word, 0)))

    def similarity(self, left: str, right: str) -> float:
        """Share of the words' weight, on both sides, that finds a match on the other."""
        a, b = set(left.split()), set(right.split())

        def matched(xs: set[str], ys: set[str]) -> float:
            total = 0.0
            for x in xs:
                if x in ys or (
                    len(x) >= 4
                    and any(len(y) >= 4 and fuzz.ratio(x, y) >= CLOSE_SPELLING for y in ys)
                ):
                    total += self.weight(x)
            return total

        whole = sum(map(self.weight, a)) + sum(map(self.weight, b))
        return (matched(a, b) + matched(b, a)) / whole if whole else 0.0

    def name_match(
        self, left: Record, right: Record
    ) -> tuple[float, str, _Name | None, _Name | None]:
        """The best match between any name of one and any name of the other, its reason,
        and the two names."""
        best: tuple[float, str, _Name | None, _Name | None] = (0.0, "", None, None)
        for a in left.names:
            for b in right.names:
                if a.fingerprint == b.fingerprint:
                    if a.primary and b.primary:
                        return 1.0, "same normalised name", a, b
                    if a.primary or b.primary:
                        alias = b.text if a.primary else a.text
                        found = (0.95, f"the name of one is an alias of the other ({alias!r})")
                    else:
                        found = (0.9, f"they share the alias {a.text!r}")
                else:
                    ratio = self.similarity(a.tokens, b.tokens)
                    found = (
                        round(0.9 * ratio, 4),
                        f"names {round(100 * ratio)}% similar ({a.text!r} / {b.text!r})",
                    )
                if found[0] > best[0]:
                    best = (found[0], found[1], a, b)
        return best


def score_pair(
    scorer: Scorer, left: Record, right: Record, minimum: float = MIN_NAME_SIMILARITY
) -> tuple[float, list[str]] | None:
    """Score 0-1 that two records are one entity, with the reasons; None when their names
    are not similar enough to be worth a look."""
    names = scorer.names
    base, why, a, b = scorer.name_match(left, right)
    if base < minimum or a is None or b is None:
        return None
    score = base
    reasons = [why]
    numbers = (
        {w for w in a.tokens.split() if w.isdigit()},
        {w for w in b.tokens.split() if w.isdigit()},
    )
    if all(numbers) and numbers[0] != numbers[1]:
        # "Phones seized in 2023" and "... in 2024": two occurrences, named apart.
        score -= 0.3
        reasons.append(
            f"names carry different numbers ({' '.join(sorted(numbers[0]))} / "
            f"{' '.join(sorted(numbers[1]))})"
        )
    if left.label != right.label:
        reasons.append(f"labels {left.label} and {right.label} can denote the same thing")
    if left.date and right.date:
        one, two = period(left.date), period(right.date)
        if one and two and not overlaps(one, two):
            score -= 0.35
            reasons.append(f"different dates ({left.date} / {right.date})")
        elif left.date == right.date:
            score += 0.1
            reasons.append(f"same date ({left.date})")
        else:
            score += 0.05
            reasons.append(f"compatible dates ({left.date} / {right.date})")
    elif left.date or right.date:
        reasons.append("only one is dated")
    for prop in ("nationality", "country"):
        a, b = getattr(left, prop), getattr(right, prop)
        if a and b:
            if fold(a) == fold(b):
                score += 0.05
                reasons.append(f"same {prop} ({a})")
            else:
                score -= 0.2
                reasons.append(f"different {prop} ({a} / {b})")
    shared = sorted(left.neighbours & right.neighbours - {left.id, right.id})
    if shared:
        score += min(0.15, 0.05 * len(shared))
        shown = ", ".join(names.get(i, i) for i in shared[:3])
        more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
        reasons.append(f"both linked to {shown}{more}")
    if right.id in left.neighbours:
        reasons.append("linked to each other")
    if left.source_ids and right.source_ids:
        if set(left.source_ids).isdisjoint(right.source_ids):
            score += 0.05
            reasons.append("cited by different sources")
        else:
            reasons.append("cited by a common source")
    if (
        left.dataset_ids
        and right.dataset_ids
        and set(left.dataset_ids).isdisjoint(right.dataset_ids)
    ):
        reasons.append("brought by different imports")
    return round(min(1.0, max(0.0, score)), 2), reasons


def _keys(word: str, weight: float) -> dict[str, float]:
    """Blocking keys of a word, sharing its weight: its first and its last three letters,
    so a misspelling ("Oriion", "Lumeen", "JJan") still meets the right spelling on one
    side or the other."""
    if len(word) <= 3:
        return {word: weight}
    return {f"{word[:3]}^": weight / 2, f"${word[-3:]}": weight / 2}


def _pairs(
    records: Sequence[Record], scorer: Scorer, focus: Callable[[Record], bool] | None
) -> set[tuple[int, int]]:
    """Pairs of records worth scoring, without comparing every pair.

    Names are indexed by blocking keys of their words, each key carrying its word's weight;
    a key shared by more than MAX_BLOCK records is too common to pair on and is left out.
    Two names are worth scoring when the keys they share carry at least PREFILTER of their
    keys' weight. Such a pair must share one of the heaviest keys of one of the two names
    (those without which less than PREFILTER of its weight is left), so only those keys
    are looked up: rare words find their pairs, common words are never walked through."""
    names: dict[tuple[int, int], dict[str, float]] = {}
    index: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for position, record in enumerate(records):
        if focus is not None and not focus(record):
            continue
        for number, name in enumerate(record.names):
            keys: dict[str, float] = defaultdict(float)
            for word in set(name.tokens.split()):
                for key, weight in _keys(word, scorer.weight(word)).items():
                    keys[key] += weight
            names[(position, number)] = keys
            for key in keys:
                index[key].append((position, number))
    common = {k for k, entries in index.items() if len({e[0] for e in entries}) > MAX_BLOCK}
    totals: dict[tuple[int, int], float] = {}
    probes: list[tuple[tuple[int, int], list[str]]] = []
    for entry, keys in names.items():
        usable = sorted(((w, k) for k, w in keys.items() if k not in common), reverse=True)
        total = totals[entry] = sum(w for w, _ in usable)
        left, prefix = total, []
        for weight, key in usable:
            if left < PREFILTER * total:
                break
            prefix.append(key)
            left -= weight
        probes.append((entry, prefix))
    seen: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    pairs: set[tuple[int, int]] = set()
    for entry, prefix in probes:
        for key in prefix:
            for other in index[key]:
                if other[0] == entry[0]:
                    continue
                pair = (entry, other) if entry < other else (other, entry)
                if pair in seen:
                    continue
                seen.add(pair)
                one, two = names[pair[0]], names[pair[1]]
                shared = sum(one[k] + two[k] for k in one.keys() & two.keys() if k not in common)
                if shared >= PREFILTER * (totals[pair[0]] + totals[pair[1]]):
                    pairs.add((pair[0][0], pair[1][0]))
    return pairs


def find_candidates(
    model: Model,
    records: Sequence[Record],
    decided: AbstractSet[frozenset[str]] = frozenset(),
    min_score: float = DEFAULT_MIN_SCORE,
    focus: Callable[[Record], bool] | None = None,
) -> list[Candidate]:
    """Candidate duplicate pairs among records, best first, pairs already decided aside;
    with `focus`, only pairs of records it accepts (words are weighed among all)."""
    scorer = Scorer(records)
    found: list[Candidate] = []
    for i, j in _pairs(records, scorer, focus):
        left, right = records[i], records[j]
        if frozenset((left.id, right.id)) in decided:
            continue
        if not labels_compatible(model, left.label, right.label):
            continue
        scored = score_pair(scorer, left, right)
        if scored is None or scored[0] < min_score:
            continue
        if right.id < left.id:
            left, right = right, left
        found.append(Candidate(left, right, scored[0], tuple(scored[1])))
    found.sort(key=lambda c: (-c.score, c.left.id, c.right.id))
    return found


def live_records(store: Store, model: Model, ids: Sequence[str] = ()) -> list[Record]:
    return [make_record(model, row) for row in store.run("resolution_entities", {"ids": list(ids)})]


def active_pairs(store: Store) -> set[frozenset[str]]:
    """Pairs with an active decision (any judgement): they are no longer candidates."""
    return {
        frozenset((d["left_id"], d["right_id"]))
        for d in decisions(store)
        if d["status"] == "active"
    }


def candidates(store: Store, model: Model, min_score: float = DEFAULT_MIN_SCORE) -> list[Candidate]:
    """Every open candidate pair of the graph, best first."""
    return find_candidates(model, live_records(store, model), active_pairs(store), min_score)


# --- decisions --------------------------------------------------------------------------

_PUBLIC = (
    "id",
    "left_id",
    "right_id",
    "judgement",
    "status",
    "score",
    "reasons",
    "note",
    "decided_by",
    "decided_at",
    "canonical_id",
    "merged_id",
    "moved_relationships",
    "undone_by",
    "undone_at",
)


def _public(row: Row) -> dict[str, Any]:
    out = {key: row.get(key) for key in _PUBLIC}
    out["reasons"] = list(out["reasons"] or [])
    return out


def decisions(store: Store, entity_id: str = "", limit: int = 100_000) -> list[dict[str, Any]]:
    """Decisions (all, or those naming this entity as left or right), oldest first."""
    rows = store.run("resolution_decisions", {"entity_id": entity_id, "limit": limit})
    return [_public(row) for row in rows]


def get_decision(store: Store, decision_id: str) -> dict[str, Any]:
    rows = store.run("resolution_decision", {"decision": decision_id})
    if not rows:
        raise NotFound(f"no decision with id {decision_id!r}")
    decision: dict[str, Any] = rows[0]["decision"]
    return decision


def _now() -> str:
    # Microseconds: "later" decides which merges an undo must wait for.
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _jsonable(props: dict[str, Any]) -> dict[str, Any]:
    """Properties as JSON holds them (dates as ISO text), the form reads return."""
    result: dict[str, Any] = json.loads(
        json.dumps(props, default=lambda v: v.isoformat() if isinstance(v, date) else str(v))
    )
    return result


def date_keys(model: Model, label: str | None = None, rel_type: str | None = None) -> set[str]:
    """`<p>_day` keys of a label's or relationship type's date properties: stored as dates."""
    specs = (
        model.node_properties(label)
        if label is not None
        else model.relationship_properties(rel_type or "")
    )
    return {f"{name}_day" for name, spec in specs.items() if spec.type == "date"}


def restore_dates(props: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """The ISO text a read returns for a `<p>_day` date, back to a date for writing."""
    out = dict(props)
    for key in keys & set(out):
        if isinstance(out[key], str):
            out[key] = date.fromisoformat(out[key])
    return out


def _entities(store: Store, ids: Sequence[str]) -> dict[str, Row]:
    rows = store.run("entities_with_properties", {"ids": list(ids)})
    return {row["id"]: row for row in rows}


def _union(*lists: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(v for values in lists for v in values or ()))


def _date_group(key: str, date_props: set[str]) -> str:
    """Properties that only make sense together: `date`, `date_precision`, `date_day` and
    the source's words `date_text` move as one claim."""
    for prop in date_props:
        if key in (prop, f"{prop}_precision", f"{prop}_day", f"{prop}_text"):
            return prop
    return key


def merged_properties(
    model: Model, label: str, a: dict[str, Any], b: dict[str, Any]
) -> dict[str, Any]:
    """A's properties after absorbing B: B's names as aliases, sources, quotes and datasets
    united, and the claims A lacks (as whole groups: a date with its precision and words)
    taken from B. A's own values win where both have one; B keeps its own either way."""
    out = dict(a)
    out["merged_ids"] = _union(a.get("merged_ids"), [b["id"]])
    own = fold(a.get("name") or "")
    aliases: dict[str, str] = {}
    for alias in [*(a.get("aliases") or []), b.get("name"), *(b.get("aliases") or [])]:
        if alias and fold(alias) and fold(alias) != own:
            aliases.setdefault(fold(alias), alias)
    if aliases:
        out["aliases"] = list(aliases.values())
    for key in _UNION:
        if a.get(key) or b.get(key):
            out[key] = _union(a.get(key), b.get(key))
    specs = model.node_properties(label)
    date_props = {n for n, s in specs.items() if s.type == "date"}
    # Only what A's label may carry: a Company's website does not go onto an Organization.
    allowed = set(specs) | set(model.provenance)
    allowed |= {f"{p}_{suffix}" for p in date_props for suffix in ("precision", "day")}
    groups: dict[str, list[str]] = defaultdict(list)
    for key in b:
        if key in allowed and key not in _OWN and key not in _UNION and key != "aliases":
            groups[_date_group(key, date_props)].append(key)
    for keys in groups.values():
        if not any(key in a for key in keys):
            out.update({key: b[key] for key in keys})
    out["search_text"] = search_text(out.get("name") or "", out.get("aliases"))
    return out


def _choose_canonical(model: Model, left: Row, right: Row) -> tuple[Row, Row]:
    """(A, B) by default: the more specific label (it cannot be added to a node later),
    then more sources, then data that was not imported, then the smaller id."""

    def rank(row: Row) -> tuple[int, int, int, str]:
        props = row["properties"]
        return (
            -len(model.labels_of(concrete_label(model, row["labels"]))),
            -len(props.get("source_ids") or []),
            1 if props.get("dataset_ids") else 0,
            row["id"],
        )

    first, second = sorted((left, right), key=rank)
    return first, second


def decide(
    store: Store,
    model: Model,
    left_id: str,
    right_id: str,
    judgement: str,
    decided_by: str,
    canonical_id: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record an analyst's judgement on a pair; `same` merges B into A (one transaction)."""
    _check_decision_arguments(left_id, right_id, judgement, canonical_id)
    found = _decidable_pair(store, model, left_id, right_id, judgement)
    population = live_records(store, model)  # the word weights of the candidates list
    records = {r.id: r for r in population if r.id in (left_id, right_id)}
    scored = score_pair(Scorer(population), records[left_id], records[right_id], minimum=0.0)
    score, reasons = scored if scored is not None else (0.0, ["names not similar"])
    decided_at = _now()
    props: dict[str, Any] = {
        "id": stable_id("decision", left_id, right_id, decided_at),
        "left_id": left_id,
        "right_id": right_id,
        "judgement": judgement,
        "status": "active",
        "score": float(score),
        "reasons": reasons,
        "decided_by": decided_by,
        "decided_at": decided_at,
    }
    if note:
        props["note"] = note
    steps: list[WriteStep] = []
    expected: dict[int, tuple[str, int]] = {}
    if judgement == "same":
        if canonical_id is None:
            a_row, b_row = _choose_canonical(model, found[left_id], found[right_id])
        else:
            other = right_id if canonical_id == left_id else left_id
            a_row, b_row = found[canonical_id], found[other]
        steps, expected, undo = _merge_steps(store, model, a_row, b_row)
        props.update(
            canonical_id=a_row["id"],
            merged_id=b_row["id"],
            moved_relationships=len(undo["moved"]),
            undo=json.dumps(undo, ensure_ascii=False, sort_keys=True),
        )
    steps.append(WriteStep("save_decision", {"props": props}))
    _write(store, steps, expected, "resolution merge" if judgement == "same" else "decision")
    return _public(props)


def _check_decision_arguments(
    left_id: str, right_id: str, judgement: str, canonical_id: str | None
) -> None:
    """What a decision's arguments must be, before the database is asked anything."""
    if judgement not in JUDGEMENTS:
        raise InvalidInput(
            f"judgement must be one of {', '.join(JUDGEMENTS)}",
            details=[{"field": "body.judgement", "message": "same, not_same or unsure"}],
        )
    if left_id == right_id:
        raise InvalidInput(
            "a decision is about two different entities; the same id was given twice",
            details=[{"field": "body.right_id", "message": "must differ from left_id"}],
        )
    if canonical_id is not None and judgement != "same":
        raise InvalidInput(
            "canonical_id only applies to a `same` decision",
            details=[{"field": "body.canonical_id", "message": "leave it out"}],
        )
    if canonical_id is not None and canonical_id not in (left_id, right_id):
        raise InvalidInput(
            f"canonical_id {canonical_id!r} is neither left_id nor right_id",
            details=[{"field": "body.canonical_id", "message": "left_id or right_id"}],
        )


def _decidable_pair(
    store: Store, model: Model, left_id: str, right_id: str, judgement: str
) -> dict[str, dict[str, Any]]:
    """The two entities' rows, once each exists, is no document, is not merged away, the
    pair is not decided already, and a `same` judgement joins compatible labels."""
    found = _entities(store, [left_id, right_id])
    missing = [i for i in (left_id, right_id) if i not in found]
    if missing:
        raise NotFound(f"no entity with id {', '.join(repr(i) for i in missing)}")
    for entity_id in (left_id, right_id):
        row = found[entity_id]
        if "Document" in row["labels"]:
            raise InvalidInput(
                f"{entity_id} is a source document; documents are not resolved",
                details=[{"field": "body", "message": "give two entities that are not documents"}],
            )
    pair = frozenset((left_id, right_id))
    for existing in decisions(store, left_id):
        if (
            existing["status"] == "active"
            and frozenset((existing["left_id"], existing["right_id"])) == pair
        ):
            raise Conflict(
                f"this pair is already decided: {existing['id']} ({existing['judgement']}, "
                f"by {existing['decided_by']} at {existing['decided_at']}); undo it first"
            )
    for entity_id in (left_id, right_id):
        into = found[entity_id]["properties"].get("merged_into")
        if into:
            raise Conflict(
                f"{entity_id} is merged into {into}: decide about {into} instead "
                "(or undo that merge first)"
            )
    labels = {i: concrete_label(model, found[i]["labels"]) for i in (left_id, right_id)}
    if judgement == "same" and not labels_compatible(model, labels[left_id], labels[right_id]):
        raise InvalidInput(
            f"a {labels[left_id]} and a {labels[right_id]} cannot be the same entity",
            details=[{"field": "body.judgement", "message": "not_same or unsure"}],
        )
    return found


def _write(
    store: Store, steps: list[WriteStep], expected: dict[int, tuple[str, int]], label: str
) -> None:
    """Run the steps in one transaction; a step that touched another count than planned
    means the graph changed meanwhile, and raising here rolls everything back."""

    def check(index: int, step: WriteStep, rows: list[Row]) -> None:
        if index in expected:
            column, count = expected[index]
            got = rows[0][column] if rows else 0
            if got != count:
                raise Conflict(
                    f"the graph changed while the decision was being applied ({step.query}: "
                    f"{got} instead of {count}); nothing was changed, try again"
                )

    store.write_transaction(steps, progress=check, label=label)


def _rel_row(rel: Row, model: Model, ends: dict[str, str] | None = None) -> dict[str, Any]:
    ends = ends or {}
    return {
        "id": rel["id"],
        "type": rel["type"],
        "from": ends.get(rel["from_id"], rel["from_id"]),
        "to": ends.get(rel["to_id"], rel["to_id"]),
        "props": restore_dates(rel["properties"], date_keys(model, rel_type=rel["type"])),
    }


def _merge_steps(
    store: Store, model: Model, a_row: Row, b_row: Row
) -> tuple[list[WriteStep], dict[int, tuple[str, int]], dict[str, Any]]:
    a_id, b_id = a_row["id"], b_row["id"]
    a_label = concrete_label(model, a_row["labels"])
    b_label = concrete_label(model, b_row["labels"])
    a_before, b_before = a_row["properties"], b_row["properties"]
    a_after = merged_properties(model, a_label, a_before, b_before)
    b_after = {k: v for k, v in b_before.items() if k != "search_text"}
    b_after["merged_into"] = a_id
    moved: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    # Every relationship moves, those the analyst's key may not see too: a merge leaves
    # none behind on the merged-away entity, where no traversal would reach it.
    with visibility.unrestricted():
        b_relationships = store.run("entity_relationships", {"id": b_id})
    for rel in b_relationships:
        if {rel["from_id"], rel["to_id"]} == {a_id, b_id}:
            continue  # a link between the two stays as it is
        from_label = (
            a_label if rel["from_id"] == b_id else concrete_label(model, rel["from_labels"])
        )
        to_label = a_label if rel["to_id"] == b_id else concrete_label(model, rel["to_labels"])
        if not model.endpoint_allowed(rel["type"], from_label, to_label):
            raise Conflict(
                f"{b_id}'s {rel['type']} relationship {rel['id']} cannot attach to a "
                f"{a_label}; make {b_id} the canonical entity instead (canonical_id)"
            )
        moved.append(
            {
                "id": rel["id"],
                "type": rel["type"],
                "from": rel["from_id"],
                "to": rel["to_id"],
                "props": rel["properties"],
            }
        )
        rows.append(_rel_row(rel, model, {b_id: a_id}))
    a_keys, b_keys = date_keys(model, a_label), date_keys(model, b_label)
    steps = [
        WriteStep(
            "delete_entity_relationships", {"entity_id": b_id, "ids": [m["id"] for m in moved]}
        ),
        WriteStep("upsert_relationships", {"rows": rows}),
        WriteStep(
            "replace_entity_properties",
            {
                "rows": [
                    {"id": a_id, "merged_into": "", "props": restore_dates(a_after, a_keys)},
                    {"id": b_id, "merged_into": "", "props": restore_dates(b_after, b_keys)},
                ]
            },
        ),
    ]
    expected = {0: ("deleted", len(moved)), 1: ("rows", len(rows)), 2: ("replaced", 2)}
    undo = {
        "version": 1,
        "canonical_id": a_id,
        "merged_id": b_id,
        "canonical_before": _jsonable(a_before),
        "canonical_after": _jsonable(a_after),
        "merged_before": _jsonable(b_before),
        "merged_after": _jsonable(b_after),
        "moved": moved,
    }
    return steps, expected, undo


def _changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _revert(
    current: dict[str, Any], before: dict[str, Any], after: dict[str, Any], who: str
) -> dict[str, Any]:
    """Current properties with what the merge changed put back; 409 when one of those was
    changed again since (by a later import, say): undoing would lose that change."""
    out = dict(current)
    for key in _changed_keys(before, after):
        if current.get(key) != after.get(key):
            raise Conflict(
                f"{who}'s property {key!r} changed after the merge; undoing it would lose "
                "that change"
            )
        if key in before:
            out[key] = before[key]
        else:
            out.pop(key, None)
    return out


def undo(store: Store, model: Model, decision_id: str, undone_by: str) -> dict[str, Any]:
    """Undo a decision; for `same`, split the merge exactly (one transaction)."""
    decision = get_decision(store, decision_id)
    if decision.get("status") != "active":
        raise Conflict(
            f"decision {decision_id} is already undone (by {decision.get('undone_by')} at "
            f"{decision.get('undone_at')})"
        )
    undone_at = _now()
    steps: list[WriteStep] = []
    expected: dict[int, tuple[str, int]] = {}
    if decision.get("judgement") == "same":
        steps, expected = _split_steps(store, model, decision)
    steps.append(
        WriteStep(
            "undo_decision", {"id": decision_id, "undone_by": undone_by, "undone_at": undone_at}
        )
    )
    expected[len(steps) - 1] = ("undone", 1)
    _write(store, steps, expected, "resolution undo")
    return _public({**decision, "status": "undone", "undone_by": undone_by, "undone_at": undone_at})


def _split_steps(
    store: Store, model: Model, decision: dict[str, Any]
) -> tuple[list[WriteStep], dict[int, tuple[str, int]]]:
    record = json.loads(decision["undo"])
    a_id, b_id = record["canonical_id"], record["merged_id"]
    later = [
        d
        for entity in (a_id, b_id)
        for d in decisions(store, entity)
        if d["judgement"] == "same"
        and d["status"] == "active"
        and d["id"] != decision["id"]
        and d["decided_at"] > decision["decided_at"]
    ]
    if later:
        names = ", ".join(
            sorted({f"{d['id']} ({d['merged_id']} into {d['canonical_id']})" for d in later})
        )
        raise Conflict(f"a later merge involves {a_id} or {b_id}; undo it first: {names}")
    found = _entities(store, [a_id, b_id])
    if a_id not in found or b_id not in found:
        raise Conflict("an entity of this merge no longer exists; it cannot be split")
    a_now = _revert(
        found[a_id]["properties"], record["canonical_before"], record["canonical_after"], a_id
    )
    b_now = _revert(
        found[b_id]["properties"], record["merged_before"], record["merged_after"], b_id
    )
    with visibility.unrestricted():  # the merge moved them all, hidden ones included
        current = {rel["id"]: rel for rel in store.run("entity_relationships", {"id": a_id})}
    swap = {b_id: a_id}
    for moved in record["moved"]:
        rel = current.get(moved["id"])
        where = (swap.get(moved["from"], moved["from"]), swap.get(moved["to"], moved["to"]))
        if rel is None or (rel["from_id"], rel["to_id"]) != where:
            raise Conflict(
                f"relationship {moved['id']} no longer links {where[0]} and {where[1]} as the "
                "merge left it (a later merge or edit moved or removed it); undo that first"
            )
        if rel["properties"] != moved["props"]:
            raise Conflict(f"relationship {moved['id']} changed after the merge")
    rows = [
        {
            "id": m["id"],
            "type": m["type"],
            "from": m["from"],
            "to": m["to"],
            "props": restore_dates(m["props"], date_keys(model, rel_type=m["type"])),
        }
        for m in record["moved"]
    ]
    a_label = concrete_label(model, found[a_id]["labels"])
    b_label = concrete_label(model, found[b_id]["labels"])
    steps = [
        WriteStep(
            "delete_entity_relationships", {"entity_id": a_id, "ids": [r["id"] for r in rows]}
        ),
        WriteStep("upsert_relationships", {"rows": rows}),
        WriteStep(
            "replace_entity_properties",
            {
                "rows": [
                    {
                        "id": a_id,
                        "merged_into": "",
                        "props": restore_dates(a_now, date_keys(model, a_label)),
                    },
                    {
                        "id": b_id,
                        "merged_into": a_id,
                        "props": restore_dates(b_now, date_keys(model, b_label)),
                    },
                ]
            },
        ),
    ]
    return steps, {0: ("deleted", len(rows)), 1: ("rows", len(rows)), 2: ("replaced", 2)}


# --- why --------------------------------------------------------------------------------


def why(store: Store, entity_id: str) -> dict[str, Any]:
    """Which sources, imports and decisions made this entity."""
    rows = store.run("entity_why", {"id": entity_id})
    if not rows:
        raise visibility.entity_not_found(store, entity_id)
    row = rows[0]
    merged_ids = list(row.get("merged_ids") or [])
    related = store.run(
        "entities_by_ids",
        {"ids": [*merged_ids, *([row["merged_into"]] if row["merged_into"] else [])]},
    )
    by_id = {r["id"]: r for r in related}
    doc_ids = _union(
        row.get("source_ids"), *(by_id[i]["source_ids"] for i in merged_ids if i in by_id)
    )
    titles = {
        d["id"]: d["title"] or d["name"] for d in store.run("document_summaries", {"ids": doc_ids})
    }
    quotes: dict[str, list[str]] = defaultdict(list)
    for mention in row["mentions"]:
        titles.setdefault(mention["id"], mention["title"] or mention["name"])
        for quote in mention.get("quotes") or []:
            if quote not in quotes[mention["id"]]:
                quotes[mention["id"]].append(quote)
    sources = [
        {"id": doc, "title": titles.get(doc), "quotes": quotes.get(doc, [])}
        for doc in _union(row.get("source_ids"), quotes)
    ]
    recorded = {d["id"]: d for d in row["datasets"]}
    datasets = [
        recorded.get(
            ds,
            {"id": ds, "file_name": None, "sha256": None, "imported_by": None, "imported_at": None},
        )
        for ds in row.get("dataset_ids") or []
    ]
    merged_decisions = {
        d["merged_id"]: d["id"]
        for d in decisions(store, entity_id)
        if d["judgement"] == "same" and d["status"] == "active"
    }
    merged = [
        {
            "id": i,
            "name": by_id[i]["name"] if i in by_id else None,
            "sources": [
                {"id": doc, "title": titles.get(doc)}
                for doc in (by_id[i]["source_ids"] or [] if i in by_id else [])
            ],
            "decision_id": merged_decisions.get(i),
        }
        for i in merged_ids
    ]
    into = row["merged_into"]
    return {
        "entity": {
            "id": row["id"],
            "name": row["name"],
            "labels": sorted(row["labels"]),
            "aliases": list(row.get("aliases") or []),
        },
        "sources": sources,
        "datasets": datasets,
        "decisions": decisions(store, entity_id),
        "merged": merged,
        "merged_into": {"id": into, "name": by_id[into]["name"] if into in by_id else None}
        if into
        else None,
    }
