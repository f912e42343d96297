"""What the reads of the current context may see, and which named queries it ran.

Both are context variables owned by the database layer, so the store fills the handling
parameters and notes its queries without knowing who asks or that HTTP exists; the access
layer above (graph.access.visibility, graph.access.audit) decides the values.

An entity or relationship whose `handling` property holds a code (e.g. `case:prison-break`)
is visible only to callers cleared for that code. Named read queries that declare
`$handling_all` (BOOLEAN) and `$handling_codes` (LIST<STRING>) get them from `current()` and
filter every node and relationship they return with

    WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)

The rule fails closed: code that has not said whose view it reads with (`scope()`, or the
request view the access layer installs) sees no restricted item. The command line, start-up
and bookkeeping say so at the call site with `scope(EVERYTHING)` or `unrestricted()`.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

HANDLING_ALL = "handling_all"
HANDLING_CODES = "handling_codes"


@dataclass(frozen=True)
class Visibility:
    """See every item (`see_all`), or the unrestricted ones and those of `codes`."""

    see_all: bool
    codes: tuple[str, ...] = ()

    def can_see(self, handling: object) -> bool:
        """Whether an item whose `handling` is this value (None: unrestricted) is visible."""
        return handling is None or self.see_all or handling in self.codes

    def can_see_all(self, codes: Iterable[str]) -> bool:
        return self.see_all or set(codes) <= set(self.codes)

    def params(self) -> dict[str, Any]:
        """The values of the two query parameters."""
        return {HANDLING_ALL: self.see_all, HANDLING_CODES: list(self.codes)}


EVERYTHING = Visibility(see_all=True)
UNRESTRICTED_ONLY = Visibility(see_all=False)

_CURRENT: contextvars.ContextVar[Visibility | None] = contextvars.ContextVar(
    "crimegraph_visibility", default=None
)
# The access layer's answer for the current request (its principal's clearance), or None
# outside a request; installed once by graph.access.visibility.
_request_view: list[Callable[[], Visibility | None]] = []


def install_request_view(resolver: Callable[[], Visibility | None]) -> None:
    _request_view[:] = [resolver]


def current() -> Visibility:
    """The visibility set by `scope()`; else the request's; else nothing restricted."""
    explicit = _CURRENT.get()
    if explicit is not None:
        return explicit
    for resolver in _request_view:
        visible = resolver()
        if visible is not None:
            return visible
    return UNRESTRICTED_ONLY


@contextlib.contextmanager
def scope(visibility: Visibility) -> Iterator[Visibility]:
    """Run the block with this visibility (worker threads started inside inherit it)."""
    token = _CURRENT.set(visibility)
    try:
        yield visibility
    finally:
        _CURRENT.reset(token)


def unrestricted() -> contextlib.AbstractContextManager[Visibility]:
    """For the command line, start-up and bookkeeping reads that must see every item
    whoever asks; never for reads whose rows reach a caller with less clearance."""
    return scope(EVERYTHING)


@dataclass
class QueryNote:
    """A named query the context ran, with its row count when it finished."""

    name: str
    rows: int | None = None


_QUERY_LOG: contextvars.ContextVar[list[QueryNote] | None] = contextvars.ContextVar(
    "crimegraph_query_log", default=None
)


@contextlib.contextmanager
def recording(log: list[QueryNote] | None) -> Iterator[None]:
    """Append a note of each named query run inside the block to `log` (None: record none)."""
    token = _QUERY_LOG.set(log)
    try:
        yield
    finally:
        _QUERY_LOG.reset(token)


def note_query(name: str) -> QueryNote:
    """Record that the current context runs named query `name`; the caller sets `.rows`."""
    note = QueryNote(name)
    log = _QUERY_LOG.get()
    if log is not None:
        log.append(note)
    return note
