"""Typed dependencies shared by the API's routers."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request

from api.errors import ErrorResponse
from graph.errors import InvalidInput
from graph.model import Model
from graph.queries import QuerySet
from graph.settings import Settings
from graph.store import Store


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
    graph: GraphState = request.app.state.graph
    return graph


async def get_store(graph: Annotated[GraphState, Depends(get_graph)]) -> Store:
    if graph.store.schema_applied:
        return graph.store
    return await anyio.to_thread.run_sync(graph.ready_store)  # DDL over the network


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
