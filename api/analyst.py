"""The analysts' workbench: read-only Cypher over HTTP.

The one route that accepts Cypher text. graph.db.readonly refuses anything but a single read
query before it reaches the database (403), and the database refuses writes again on its own
(read-only user or READ access mode), with a timeout, a row cap and a byte budget. API keys sit in a
database the read user cannot open (graph.access.auth): where the configuration cannot promise
that, the route answers 503 unless CRIMEGRAPH_ANALYST_CYPHER=unsafe-shared-database.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from api.deps import INVALID, GraphDep, StoreDep
from api.errors import ErrorResponse
from api.security import ANALYST
from graph.access import audit
from graph.core.errors import AnalystCypherUnavailable
from graph.db.readonly import MAX_QUERY_LENGTH, check_no_secrets, check_read_only

router = APIRouter(prefix="/api/v1", tags=["analysts"])

FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorResponse,
        "description": "not a read-only query (writes, schema, admin, files, procedures off "
        "the list, API key records), or the key's role is below analyst",
    }
}


UNAVAILABLE_HERE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorResponse,
        "description": "the database is unreachable; the query outlived the timeout and was "
        "stopped (`query_timeout`); every analysts' slot is taken (`analysts_busy`); or the "
        "configuration cannot keep API key records out of reach "
        "(`analyst_cypher_unavailable`)",
    }
}


class CypherRequest(BaseModel):
    query: str = Field(
        min_length=1,
        max_length=MAX_QUERY_LENGTH,
        description="one read-only Cypher query; parameters as $name",
        examples=["MATCH (n:Person)-[r]-(m) WHERE n.name = $name RETURN type(r), m.name, r.quote"],
    )
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"name": "Mohamed Amra"}])
    limit: int = Field(1000, ge=1, le=10_000, description="at most this many rows")


class CypherResult(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool = Field(description="true when `limit` cut the result")


@router.post(
    "/cypher",
    dependencies=ANALYST,
    response_model=CypherResult,
    responses={**FORBIDDEN, **INVALID, **UNAVAILABLE_HERE},
    summary="Run a read-only Cypher query (analysts)",
)
def run_cypher(
    state: GraphDep, store: StoreDep, request: Annotated[CypherRequest, Body()]
) -> CypherResult:
    """For analysts who write their own Cypher: reads only, checked twice (by crimegraph before
    the database, then by the database's own permissions), with a timeout and a row cap.
    API key records are out of reach: a query naming them, or whose result holds one, is a
    403. Property names that collide with Cypher keywords (e.g. `start`) need back-ticks.
    The query text is kept whole in the request's audit record. At most
    `analyst_concurrency` such queries run at once (503 with Retry-After beyond); one that
    outlives the timeout is stopped in the database (on the embedded engine, by restarting
    it if nothing else stops it). An answer over `analyst_max_result_bytes` of JSON is a
    422 `result_too_large`. The query is sent once: never retried by the driver."""
    audit.note_detail("cypher", request.query)
    problem = store.analyst_boundary_problem()
    if problem is not None and state.settings.analyst_cypher != "unsafe-shared-database":
        raise AnalystCypherUnavailable(
            f"the analysts' Cypher endpoint is off: {problem}, so the database cannot keep API "
            "key records out of reach. Keep keys in a separate database the read user cannot "
            "open (CRIMEGRAPH_NEO4J_SECURITY_DATABASE, Neo4j Enterprise), or accept the risk "
            "with CRIMEGRAPH_ANALYST_CYPHER=unsafe-shared-database (docs/security.md)"
        )
    check_read_only(request.query)
    columns, rows, truncated = store.run_analyst_text(request.query, request.params, request.limit)
    check_no_secrets(rows)
    audit.note_result_items(len(rows))
    return CypherResult(columns=columns, rows=rows, row_count=len(rows), truncated=truncated)
