"""Typed dependencies shared by the API's routers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
from datetime import datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Query, Request
from pydantic import AfterValidator, WithJsonSchema

from api.errors import ErrorResponse
from graph.core.errors import InvalidInput
from graph.core.settings import Settings
from graph.db.queries import QuerySet
from graph.db.store import Store
from graph.model.schema import Model, load_model, parse_partial_date


class GraphState:
    """The app's database: the store, and whether the schema is in place.

    The API starts even when the database is down; /ready and data routes answer 503 until
    it is reachable, and the first request after it returns applies the schema again.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._lock = threading.Lock()

    def ready_store(self) -> Store:
        if not self.store.schema_applied:
            with self._lock:
                if not self.store.schema_applied:
                    self.store.apply_schema(self.settings.cypher_dir / "schema")
        return self.store


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, and those hops were most of a small request's time (benchmarks/README.md).


async def get_graph(request: Request) -> GraphState:
    state: GraphState = request.app.state.graph
    return state


async def get_store(state: Annotated[GraphState, Depends(get_graph)]) -> Store:
    if state.store.schema_applied:
        return state.store
    return await anyio.to_thread.run_sync(state.ready_store)  # DDL over the network


async def get_queries(request: Request) -> QuerySet:
    queries: QuerySet = request.app.state.queries
    return queries


GraphDep = Annotated[GraphState, Depends(get_graph)]
StoreDep = Annotated[Store, Depends(get_store)]
QueriesDep = Annotated[QuerySet, Depends(get_queries)]

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorResponse,
        "description": "the database is unreachable (or the audit log cannot be written)",
    }
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "invalid parameters"}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "no such item"}
}


async def get_model(request: Request) -> Model:
    model: Model = request.app.state.model
    return model


ModelDep = Annotated[Model, Depends(get_model)]


# Mentions say a document names an entity; they prove no link between entities, so link
# questions leave them out unless asked for by type.
NOT_A_LINK_BY_DEFAULT = frozenset({"MENTIONS"})


def relationship_types(
    model: Model, types: list[str] | None, exclude: list[str] | None = None, where: str = "query"
) -> tuple[str, ...]:
    """The relationship types a question follows: those asked for (default all but
    MENTIONS) less those excluded; unknown names are a 422 naming the field."""
    for field, given in (("types", types), ("exclude_types", exclude)):
        unknown = sorted(set(given or ()) - set(model.relationship_types))
        if unknown:
            raise InvalidInput(
                f"unknown relationship type(s): {', '.join(repr(t) for t in unknown)}",
                details=[
                    {
                        "field": f"{where}.{field}",
                        "message": f"one of {', '.join(model.relationship_types)}",
                    }
                ],
            )
    chosen = types or [t for t in model.relationship_types if t not in NOT_A_LINK_BY_DEFAULT]
    excluded = set(exclude or ())
    return tuple(t for t in chosen if t not in excluded)


# ---------------------------------------------------------------------------------------------
# Pages: every list that can be cut answers with a `next_cursor` that continues it.

# An opaque page token: only a value a list returned is valid (422 otherwise).
CURSOR_PATTERN = "^[A-Za-z0-9_-]+={0,2}$"
# The furthest a cursor may reach into one list: a page of a neighbourhood or a timeline is
# computed with everything before it, so this bounds the work of one request.
MAX_CURSOR_OFFSET = 100_000

T = TypeVar("T")

CursorParam = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        max_length=200,
        description="next_cursor of the previous page of the same question (opaque)",
    ),
]


def cursor_key(*question: object) -> str:
    """What a cursor is bound to: the route's own parameters, all but `limit` and `cursor`
    (so a client may change the page size between pages)."""
    return hashlib.sha256(json.dumps(question, sort_keys=True, default=str).encode()).hexdigest()[
        :12
    ]


class Page:
    """One page of a list: where it starts (from the cursor) and how long it is."""

    def __init__(self, cursor: str | None, key: str, limit: int, what: str = "question") -> None:
        self.key = key
        self.limit = limit
        self.offset = _decode_cursor(cursor, key, what) if cursor else 0

    @property
    def end(self) -> int:
        """How many items the list needs to hold for this page to be cut from it."""
        return self.offset + self.limit

    def next_cursor(self, more: bool) -> str | None:
        """The cursor of the next page, or None when this page is the last."""
        if not more or self.end > MAX_CURSOR_OFFSET:
            return None
        return base64.urlsafe_b64encode(
            json.dumps({"o": self.end, "k": self.key}).encode()
        ).decode()

    def cut(self, items: list[T]) -> tuple[list[T], str | None]:
        """This page of a list that holds every item up to the page's end (or more)."""
        return items[self.offset : self.end], self.next_cursor(len(items) > self.end)


def _decode_cursor(cursor: str, key: str, what: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        offset = int(data["o"])
        if data["k"] != key or not 0 <= offset <= MAX_CURSOR_OFFSET:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise InvalidInput(
            f"cursor is not one this {what} returned",
            details=[{"field": "query.cursor", "message": f"use next_cursor from the same {what}"}],
        ) from None


# ---------------------------------------------------------------------------------------------
# Strict query parameters: what the OpenAPI document declares is what the API accepts.

# The model the lifespan loads too (graph/model/model.yaml): its names are the enums of parameters
# that take a label or a relationship type, so the document lists what a client may send.
MODEL = load_model()


def _calendar_date(value: str) -> str:
    parse_partial_date(value)  # ValueError names the text; FastAPI's 422 names the parameter
    return value


# A partial date as the CLI and the imports read it (graph.model.schema.parse_partial_date): a year,
# a month or a real day. The schema says the same, so generated clients and Schemathesis send
# only dates the API accepts: the day form is JSON Schema's `date` format (a calendar date).
PARTIAL_DATE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "anyOf": [{"pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]))?$"}, {"format": "date"}],
    "description": "YYYY, YYYY-MM or YYYY-MM-DD, a real calendar date",
    "examples": ["2024", "2024-04", "2024-04-12"],
}
PartialDateParam = Annotated[
    str, AfterValidator(_calendar_date), WithJsonSchema(PARTIAL_DATE_SCHEMA)
]


def _rfc3339(value: str) -> str:
    if not _RFC3339.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time such as 2026-11-22T15:30:00Z")
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # a real day and time
    return value


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# A moment as JSON Schema's `date-time` format (RFC 3339) says, checked the same way here.
DateTimeParam = Annotated[
    str, AfterValidator(_rfc3339), WithJsonSchema({"type": "string", "format": "date-time"})
]
# Names the model defines; the routes check them (422 naming the parameter and the choices).
RelationshipTypeName = Annotated[
    str, WithJsonSchema({"type": "string", "enum": MODEL.relationship_types})
]
LabelName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(MODEL.spec.nodes)})]
