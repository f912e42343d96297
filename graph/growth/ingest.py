"""Article ingestion: store a document, link the entities it names, queue new names for review.

`ingest` stores a text as a Document (or finds the one already stored with the same
SHA-256, such as a seed document, and leaves it as it is), finds the entities of the graph
it names (graph.growth.linking), records a MENTIONS link from the document to each, with the
sentences as quotes, and stores the names and dates it could not link as :Candidate
records. Candidates are not entities: nothing enters the graph until an analyst accepts
one (`accept_candidate`), which creates the entity with the document as its source, or
links the document to an entity already there. Everything for one document, and each
decision, is one write transaction.

Re-ingesting a text changes nothing already stored: mentions and candidates are written
with MERGE ... ON CREATE, so a curated seed mention keeps its quotes and a rejected
candidate stays rejected. Entities added since the last run are linked.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from graph.access import visibility
from graph.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from graph.core.text import collapse_whitespace, search_text, stable_id
from graph.db.store import Row, Store, WriteStep
from graph.growth.language import LANGUAGES, detect_language
from graph.growth.linking import (
    Hit,
    Linkable,
    Linker,
    Proposal,
    Sentence,
    SentenceIndex,
    fold_name,
    propose_candidates,
    split_sentences,
)
from graph.growth.linking import Occurrence as TextOccurrence
from graph.growth.suggestions import Mention, suggest
from graph.model.schema import (
    DEFAULT_GRADING,
    Model,
    PartialDate,
    check_value,
    parse_grading,
    store_value,
)

MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_TITLE_LENGTH = 200
DEFAULT_CONFIDENCE = 50
NAME_CONFIDENCE = 90  # a mention found by an entity's name
ALIAS_CONFIDENCE = 70  # found by an alias only
REVIEW_CONFIDENCE = 100  # confirmed by an analyst
CANDIDATE_STATUSES = ("pending", "accepted", "rejected")
# Quotes and offsets kept per mention or candidate: a long text that names an entity on
# every page keeps its first ones (the response still lists every occurrence).
MAX_QUOTES = 100
# C0 controls other than tab, line feed, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityRef:
    id: str
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Occurrence:
    surface: str  # the words of the text, as written
    start: int
    end: int
    sentence: str  # the quote: the sentence, whitespace collapsed


@dataclass
class LinkedEntity:
    """One entity the document names, with every place it does."""

    entity: EntityRef
    link_id: str
    created: bool  # False: the document already mentioned it (seed or earlier ingestion)
    confidence: int
    matched: list[str]  # the entity's names and aliases that matched
    resolved_by: str  # "name", "alias", or "context" (an ambiguous name, see Ambiguity)
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass
class Ambiguity:
    """A name that several entities carry, which the text did not settle."""

    surface: str
    options: list[EntityRef]
    candidate_id: str
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass
class IngestResult:
    document_id: str
    title: str
    created: bool  # False: the same text was stored before
    linked: list[LinkedEntity]
    ambiguous: list[Ambiguity]
    candidates: list[dict[str, Any]]
    language: str = "en"
    # Relationships its sentences state between linked entities, for review (never stored
    # here): graph.growth.suggestions.
    suggestions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Decision:
    candidate: dict[str, Any]
    entity: EntityRef | None = None
    mention_id: str | None = None
    entity_created: bool = False


# --- checks -------------------------------------------------------------------------------


def check_text(text: object) -> str:
    """The text if it can be stored as a document; a 422 or 413 saying why not."""
    if not isinstance(text, str):
        raise InvalidInput("the text must be a string", details=[_field("text", "not a string")])
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidInput(
            "the text is not valid Unicode (a lone surrogate?)",
            details=[_field("text", "not valid UTF-8")],
        ) from None
    if size > MAX_TEXT_BYTES:
        raise PayloadTooLarge(
            f"the text is {size} bytes; at most {MAX_TEXT_BYTES} bytes (UTF-8) are accepted",
            details=[_field("text", f"at most {MAX_TEXT_BYTES} bytes")],
        )
    if not text.strip():
        raise InvalidInput("the text is empty", details=[_field("text", "empty")])
    control = _CONTROL.search(text)
    if control is not None:
        raise InvalidInput(
            f"the text holds a control character (U+{ord(control.group(0)):04X}) at offset "
            f"{control.start()}: plain text only",
            details=[_field("text", "control character")],
        )
    return text


def checked_grading(value: str | None) -> tuple[str, int]:
    """The caller's Admiralty code (any case; none: F6) as (reliability, credibility), or a
    422 naming the field."""
    grade = parse_grading((value or DEFAULT_GRADING).upper())
    if grade is None:
        raise InvalidInput(
            f"grading {value!r} is not an Admiralty code: a letter A-F then a digit 1-6, e.g. B2",
            details=[_field("grading", "e.g. B2")],
        )
    return grade


def _check_confidence(value: object, name: str = "confidence") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(
            f"{name} must be an integer from 0 to 100", details=[_field(name, "0-100")]
        )
    return value


def _field(name: str, message: str) -> dict[str, str]:
    return {"field": name, "message": message}


def ordered_labels(model: Model, labels: Sequence[str]) -> tuple[str, ...]:
    """A node's labels root first, the most specific last: (Entity, Organization, Company)."""
    known = set(model.spec.nodes)
    return tuple(sorted(labels, key=lambda x: len(model.labels_of(x)) if x in known else 0))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the name matcher, kept between calls ----------------------------------------------


