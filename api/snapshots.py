"""Snapshots for briefings: freeze a subgraph, then download it in any format."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, Field, WithJsonSchema, model_validator

from api.deps import INVALID, NOT_FOUND, UNAVAILABLE, ModelDep, StoreDep, relationship_types
from api.security import VIEWER, InvestigatorDep, ViewerDep, named_query_for
from graph.access import audit
from graph.core.errors import InvalidInput
from graph.formats.registry import FORMATS, render
from graph.formats.snapshot_json import Snapshot
from graph.investigate import snapshot as snapshots
from graph.investigate.links import LinkFilter

router = APIRouter(prefix="/api/v1", tags=["snapshots"])
ERRORS = {**INVALID, **NOT_FOUND, **UNAVAILABLE}


class NamedQueryRef(BaseModel):
    name: str = Field(
        description="a read query of cypher/queries", examples=["network_facility_links"]
    )
    params: dict[str, Any] = Field(default_factory=dict)


class SnapshotRequest(BaseModel):
    """Either a named query (every entity it returns, and the links among them) or entity
    ids with a depth (their neighbourhood)."""

    title: str | None = Field(None, max_length=200, examples=["Mohamed Amra, 2 hops"])
    query: NamedQueryRef | None = None
    entity_ids: list[str] | None = Field(None, min_length=1, max_length=50)
    depth: int = Field(2, ge=1, le=3)
    types: list[str] | None = Field(
        None, description="relationship types to include; default all but MENTIONS"
    )
    min_confidence: int = Field(0, ge=0, le=100)
    min_grade: str | None = Field(None, pattern="^[A-Fa-f][1-6]$")

    @model_validator(mode="after")
    def _one_source(self) -> SnapshotRequest:
        if (self.query is None) == (self.entity_ids is None):
            raise ValueError("give either `query` or `entity_ids`")
        return self


class SnapshotSummary(BaseModel):
    id: str
    title: str
    created: str
    engine: str
    duration_ms: int
    nodes: int
    relationships: int
    sources: int
    content_hash: str
    formats: dict[str, str] = Field(description="format name -> download path")


def summary(snap: Snapshot) -> SnapshotSummary:
    return SnapshotSummary(
        id=snap["id"],
        title=snap["title"],
        created=snap["created"],
        engine=snap["engine"],
        duration_ms=snap["duration_ms"],
        nodes=len(snap["nodes"]),
        relationships=len(snap["relationships"]),
        sources=len(snap["sources"]),
        content_hash=snap["content_hash"],
        formats={name: f"/api/v1/snapshots/{snap['id']}/{name}" for name in FORMATS},
    )


class QueryGraph(BaseModel):
    rows: list[dict[str, Any]] = Field(description="the query's rows, as the Browser shows them")
    graph: dict[str, Any] = Field(
        description="the entities the rows name and the links among them, in the snapshot "
        "format (not stored; POST /api/v1/snapshots stores one)"
    )


@router.post(
    "/queries/{name}/graph",
    response_model=QueryGraph,
    responses=ERRORS,
    tags=["named queries"],
    summary="Run a named read query; get its rows and the subgraph they name",
)
def run_query_as_graph(
    store: StoreDep,
    model: ModelDep,
    principal: ViewerDep,
    name: Annotated[
        str, Path(description="a read query of cypher/queries", examples=["entity_links"])
    ],
    params: Annotated[
        dict[str, Any],
        Body(
            description="the query's parameters by name, a JSON object: those its header "
            "declares (GET /api/v1/queries/{name} lists them, typed, with an example); `{}` "
            "for a query without any. Unknown or mistyped ones are a 422",
            openapi_examples={
                "entity_links": {
                    "summary": "POST /api/v1/queries/entity_links/graph",
                    "value": {"id": "person-mohamed-amra-2da800b3", "limit": 100},
                },
                "network_facility_links": {
                    "summary": "POST /api/v1/queries/network_facility_links/graph",
                    "value": {
                        "network_id": "criminalnetwork-organized-crime-networks-d2d233f5",
                        "facility_id": "",
                        "min_confidence": 0,
                        "max_reliability": "F",
                        "max_credibility": 6,
                    },
                },
            },
        ),
    ],
) -> QueryGraph:
    """The same named query an analyst pastes into the Neo4j Browser, for /explore and other
    clients: read queries only, parameters checked against the file's header. Nothing is
    stored (a viewer may run it). Queries over datasets, decisions or review candidates need
    the role of the routes that serve those; the API key queries are not served at all."""
    named_query_for(store.queries, name, principal, params)
    types = list(relationship_types(model, None))
    rows, graph = snapshots.run_as_graph(store, name, params, types)
    audit.note_result_items(len(rows))
    empty: dict[str, Any] = {"nodes": [], "relationships": [], "sources": []}
    return QueryGraph(rows=rows, graph=graph if graph is not None else empty)


@router.post(
    "/snapshots",
    response_model=SnapshotSummary,
    status_code=201,
    responses={
        200: {
            "model": SnapshotSummary,
            "description": "the same content was frozen before: the stored snapshot",
        },
        **ERRORS,
    },
    summary="Freeze a subgraph for a briefing",
)
def create_snapshot(
    store: StoreDep,
    model: ModelDep,
    principal: InvestigatorDep,
    request: Annotated[SnapshotRequest, Body()],
    response: Response,
) -> SnapshotSummary:
    """Records the query, its parameters, the engine, the time taken, the nodes and
    relationships with all their properties and sources, and a content hash (the id: the
    same content is the same snapshot). Every format renders from it, identically each time.
    201 when new; 200 with the stored snapshot (its title and time) when the same content
    was frozen before."""
    types = relationship_types(model, request.types, where="body")
    if request.query is not None:
        named_query_for(store.queries, request.query.name, principal, request.query.params)
        snap = snapshots.freeze_named_query(
            store, request.query.name, request.query.params, list(types), request.title
        )
    else:
        flt = LinkFilter.build(types, request.min_confidence, request.min_grade)
        snap = snapshots.freeze_neighbourhood(
            store, request.entity_ids or [], request.depth, flt, request.title
        )
    stored, created = snapshots.save(store, snap)
    if not created:
        response.status_code = 200
    return summary(stored)


@router.get(
    "/snapshots",
    dependencies=VIEWER,
    response_model=list[SnapshotSummary],
    responses=ERRORS,
    summary="Stored snapshots, newest first",
)
def list_snapshots(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many")] = 50,
) -> list[SnapshotSummary]:
    found = [
        summary(snapshots.load(store, row["id"]))
        for row in store.run("snapshots", {"limit": limit})
    ]
    audit.note_result_items(len(found))
    return found


@router.get(
    "/snapshots/{snapshot_id}",
    dependencies=VIEWER,
    response_model=dict[str, Any],
    responses=ERRORS,
    summary="A snapshot as JSON (format crimegraph.snapshot/1)",
)
def get_snapshot(store: StoreDep, snapshot_id: Annotated[str, Path()]) -> Response:
    """The stored snapshot, byte for byte the same at every request."""
    return _download(store, snapshot_id, "json")


DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the snapshot in the format asked for",
        "content": {f.media_type.split(";")[0]: {} for f in FORMATS.values()},
    }
}


@router.get(
    "/snapshots/{snapshot_id}/{format_name}",
    dependencies=VIEWER,
    response_model=None,
    responses={**DOWNLOAD, **ERRORS},
    summary="A snapshot rendered in one format",
    response_class=Response,
)
def export_snapshot(
    store: StoreDep,
    snapshot_id: Annotated[str, Path()],
    format_name: Annotated[
        str,
        WithJsonSchema({"type": "string", "enum": list(FORMATS)}),
        Path(description=f"one of {', '.join(FORMATS)}"),
    ],
) -> Response:
    """json, graphml (Gephi, yEd), ftm (FollowTheMoney JSON lines), cypher (a script that
    recreates the subgraph), csv (neo4j-admin import files, zipped), svg, png, html (a
    one-page briefing). The same snapshot always renders to the same bytes."""
    return _download(store, snapshot_id, format_name)


def _download(store: StoreDep, snapshot_id: str, format_name: str) -> Response:
    if format_name not in FORMATS:
        raise InvalidInput(
            f"unknown format {format_name!r}",
            details=[{"field": "path.format_name", "message": f"one of {', '.join(FORMATS)}"}],
        )
    snap = snapshots.load(store, snapshot_id)
    body, media_type, file_name = render(snap, format_name)
    return Response(
        content=body,
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="{file_name}"'},
    )
