"""Which handling-restricted items the current caller may see (docs/security.md).

An entity or relationship whose `handling` property holds a code (e.g. `case:prison-break`)
is visible only to callers cleared for that code. Named read queries that declare
`$handling_all` (BOOLEAN) and `$handling_codes` (LIST<STRING>) get them from `current()`,
filled in by graph.db.store like the engine parameters, and filter every node and relationship
they return with

    WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)

The visibility is a context variable. Inside an HTTP request it follows the principal the
security middleware put in the request's audit context (graph.access.audit), so it reaches the
worker threads FastAPI runs sync routes in (they copy the context); a request without a
principal sees no restricted item. Outside a request (the command line, start-up, tests)
everything is visible. `scope()` sets it explicitly; `unrestricted()` lets bookkeeping that
must see every item (a merge moving all of an entity's relationships, an import checking
which ids exist) run inside a restricted request.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graph.access import audit
from graph.core.errors import NotFound

if TYPE_CHECKING:
    from graph.access.auth import Principal
    from graph.db.store import Store

HANDLING_ALL = "handling_all"
HANDLING_CODES = "handling_codes"


@dataclass(frozen=True)
class Visibility:
    """See every item (`see_all`), or the unrestricted ones and those of `codes`."""

    see_all: bool
    codes: tuple[str, ...] = ()

    @classmethod
    def of(cls, principal: Principal) -> Visibility:
        return cls(principal.sees_everything, tuple(sorted(principal.handling)))

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


def current() -> Visibility:
    """The visibility set by `scope()`; else the request principal's; else everything."""
    explicit = _CURRENT.get()
    if explicit is not None:
        return explicit
    ctx = audit.current()
    if ctx is None:
        return EVERYTHING  # not an HTTP request: the command line, start-up, tests
    if ctx.principal is None:
        return UNRESTRICTED_ONLY  # a request without a key (public routes)
    return Visibility.of(ctx.principal)


@contextlib.contextmanager
def scope(visibility: Visibility) -> Iterator[Visibility]:
    """Run the block with this visibility (worker threads started inside inherit it)."""
    token = _CURRENT.set(visibility)
    try:
        yield visibility
    finally:
        _CURRENT.reset(token)


def unrestricted() -> contextlib.AbstractContextManager[Visibility]:
    """For bookkeeping reads that must see every item whoever asks; never for reads whose
    rows reach the caller."""
    return scope(EVERYTHING)


def snapshot_codes(
    nodes: Iterable[Mapping[str, Any]], links: Iterable[Mapping[str, Any]]
) -> list[str]:
    """The handling codes of the items of a snapshot (each with `properties`), sorted."""
    codes = {
        str(item["properties"]["handling"])
        for item in (*nodes, *links)
        if (item.get("properties") or {}).get("handling") is not None
    }
    return sorted(codes)


def entity_not_found(store: Store, entity_id: str, message: str | None = None) -> NotFound:
    """The 404 for an entity the caller cannot have: the same answer whether it does not
    exist or is hidden, but a hidden one marks the request's audit record `denied` with
    reason `handling <code>`, so attempts on restricted items can be reviewed."""
    visibility = current()
    if not visibility.see_all and audit.current() is not None:
        with unrestricted():
            rows = store.run("entities_by_ids", {"ids": [entity_id]})
        if rows and not visibility.can_see(rows[0].get("handling")):
            audit.note_denied(f"handling {rows[0]['handling']}")
    return NotFound(message or f"no entity with id {entity_id!r}")