@dataclass
class _Kept:
    entities: int  # linkable_names_stamp when it was built
    commits: int  # the store's committed writes when it was built (or after our own)
    built: float  # time.monotonic()
    linker: Linker


class _LinkerCache:
    """One Linker per store and clearance, rebuilt only when the graph's names may have
    changed.

    Reading every linkable entity and building the automaton costs seconds at 100k
    entities; the check costs one label count. The linker is kept while (1) the store has
    committed no write since it was built, other than ingestion's own (a document, its
    mentions and candidates, which name nothing new), and (2) the graph holds as many
    entities as then, which catches entities added or removed by another process (an
    import from the command line). Changes another process makes to names without adding
    or removing an entity (an alias, a merge) are picked up after MAX_AGE seconds. A
    mention of an entity that vanished meanwhile rolls the document back, and ingest
    rebuilds and tries again (see `ingest`)."""

    MAX_AGE = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: weakref.WeakKeyDictionary[Store, dict[visibility.Visibility, _Kept]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, store: Store, model: Model, fresh: bool = False) -> tuple[Linker, int]:
        """The linker, and the store's commit count it is valid for."""
        clearance = visibility.current()
        commits = store.commits
        entities = int(store.run("linkable_names_stamp")[0]["entities"] or 0)
        with self._lock:
            kept = self._kept.get(store, {}).get(clearance)
        if (
            kept is not None
            and not fresh
            and (kept.entities, kept.commits) == (entities, commits)
            and time.monotonic() - kept.built < self.MAX_AGE
        ):
            return kept.linker, commits
        linker = Linker(
            Linkable(
                row["id"],
                row["name"],
                ordered_labels(model, row["labels"] or ()),
                tuple(row["aliases"] or ()),
            )
            for row in store.run("linkable_entities")
            if row["name"]
        )
        with self._lock:
            self._kept.setdefault(store, {})[clearance] = _Kept(
                entities, commits, time.monotonic(), linker
            )
        return linker, commits

    def own_write(self, store: Store, linker: Linker, before: int, documents: int) -> None:
        """Ingestion committed one transaction that changed no name (it stored `documents`
        new Document nodes, which the stamp counts): when nothing else was committed since
        `before`, the kept linker stays valid."""
        with self._lock:
            for kept in self._kept.get(store, {}).values():
                if kept.linker is linker and kept.commits == before and store.commits == before + 1:
                    kept.commits = before + 1
                    kept.entities += documents

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


LINKERS = _LinkerCache()


# --- ingestion ----------------------------------------------------------------------------


