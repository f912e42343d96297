"""Which handling-restricted items the current caller may see (docs/security.md).

The rule itself and its context variable live in the database layer (graph.db.view), so the
store applies it without importing this layer. Here it meets the caller: inside an HTTP
request the visibility follows the principal the security middleware put in the request's
audit context (graph.access.audit), so it reaches the worker threads FastAPI runs sync routes
in (they copy the context); a request without a principal sees no restricted item, and so does
code outside a request that has not said whose view it reads with (it fails closed). The
command line, start-up and bookkeeping say so explicitly: `scope(EVERYTHING)` or
`unrestricted()` (for reads that must see every item whoever asks, e.g. a merge moving all of
an entity's relationships, an import checking which ids exist).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from graph.access import audit
from graph.core.errors import NotFound
from graph.db import view
from graph.db.view import (  # the rule's names, for callers above the database layer
    EVERYTHING,
    HANDLING_ALL,
    HANDLING_CODES,
    UNRESTRICTED_ONLY,
    Visibility,
    current,
    scope,
    unrestricted,
)

if TYPE_CHECKING:
    from graph.access.auth import Principal
    from graph.db.store import Store

__all__ = [
    "EVERYTHING",
    "HANDLING_ALL",
    "HANDLING_CODES",
    "UNRESTRICTED_ONLY",
    "Visibility",
    "current",
    "entity_not_found",
    "of",
    "scope",
    "snapshot_codes",
    "unrestricted",
]


def of(principal: Principal) -> Visibility:
    """What a principal may see: everything, or the unrestricted items and its codes."""
    return Visibility(principal.sees_everything, tuple(sorted(principal.handling)))


def _request_visibility() -> Visibility | None:
    ctx = audit.current()
    if ctx is None:
        return None  # not a request: graph.db.view fails closed unless a scope says otherwise
    if ctx.principal is None:
        return UNRESTRICTED_ONLY  # a request without a key (public routes)
    return of(ctx.principal)


view.install_request_view(_request_visibility)


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
