"""Contradictions between sources: claims about one event that cannot both be true.

"One event" is: a single Event whose own date and the dates of the events PART_OF it
disagree; two Events an analyst judged `same` (compared as they were before the merge) or
`unsure`; or two Events that are an open duplicate candidate (graph.growth.resolution).

An event's date claim is its own `date` (partial ISO, a period: "2024-04" is all of April),
else the span of the dates of its parts, else its `date_text` (the source's words), placed
in time when they are relative to the citing document's publication date and that date is
known ("last month" in an article published 2024-05-20 is April 2024). Two absolute claims
whose periods do not overlap disagree; an absolute claim against words the source does not
anchor cannot be reconciled, which still deserves an analyst's eye. Differing statuses
disagree too.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date, timedelta
from typing import Any

from graph.core.text import MONTHS, display_date, fold, stable_id
from graph.db.store import Row, Store
from graph.growth.resolution import (
    DEFAULT_MIN_SCORE,
    active_pairs,
    decisions,
    find_candidates,
    get_decision,
    live_records,
    overlaps,
    period,
)
from graph.model.schema import Model

KINDS = ("dates_disagree", "dates_cannot_be_reconciled", "statuses_disagree")
_MONTH = {m.lower(): n for n, m in enumerate(MONTHS, start=1)}
_MONTH_PHRASE = re.compile(rf"^(?:in )?({'|'.join(_MONTH)})(?: (last|this) year)?$")


@dataclass
class Claim:
    """What one event record says about its date or status, and who says it."""

    event_id: str
    event_name: str
    field: str  # date | status
    value: str
    basis: str
    span: tuple[date, date] | None = None  # the days a date claim covers, when known
    quotes: list[str] = default(default_factory=list)
    source_ids: list[str] = default(default_factory=list)

    def as_dict(self, titles: dict[str, str | None]) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_name": self.event_name,
            "field": self.field,
            "value": self.value,
            "basis": self.basis,
            "period": {"start": self.span[0].isoformat(), "end": self.span[1].isoformat()}
            if self.span
            else None,
            "quotes": self.quotes,
            "sources": [{"id": s, "title": titles.get(s)} for s in self.source_ids],
        }


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def _month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def place_relative(words: str, anchor: date) -> tuple[date, date] | None:
    """The period relative words name, seen from the day a document was published; None
    for words too vague or unknown ("recent", "after nine months")."""
    text = fold(words)
    year, month = anchor.year, anchor.month
    if text in ("today", "now"):
        return anchor, anchor
    if text == "yesterday":
        return anchor - timedelta(days=1), anchor - timedelta(days=1)
    if text in ("this month", "earlier this month"):
        return _month_span(year, month)
    if text in ("last month", "previous month"):
        return _month_span(*_shift_month(year, month, -1))
    if text == "this year":
        return date(year, 1, 1), date(year, 12, 31)
    if text in ("last year", "previous year"):
        return date(year - 1, 1, 1), date(year - 1, 12, 31)
    match = _MONTH_PHRASE.match(text)
    if match:
        named = _MONTH[match.group(1)]
        if match.group(2) == "last":
            return _month_span(year - 1, named)
        if match.group(2) == "this" or named <= month:
            return _month_span(year, named)
        return _month_span(year - 1, named)  # "in May", said in April: last year's May
    return None


def _span_text(span: tuple[date, date]) -> str:
    start, end = span
    return start.isoformat() if start == end else f"{start.isoformat()} .. {end.isoformat()}"


@dataclass
class EventState:
    """One event as a comparison sees it: its own claims and its dated parts."""

    id: str
    name: str
    props: dict[str, Any]
    parts: list[dict[str, Any]]


def own_date_claim(event: EventState) -> Claim | None:
    value = event.props.get("date")
    span = period(value) if value else None
    if span is None:
        return None
    return Claim(
        event.id,
        event.name,
        "date",
        display_date(value, event.props.get("date_precision")),
        "its own date",
        span,
        [event.props["quote"]] if event.props.get("quote") else [],
        list(event.props.get("source_ids") or []),
    )


def parts_claim(event: EventState) -> Claim | None:
    spans = [(p, period(p["date"])) for p in event.parts if p.get("date")]
    dated = [(p, s) for p, s in spans if s is not None]
    if not dated:
        return None
    span = (min(s[0] for _, s in dated), max(s[1] for _, s in dated))
    ordered = sorted(dated, key=lambda ps: (ps[1][0], ps[0]["id"]))
    sources = list(dict.fromkeys(s for p, _ in ordered for s in p.get("source_ids") or []))
    count = len(dated)
    return Claim(
        event.id,
        event.name,
        "date",
        _span_text(span),
        f"the dates of its {count} dated part{'s' * (count != 1)}",
        span,
        [p["quote"] for p, _ in ordered if p.get("quote")],
        sources,
    )


def date_claim(event: EventState, published: dict[str, date]) -> Claim | None:
    """The event's date claim: own date, else its parts' span, else the source's words
    (placed in time when a citing document's publication date anchors them)."""
    claim = own_date_claim(event) or parts_claim(event)
    if claim is not None:
        return claim
    words = event.props.get("date_text")
    if not words:
        return None
    sources = list(event.props.get("source_ids") or [])
    quotes = [event.props["quote"]] if event.props.get("quote") else []
    for source in sources:
        anchor = published.get(source)
        span = place_relative(words, anchor) if anchor else None
        if anchor and span:
            return Claim(
                event.id,
                event.name,
                "date",
                _span_text(span),
                f"the source's words “{words}”, in a document published {anchor.isoformat()}",
                span,
                quotes,
                sources,
            )
    return Claim(
        event.id, event.name, "date", words, "the source's words only", None, quotes, sources
    )


def status_claim(event: EventState) -> Claim | None:
    status = event.props.get("status")
    if not status:
        return None
    quotes = [event.props["quote"]] if event.props.get("quote") else []
    sources = list(event.props.get("source_ids") or [])
    return Claim(event.id, event.name, "status", status, "its status", None, quotes, sources)


def compare(left: Claim | None, right: Claim | None) -> tuple[str, str] | None:
    """(kind, message) when two claims about one event contradict each other."""
    if left is None or right is None or left.field != right.field:
        return None
    if left.field == "status":
        if fold(left.value) == fold(right.value):
            return None
        return (
            "statuses_disagree",
            f"statuses disagree: {left.event_name!r} is “{left.value}”, "
            f"{right.event_name!r} is “{right.value}”",
        )
    if left.span and right.span:
        if overlaps(left.span, right.span):
            return None
        return (
            "dates_disagree",
            f"dates disagree: {left.event_name!r} is dated {left.value} ({left.basis}), "
            f"{right.event_name!r} {right.value} ({right.basis}); the periods do not overlap",
        )
    if left.span or right.span:
        dated, words = (left, right) if left.span else (right, left)
        return (
            "dates_cannot_be_reconciled",
            f"dates cannot be reconciled: {dated.event_name!r} is dated {dated.value} "
            f"({dated.basis}), but {words.event_name!r} only says “{words.value}”, which its "
            "source does not anchor to a date (no publication date): check whether these are "
            "the same event and when it happened",
        )
    return None


def _state(
    row: Row, props: dict[str, Any] | None = None, parts: list[Any] | None = None
) -> EventState:
    own = props if props is not None else row
    return EventState(
        row["id"],
        own.get("name") or row["name"],
        dict(own),
        list(parts if parts is not None else row["parts"]),
    )


def _published(rows: Iterable[Row]) -> dict[str, date]:
    out: dict[str, date] = {}
    for row in rows:
        value = row.get("published")
        span = period(value) if value else None
        # Only a day anchors relative words; a month or a year is too coarse.
        if span and span[0] == span[1]:
            out[row["id"]] = span[0]
    return out


def find(store: Store, model: Model, min_score: float = DEFAULT_MIN_SCORE) -> list[dict[str, Any]]:
    """Every contradiction, each with both claims, their quotes and their sources."""
    events = {row["id"]: row for row in store.run("event_claims")}
    source_ids = {
        s
        for row in events.values()
        for s in [
            *(row["source_ids"] or []),
            *(x for p in row["parts"] for x in p["source_ids"] or []),
        ]
    }
    documents = store.run("document_summaries", {"ids": sorted(source_ids)})
    titles: dict[str, str | None] = {d["id"]: d["title"] or d["name"] for d in documents}
    published = _published(documents)
    found: dict[str, dict[str, Any]] = {}

    def report(
        pair: tuple[EventState, EventState], basis: str, extra: dict[str, Any], single: bool = False
    ) -> None:
        left, right = pair
        claims = (
            [(own_date_claim(left), parts_claim(left))]
            if single
            else [
                (date_claim(left, published), date_claim(right, published)),
                (status_claim(left), status_claim(right)),
            ]
        )
        for one, two in claims:
            verdict = compare(one, two)
            if verdict is None or one is None or two is None:
                continue
            kind, message = verdict
            key = stable_id("contradiction", kind, *sorted({left.id, right.id}))
            found[key] = {
                "id": key,
                "kind": kind,
                "message": message,
                "basis": basis,
                "decision_id": None,
                "score": None,
                **extra,
                "claims": [one.as_dict(titles), two.as_dict(titles)],
            }

    # One event whose own date and its parts' dates disagree.
    for row in events.values():
        if row["merged_into"] is None and row["date"] and row["parts"]:
            state = _state(row)
            report((state, state), "one event: its own date against its parts' dates", {}, True)

    # Two events an analyst judged the same (as they were before the merge), or unsure.
    for decision in decisions(store):
        if decision["status"] != "active" or decision["judgement"] == "not_same":
            continue
        left, right = events.get(decision["left_id"]), events.get(decision["right_id"])
        if left is None or right is None:
            continue
        extra = {"decision_id": decision["id"], "score": decision["score"]}
        basis = f"judged {decision['judgement']} by {decision['decided_by']} ({decision['id']})"
        if decision["judgement"] == "unsure":
            report((_state(left), _state(right)), basis, extra)
            continue
        record = json.loads(get_decision(store, decision["id"])["undo"])
        moved = {m["id"] for m in record["moved"]}
        canonical = events[record["canonical_id"]]
        merged = events[record["merged_id"]]
        before = (
            _state(
                canonical,
                record["canonical_before"],
                [p for p in canonical["parts"] if p["link_id"] not in moved],
            ),
            _state(
                merged,
                record["merged_before"],
                [p for p in canonical["parts"] if p["link_id"] in moved],
            ),
        )
        report(before, basis, extra)

    # Two live events that may be one: an open duplicate candidate.
    records = live_records(store, model)
    pairs = find_candidates(
        model, records, active_pairs(store), min_score, lambda record: record.id in events
    )
    for candidate in pairs:
        left, right = events[candidate.left.id], events[candidate.right.id]
        basis = f"duplicate candidate (score {candidate.score}: {'; '.join(candidate.reasons)})"
        report((_state(left), _state(right)), basis, {"score": candidate.score})

    order = {kind: n for n, kind in enumerate(KINDS)}
    return sorted(found.values(), key=lambda c: (order[c["kind"]], c["id"]))