def default_title(text: str, sentences: Sequence[Sentence]) -> str:
    """The first line, or the first sentence when the line is long, cut at a word."""
    first_line = collapse_whitespace(text.strip().splitlines()[0])
    if len(first_line) <= MAX_TITLE_LENGTH:
        return first_line
    sentence = sentences[0].quote if sentences else first_line
    if len(sentence) <= MAX_TITLE_LENGTH:
        return sentence
    return sentence[: MAX_TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def _reference_date(published: PartialDate | None) -> date | None:
    """The date relative expressions ("last month") count from: the publication day, or
    the first of its month; none when only the year is known."""
    if published is None or published.precision == "year":
        return None
    year, month = int(published.iso[:4]), int(published.iso[5:7])
    return published.day or date(year, month, 1)


def _document_props(
    model: Model,
    text: str,
    sha: str,
    title: str,
    quote: str,
    grading: tuple[str, int],
    given: Mapping[str, object],
) -> dict[str, Any]:
    specs = model.node_properties("Document")
    props: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for name, value in given.items():
        if value is None:
            continue
        try:
            store_value(name, check_value(specs[name], value), props)
        except ValueError as exc:
            problems.append(_field(name, str(exc)))
    if problems:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidInput(f"invalid document: {summary}", details=problems)
    props.update(
        name=title,
        title=title,
        text=text,
        content_sha256=sha,
        search_text=search_text(title),
        source_ids=[],  # filled with the id below
        quote=quote,
        quotes=[quote],
        confidence=100,  # that the document says what it says
        reliability=grading[0],
        credibility=grading[1],
    )
    return props


def ingest(
    store: Store,
    model: Model,
    text: str,
    *,
    title: str | None = None,
    source_url: str | None = None,
    published: str | None = None,
    publisher: str | None = None,
    grading: str | None = None,
    confidence: int | None = None,
    today: date | None = None,
    handling: str | None = None,
    language: str | None = None,
) -> IngestResult:
    """Store a document (or find it stored), link the entities it names and queue the
    names it holds that the graph does not, all in one transaction. `handling` restricts
    the new document (and so its mentions and candidates) to keys holding that code.
    `language` ("en" or "fr") is detected from the text when not given."""
    try:
        return _ingest(
            store,
            model,
            text,
            title,
            source_url,
            published,
            publisher,
            grading,
            confidence,
            today,
            handling,
            language,
            fresh=False,
        )
    except _StaleNames:
        return _ingest(
            store,
            model,
            text,
            title,
            source_url,
            published,
            publisher,
            grading,
            confidence,
            today,
            handling,
            language,
            fresh=True,
        )


class _StaleNames(Exception):
    """The kept name matcher named an entity that is gone: rebuild it and try again."""


def _ingest(
    store: Store,
    model: Model,
    text: str,
    title: str | None,
    source_url: str | None,
    published: str | None,
    publisher: str | None,
    grading: str | None,
    confidence: int | None,
    today: date | None,
    handling: str | None,
    language: str | None,
    *,
    fresh: bool,
) -> IngestResult:
    text = check_text(text)
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(
            f"language must be one of {', '.join(LANGUAGES)}",
            details=[_field("language", " | ".join(LANGUAGES))],
        )
    handling = _check_handling(model, handling)
    claim_confidence = _check_confidence(DEFAULT_CONFIDENCE if confidence is None else confidence)
    reliability, credibility = checked_grading(grading)
    published_date: PartialDate | None = None
    if published is not None:
        try:
            checked = check_value(model.node_properties("Document")["published"], published)
        except ValueError as exc:
            raise InvalidInput(
                f"published: {exc}", details=[_field("published", str(exc))]
            ) from None
        assert isinstance(checked, PartialDate)
        published_date = checked
    if title is not None and not collapse_whitespace(title):
        raise InvalidInput("the title is empty", details=[_field("title", "empty")])

    sentences = split_sentences(text)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    steps: list[WriteStep] = []
    existing = store.run("document_by_hash", {"content_sha256": sha})
    if not existing and not visibility.current().see_all:
        with visibility.unrestricted():
            hidden = store.run("document_by_hash", {"content_sha256": sha})
        if hidden:
            # Storing it again would overwrite the restricted document (same id): refuse.
            # Only someone who holds the very text learns that it is stored.
            raise Conflict(
                "the graph already holds this text under a handling restriction this key "
                "does not hold; ask someone cleared for it"
            )
    if existing:
        stored = existing[0]
        if handling is not None and handling != stored.get("handling"):
            # A valid request that clashes with what is stored, like the case above: 409.
            raise Conflict(
                f"this text is stored already with handling {stored.get('handling')!r}; "
                "ingesting it again does not change that",
                details=[_field("handling", "as stored, or leave it out")],
            )
        doc_id, doc_title = stored["id"], stored["title"]
        reliability = stored["reliability"] or reliability
        credibility = stored["credibility"] or credibility
        mentioned = set(stored["mentioned_ids"] or [])
        if stored.get("published"):
            published_date = PartialDate(stored["published"], stored["published_precision"])
    else:
        doc_title = collapse_whitespace(title) if title else default_title(text, sentences)
        quote = (
            doc_title
            if collapse_whitespace(doc_title) in collapse_whitespace(text)
            else sentences[0].quote
        )
        props = _document_props(
            model,
            text,
            sha,
            doc_title,
            quote,
            (reliability, credibility),
            {
                "url": source_url,
                "published": published,
                "publisher": publisher,
                "retrieved": (today or datetime.now(UTC).date()).isoformat(),
            },
        )
        doc_id = stable_id("document", doc_title, sha)
        props.update(id=doc_id, source_ids=[doc_id])
        if handling is not None:
            props["handling"] = handling
        steps.append(
            WriteStep(
                "upsert_nodes", {"rows": [{"id": doc_id, "label": "Document", "props": props}]}
            )
        )
        mentioned = set()

    if existing and stored.get("language") in LANGUAGES:
        language = str(stored["language"])
    elif language is None:
        language = detect_language(text)
    if not existing:
        steps[0].params["rows"][0]["props"]["language"] = language
    linker, commits = LINKERS.get(store, model, fresh)
    hits = linker.scan(text)
    index = SentenceIndex(sentences)
    linked, unresolved = _resolve(hits, linker, index, mentioned)
    proposals = propose_candidates(
        text, sentences, hits, linker, _reference_date(published_date), language
    )
    proposals += _ambiguity_proposals(unresolved, index)
    suggestions = suggest(text, _mentions(linked, index), model)

    grade = {"reliability": reliability, "credibility": credibility}
    mention_rows = [_mention_row(doc_id, item, grade) for item in linked]
    now = _now()
    candidate_rows = [
        _candidate_row(doc_id, proposal, claim_confidence, now) for proposal in proposals
    ]
    if mention_rows:
        steps.append(WriteStep("link_mentions", {"rows": mention_rows}))
    if candidate_rows:
        steps.append(WriteStep("save_candidates", {"rows": candidate_rows}))

    def check(position: int, step: WriteStep, rows: list[Row]) -> None:
        if step.query == "link_mentions" and rows[0]["rows"] != len(step.params["rows"]):
            # Raising inside the transaction rolls the whole document back.
            if not fresh:
                raise _StaleNames()
            raise Conflict("an entity was removed while the document was linked; try again")

    results = store.write_transaction(steps, progress=check, label="ingest")
    LINKERS.own_write(store, linker, commits, 0 if existing else 1)
    saved: dict[str, Row] = {}
    for step, rows in zip(steps, results, strict=True):
        if step.query == "save_candidates":
            saved = {row["id"]: row for row in rows}
    for item in linked:
        item.created = item.entity.id not in mentioned
    candidates = [
        _candidate_view(row["props"] | saved.get(row["id"], {})) for row in candidate_rows
    ]
    by_key = {(c["folded"], c["kind"]): c["id"] for c in candidates}
    ambiguous = [
        Ambiguity(
            surface=hit_group[0].surface,
            options=[_ref(linker, form.entity_id) for form in hit_group[0].forms],
            candidate_id=by_key[(fold_name(hit_group[0].surface), "ambiguous")],
            occurrences=[_occurrence(hit, index) for hit in hit_group],
        )
        for hit_group in unresolved.values()
    ]
    return IngestResult(
        doc_id, doc_title, not existing, linked, ambiguous, candidates, language, suggestions
    )


def _mentions(linked: Sequence[LinkedEntity], index: SentenceIndex) -> list[Mention]:
    """Every place a linked entity is named, for suggestions (ambiguous names left out)."""
    found = []
    for item in linked:
        for occurrence in item.occurrences:
            sentence = index.at(occurrence.start)
            found.append(
                Mention(
                    occurrence.start,
                    occurrence.end,
                    sentence.start,
                    occurrence.sentence,
                    item.entity.id,
                    item.entity.name,
                    item.entity.labels,
                )
            )
    return found


def _check_handling(model: Model, handling: str | None) -> str | None:
    """A handling code the caller may set: well formed, and one its key holds (a key
    could not see what it restricted to a code it lacks)."""
    if handling is None:
        return None
    try:
        check_value(model.provenance["handling"], handling)
    except ValueError:
        raise InvalidInput(
            f"handling {handling!r} must be lower-case words joined by ':', e.g. case:prison-break",
            details=[_field("handling", "e.g. case:prison-break")],
        ) from None
    if not visibility.current().can_see(handling):
        raise InvalidInput(
            f"this key does not hold the handling code {handling!r}, so it cannot set it",
            details=[_field("handling", "a code the key holds")],
        )
    return handling


def _ref(linker: Linker, entity_id: str) -> EntityRef:
    entity = linker.entities[entity_id]
    return EntityRef(entity.id, entity.name, entity.labels)


def _occurrence(hit: Hit, index: SentenceIndex) -> Occurrence:
    return Occurrence(hit.surface, hit.start, hit.end, index.at(hit.start).quote)


def _resolve(
    hits: Sequence[Hit], linker: Linker, index: SentenceIndex, mentioned: set[str]
) -> tuple[list[LinkedEntity], dict[str, list[Hit]]]:
    """Linked entities in order of first mention, and the ambiguous names left unsettled.

    A name several entities carry ("Fresnes": the prison and the town) is settled by the
    text itself when it also names one of them unambiguously ("Fresnes prison": one sense
    per document), else by the mentions the document already has (a curated seed
    document); otherwise it waits for an analyst as an `ambiguous` candidate.
    """
    plain = {form.entity_id for hit in hits if not hit.ambiguous for form in hit.forms}
    linked: dict[str, LinkedEntity] = {}
    unresolved: dict[str, list[Hit]] = {}
    for hit in hits:
        forms = list(hit.forms)
        how = None
        if hit.ambiguous:
            settled = [f for f in forms if f.entity_id in plain] or [
                f for f in forms if f.entity_id in mentioned
            ]
            if not settled:
                unresolved.setdefault(fold_name(hit.surface), []).append(hit)
                continue
            forms, how = settled, "context"
        for form in forms:
            item = linked.get(form.entity_id)
            if item is None:
                item = linked[form.entity_id] = LinkedEntity(
                    entity=_ref(linker, form.entity_id),
                    link_id="",
                    created=True,
                    confidence=ALIAS_CONFIDENCE,
                    matched=[],
                    resolved_by=how or ("alias" if form.is_alias else "name"),
                )
            if not form.is_alias and how is None:
                item.confidence = NAME_CONFIDENCE
                item.resolved_by = "name"
            if form.written not in item.matched:
                item.matched.append(form.written)
            item.occurrences.append(_occurrence(hit, index))
    return list(linked.values()), unresolved


def _ambiguity_proposals(
    unresolved: Mapping[str, list[Hit]], index: SentenceIndex
) -> list[Proposal]:
    proposals = []
    for hits in unresolved.values():
        first = hits[0]
        proposal = Proposal(
            first.surface, "ambiguous", options=[form.entity_id for form in first.forms]
        )
        for hit in hits:
            proposal.occurrences.append(TextOccurrence(hit.start, hit.end, index.at(hit.start)))
        proposals.append(proposal)
    return proposals


def _mention_row(doc_id: str, item: LinkedEntity, grade: dict[str, Any]) -> dict[str, Any]:
    quotes = list(dict.fromkeys(o.sentence for o in item.occurrences))[:MAX_QUOTES]
    item.link_id = stable_id("mentions", doc_id, item.entity.id)
    return {
        "id": item.link_id,
        "from": doc_id,
        "to": item.entity.id,
        "props": {
            "id": item.link_id,
            "source_ids": [doc_id],
            "quote": quotes[0],
            "quotes": quotes,
            "confidence": item.confidence,
            **grade,
            "linked_by": "ingest",
        },
    }


def _candidate_row(doc_id: str, proposal: Proposal, confidence: int, now: str) -> dict[str, Any]:
    candidate_id = stable_id("candidate", proposal.key, doc_id, proposal.kind)
    occurrences = proposal.occurrences[:MAX_QUOTES]
    props: dict[str, Any] = {
        "id": candidate_id,
        "document_id": doc_id,
        "text": proposal.text,
        "folded": proposal.key,
        "kind": proposal.kind,
        "sentences": list(dict.fromkeys(o.sentence.quote for o in occurrences)),
        "starts": [o.start for o in occurrences],
        "ends": [o.end for o in occurrences],
        "first_start": occurrences[0].start,
        "confidence": confidence,
        "status": "pending",
        "created_at": now,
    }
    if proposal.suggested_label:
        props["suggested_label"] = proposal.suggested_label
    if proposal.suggested_properties:
        props["suggested_properties"] = json.dumps(proposal.suggested_properties, sort_keys=True)
    if proposal.date:
        props["date"] = proposal.date
        props["date_precision"] = proposal.date_precision
    if proposal.relative_to:
        props["date_relative_to"] = proposal.relative_to
    if proposal.options:
        props["options"] = proposal.options
    return {"id": candidate_id, "props": props}


def _candidate_view(props: Mapping[str, Any]) -> dict[str, Any]:
    """A stored candidate as callers see it (suggested properties as a mapping)."""
    view = dict(props)
    raw = view.get("suggested_properties")
    view["suggested_properties"] = json.loads(raw) if isinstance(raw, str) else {}
    for name in ("options", "sentences", "starts", "ends"):
        view[name] = list(view.get(name) or [])
    return view


# --- reading ------------------------------------------------------------------------------


def document_mentions(store: Store, model: Model, document_id: str) -> dict[str, Any]:
    """A document and the entities it mentions; NotFound for an unknown document."""
    rows = store.run("document_mentions", {"id": document_id})
    if not rows:
        raise visibility.entity_not_found(store, document_id, f"no document {document_id!r}")
    found = rows[0]
    for mention in found["mentions"]:
        mention["labels"] = list(ordered_labels(model, mention["labels"] or ()))
    return found


def _without_hidden(store: Store, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Candidates as the caller may see them: the entities they name (an ambiguous name's
    options, the entity an accepted one became) only when visible to it."""
    if visibility.current().see_all:
        return views
    named = sorted(
        {i for v in views for i in [*v["options"], v.get("entity_id")] if isinstance(i, str)}
    )
    if not named:
        return views
    seen = {row["id"] for row in store.run("entities_by_ids", {"ids": named})}
    for view in views:
        view["options"] = [i for i in view["options"] if i in seen]
        if view.get("entity_id") is not None and view["entity_id"] not in seen:
            view["entity_id"] = None
    return views


def get_candidate(store: Store, candidate_id: str) -> dict[str, Any]:
    rows = store.run("candidate_by_id", {"candidate": candidate_id})
    if not rows:
        raise NotFound(f"no candidate {candidate_id!r}")
    return _without_hidden(store, [_candidate_view(rows[0]["candidate"])])[0]


def list_candidates(
    store: Store,
    status: str | None = "pending",
    document_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Candidates in document order; `status` None or "" for every status."""
    if status and status not in CANDIDATE_STATUSES:
        raise InvalidInput(
            f"status must be one of {', '.join(CANDIDATE_STATUSES)}",
            details=[_field("status", " | ".join(CANDIDATE_STATUSES))],
        )
    rows = store.run(
        "review_candidates",
        {"status": status or "", "document_id": document_id or "", "skip": offset, "limit": limit},
    )
    return _without_hidden(store, [_candidate_view(row["candidate"]) for row in rows])


# --- decisions ----------------------------------------------------------------------------


def _pending(store: Store, candidate_id: str) -> dict[str, Any]:
    candidate = get_candidate(store, candidate_id)
    if candidate["status"] != "pending":
        raise Conflict(
            f"candidate {candidate_id} was already {candidate['status']}"
            + (f" by {candidate['decided_by']}" if candidate.get("decided_by") else "")
            + (f" on {candidate['decided_at']}" if candidate.get("decided_at") else ""),
            details=[{"field": "status", "message": candidate["status"]}],
        )
    return candidate


def _decide_step(candidate_id: str, decision: dict[str, Any]) -> WriteStep:
    return WriteStep("decide_candidate", {"candidate": candidate_id, "decision": decision})


def _guard(position: int, step: WriteStep, rows: list[Row]) -> None:
    """Roll the decision back when its premise no longer holds (a concurrent decision, a
    vanished document or entity)."""
    if step.query == "decide_candidate" and not rows:
        raise Conflict(f"candidate {step.params['candidate']} was decided meanwhile")
    if step.query == "link_mentions" and rows[0]["rows"] != len(step.params["rows"]):
        raise Conflict("the document or the entity was removed meanwhile; nothing was changed")


def reject_candidate(store: Store, candidate_id: str, decided_by: str | None = None) -> Decision:
    """Mark a pending candidate rejected; it stays stored, so re-ingesting will not offer
    it again."""
    _pending(store, candidate_id)
    decision = {"status": "rejected", "decided_by": decided_by or "analyst", "decided_at": _now()}
    store.write_transaction([_decide_step(candidate_id, decision)], progress=_guard)
    return Decision(get_candidate(store, candidate_id))


def accept_candidate(
    store: Store,
    model: Model,
    candidate_id: str,
    *,
    label: str | None = None,
    name: str | None = None,
    properties: Mapping[str, Any] | None = None,
    entity_id: str | None = None,
    confidence: int | None = None,
    decided_by: str | None = None,
) -> Decision:
    """Accept a pending candidate: as a new entity of `label` (created through the model's
    checks, its document as source), or as the existing entity `entity_id`. Either way the
    document gets a MENTIONS link to it and the candidate records the entity, in one
    transaction."""
    candidate = _pending(store, candidate_id)
    if (label is None) == (entity_id is None):
        raise InvalidInput(
            "give either label (to create an entity) or entity_id (to link an existing one)",
            details=[_field("label", "or entity_id"), _field("entity_id", "or label")],
        )
    doc_id = candidate["document_id"]
    document = store.run("entity_by_id", {"id": doc_id})
    if not document:
        raise Conflict(f"the candidate's document {doc_id} is no longer in the graph")
    doc = document[0]["properties"]
    grade = {"reliability": doc["reliability"], "credibility": doc["credibility"]}
    quotes = list(candidate["sentences"]) or [collapse_whitespace(candidate["text"])]
    steps: list[WriteStep] = []
    if entity_id is not None:
        found = store.run("entity_by_id", {"id": entity_id})
        if not found or "Document" in found[0]["labels"]:
            raise InvalidInput(
                f"no entity {entity_id!r} to link", details=[_field("entity_id", "not found")]
            )
        merged_into = found[0]["properties"].get("merged_into")
        if merged_into:
            raise InvalidInput(
                f"entity {entity_id} was merged into {merged_into}; link that one",
                details=[_field("entity_id", f"merged into {merged_into}")],
            )
        labels = ordered_labels(model, found[0]["labels"])
        entity = EntityRef(entity_id, found[0]["properties"]["name"], labels)
        created = False
    else:
        assert label is not None
        text = str(doc.get("text") or "")
        surfaces = [text[a:b] for a, b in zip(candidate["starts"], candidate["ends"], strict=False)]
        row = _new_entity_row(
            store, model, candidate, label, name, properties, confidence, surfaces
        )
        row["props"].update(grade)
        steps.append(WriteStep("upsert_nodes", {"rows": [row]}))
        entity = EntityRef(row["id"], row["props"]["name"], tuple(model.labels_of(label)))
        created = True
    mention_id = stable_id("mentions", doc_id, entity.id)
    mention = {
        "id": mention_id,
        "from": doc_id,
        "to": entity.id,
        "props": {
            "id": mention_id,
            "source_ids": [doc_id],
            "quote": quotes[0],
            "quotes": quotes,
            "confidence": REVIEW_CONFIDENCE,
            **grade,
            "linked_by": "review",
        },
    }
    steps.append(WriteStep("link_mentions", {"rows": [mention]}))
    decision = {
        "status": "accepted",
        "decided_by": decided_by or "analyst",
        "decided_at": _now(),
        "entity_id": entity.id,
    }
    store.write_transaction(
        [_decide_step(candidate_id, decision), *steps], progress=_guard, label="accept"
    )
    return Decision(get_candidate(store, candidate_id), entity, mention_id, created)


def _new_entity_row(
    store: Store,
    model: Model,
    candidate: Mapping[str, Any],
    label: str,
    name: str | None,
    properties: Mapping[str, Any] | None,
    confidence: int | None,
    surfaces: Sequence[str] = (),
) -> dict[str, Any]:
    """The upsert row of the entity an accepted candidate becomes, checked against the
    model like seed data: known properties, valid values, required ones present. The ways
    the document wrote it ("Karim Benali", "Mr Benali" -> "Benali") become aliases, so the
    next article that writes them links."""
    labels = [x for x in model.node_labels if x != "Document"]
    if label not in labels:
        raise InvalidInput(
            f"label {label!r} is not one of {', '.join(labels)}",
            details=[_field("label", " | ".join(labels))],
        )
    entity_name = collapse_whitespace(name if name is not None else candidate["text"])
    if not entity_name:
        raise InvalidInput("the name is empty", details=[_field("name", "empty")])
    specs = model.node_properties(label)
    given: dict[str, Any] = {}
    if label == candidate.get("suggested_label"):
        given.update(candidate.get("suggested_properties") or {})
    if candidate.get("kind") == "date" and model.is_a(label, "Event") and candidate.get("date"):
        given.update(date=candidate["date"], date_text=candidate["text"])
    given.update(properties or {})
    props: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for key, value in given.items():
        spec = specs.get(key)
        where = f"properties.{key}"
        if spec is None or key in ("id", "name"):
            problems.append(_field(where, f"not a property of {label} that can be given here"))
        elif spec.derived:
            problems.append(_field(where, "derived by crimegraph; do not set it"))
        elif value is not None:
            try:
                store_value(key, check_value(spec, value), props)
            except ValueError as exc:
                problems.append(_field(where, str(exc)))
    missing = [
        key
        for key, spec in specs.items()
        if spec.required and not spec.derived and key not in ("id", "name") and key not in props
    ]
    problems += [_field(f"properties.{key}", f"is required for {label}") for key in missing]
    if problems:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidInput(f"cannot create the {label}: {summary}", details=problems)

    aliases = list(props.get("aliases") or [])
    if candidate["kind"] not in ("date", "ambiguous"):
        written = [candidate["text"], *(collapse_whitespace(s) for s in surfaces)]
        aliases += [w for w in written if w and fold_name(w) != fold_name(entity_name)]
    unique: dict[str, str] = {}
    for alias in aliases:
        unique.setdefault(fold_name(alias), alias)
    if unique:
        props["aliases"] = list(unique.values())
    _refuse_duplicate(store, label, entity_name)
    entity_id = stable_id(label.lower(), entity_name, candidate["document_id"])
    with visibility.unrestricted():  # a hidden entity of that id must not be overwritten
        exists = bool(store.run("entity_by_id", {"id": entity_id}))
    if exists:
        raise Conflict(
            f"entity {entity_id} exists already; accept with entity_id to link it",
            details=[_field("entity_id", entity_id)],
        )
    quotes = list(candidate["sentences"])
    props.update(
        id=entity_id,
        name=entity_name,
        search_text=search_text(entity_name, props.get("aliases")),
        source_ids=[candidate["document_id"]],
        quote=quotes[0],
        quotes=quotes,
        confidence=_check_confidence(
            candidate.get("confidence", DEFAULT_CONFIDENCE) if confidence is None else confidence
        ),
    )
    return {"id": entity_id, "label": label, "props": props}


def _refuse_duplicate(store: Store, label: str, name: str) -> None:
    """An entity of the same label already goes by this name: link it instead."""
    key = fold_name(name)
    same = [
        row["id"]
        for row in store.run("linkable_entities")
        if label in (row["labels"] or ())
        and key in {fold_name(n) for n in [row["name"] or "", *(row["aliases"] or [])]}
    ]
    if same:
        raise Conflict(
            f"a {label} named {name!r} is already in the graph ({', '.join(same)}); "
            "accept with entity_id to link it",
            details=[_field("entity_id", entity) for entity in same],
        )
