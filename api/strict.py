"""Strict query parameters: a parameter the route does not declare is a 422 that lists those
it accepts, after the route's own role check (an app-wide dependency, api.app)."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant

from api.security import RoleRequirement
from graph.core.errors import InvalidInput

# Pages FastAPIOffline adds (the OAuth2 redirect page takes whatever its provider sends).
_UNCHECKED_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
# By route (id, with a weak reference to tell a route from a later one at the same address).
_accepted_by_route: dict[int, tuple[weakref.ref[Any], frozenset[str] | None]] = {}


def _accepted_query_params(route: Any) -> frozenset[str] | None:
    """The query parameters a route declares, by the name a client sends (the alias), as
    in the OpenAPI document; None for a route that is not checked."""
    known = _accepted_by_route.get(id(route))
    if known is not None and known[0]() is route:
        return known[1]
    dependant = getattr(route, "dependant", None)
    accepted = (
        None
        if dependant is None or getattr(route, "path", None) in _UNCHECKED_PATHS
        else frozenset(_query_aliases(dependant))
    )
    if route is not None:
        _accepted_by_route[id(route)] = (weakref.ref(route), accepted)
    return accepted


def _query_aliases(dependant: Dependant) -> Iterator[str]:
    """The route's own query parameters and those of every dependency it uses."""
    for param in dependant.query_params:
        yield param.alias
    for dependency in dependant.dependencies:
        yield from _query_aliases(dependency)


def _role_requirements(dependant: Dependant) -> Iterator[Callable[[Request], Awaitable[Any]]]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleRequirement):
            yield dependency.call
        yield from _role_requirements(dependency)


async def reject_unknown_query_params(request: Request) -> None:
    """An app-wide dependency: a query parameter the route does not declare is a 422 that
    lists those it accepts (a misspelt `untill=` would otherwise be ignored in silence, and
    the answer would look filtered when it is not)."""
    if not request.query_params:
        return
    route: Any = request.scope.get("route")
    accepted = _accepted_query_params(route)
    if accepted is None:
        return
    unknown = sorted(set(request.query_params.keys()) - accepted)
    if not unknown:
        return
    # The route's role first: a caller who may not use the route gets the 401 or 403 it
    # would get without the stray parameter, not the route's parameter list.
    for requirement in _role_requirements(route.dependant):
        await requirement(request)
    choices = ", ".join(sorted(accepted)) if accepted else "none"
    raise InvalidInput(
        f"unknown query parameter(s) {', '.join(repr(u) for u in unknown)}; "
        f"this route accepts: {choices}",
        details=[
            {
                "field": f"query.{name}",
                "message": f"not a parameter of this route; accepted: {choices}",
            }
            for name in unknown
        ],
    )
