"""The investigator API: link questions answered with the paths and sources that prove them.

Routes are plain `def` (the driver is synchronous; FastAPI runs them in its thread pool).
Every route runs named queries from cypher/queries through graph.*, nothing else.
"""

from __future__ import annotations

from dataclasses import astuple
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Depends, Path, Query

from api.deps import (
    INVALID,
    NOT_FOUND,
    UNAVAILABLE,
    CursorParam,
    LabelName,
    ModelDep,
    Page,
    PartialDateParam,
    RelationshipTypeName,
    StoreDep,
    cursor_key,
    relationship_types,
)
from api.models import (
    AttributedNetwork,
    ClaimedEntity,
    ClaimedLink,
    ConnectionKind,
    CoordinatedGroupModel,
    CoordinatedIncidentsModel,
    EntityDetail,
    EntityLite,
    EntitySummary,
    Evidence,
    FacilityNetworks,
    Incident,
    KeyPlayerModel,
    KeyPlayersModel,
    LinkModel,
    Neighbourhood,
    NetworkFacilities,
    NetworkFacilityConnection,
    PathModel,
    PathsResult,
    Provenance,
    RelationshipCount,
    SearchHit,
    SearchPage,
    SharedByModel,
    SourceDetail,
    SourceDocument,
    Timeline,
)
from api.security import VIEWER
from graph.access import audit, visibility
from graph.core.errors import InvalidInput
from graph.core.text import display_date
from graph.db.store import Row
from graph.investigate.analytics import coordinated_incidents, key_players
from graph.investigate.links import (
    CONNECTION_KINDS,
    Connection,
    LinkFilter,
    entities,
    neighbourhood,
    network_facility_connections,
    require_entity,
    shortest_paths,
)
from graph.investigate.search import search

router = APIRouter(prefix="/api/v1", tags=["investigate"])

ERRORS = {**INVALID, **NOT_FOUND, **UNAVAILABLE}
IncidentType = Literal["Attack", "Escape", "Arrest", "Seizure", "Operation"]
INCIDENT_LABELS: tuple[str, ...] = get_args(IncidentType)
# Shortest paths enumerated per question; pages are cut from these, so every page of one
# question sees the same list.
PATHS_CAP = 1000
# Incidents a coordination analysis reads: the whole timeline, as far as this reaches.
TIMELINE_CAP = 1_000_000


async def grade_filter(
    min_confidence: Annotated[
        int, Query(ge=0, le=100, description="only links with at least this confidence")
    ] = 0,
    min_grade: Annotated[
        str | None,
        Query(
            pattern="^[A-Fa-f][1-6]$",
            description="only links graded this or better, e.g. B2 = reliability A-B and credibility 1-2",
        ),
    ] = None,
) -> LinkFilter:
    """Confidence and Admiralty grading: the filters every link-returning endpoint takes."""
    return LinkFilter.build((), min_confidence, min_grade)


async def link_filter(
    model: ModelDep,
    grades: Annotated[LinkFilter, Depends(grade_filter)],
    types: Annotated[
        list[RelationshipTypeName] | None,
        Query(
            description="relationship types to follow (repeat the parameter); default: all but MENTIONS"
        ),
    ] = None,
    exclude_types: Annotated[
        list[RelationshipTypeName] | None,
        Query(description="relationship types not to follow (repeat the parameter)"),
    ] = None,
) -> LinkFilter:
    """Grades plus the relationship types a traversal may follow."""
    chosen = relationship_types(model, types, exclude_types)
    return LinkFilter(
        chosen,
        grades.min_confidence,
        grades.max_reliability,
        grades.max_credibility,
    )


GradeDep = Annotated[LinkFilter, Depends(grade_filter)]
ConnectionLimit = Annotated[
    int, Query(ge=1, le=1000, description="at most this many connections per page")
]
FilterDep = Annotated[LinkFilter, Depends(link_filter)]
EntityId = Annotated[
    str,
    Path(
        description="an entity id, as returned by /entities",
        examples=["person-mohamed-amra-2da800b3"],
    ),
]


def _evidence(row: Row) -> Evidence:
    return Evidence(
        source_ids=list(row.get("source_ids") or []),
        quote=row.get("quote") or "",
        confidence=row.get("confidence") or 0,
        grading=f"{row.get('reliability') or 'F'}{row.get('credibility') or 6}",
    )


@router.get(
    "/entities",
    dependencies=VIEWER,
    response_model=SearchPage,
    responses=ERRORS,
    summary="Find entities by name or alias, or list those with a label",
)
def search_entities(
    store: StoreDep,
    model: ModelDep,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            # What the search can match: folding keeps only letters a-z and digits.
            pattern="[A-Za-z0-9]",
            description="a name, alias or part of one, with at least one letter A-Z or digit; "
            "accents, case and one typo per word are forgiven. Without it, every entity "
            "with `label` is listed, by name",
            examples=["the fly"],
        ),
    ] = None,
    label: Annotated[
        LabelName, Query(description="only entities with this label", examples=["Person"])
    ] = "Entity",
    limit: Annotated[int, Query(ge=1, le=100, description="at most this many per page")] = 20,
    cursor: CursorParam = None,
) -> SearchPage:
    """Search names and aliases ("la sante", "Amra", "the fly", "oportick"), ranked: an exact
    name or alias first, then the name closest to the whole query, then the fulltext score.
    Without `q`, the entities with `label` by name (`score` null). Pages of `limit`, with a
    cursor."""
    if label not in model.spec.nodes:
        raise InvalidInput(
            f"unknown label {label!r}",
            details=[{"field": "query.label", "message": f"one of {', '.join(model.spec.nodes)}"}],
        )
    page = Page(cursor, cursor_key("entities", q, label), limit, "search")
    if q is None:
        rows = store.run(
            "entities_by_label", {"label": label, "skip": page.offset, "limit": limit + 1}
        )
        items, next_cursor = rows[:limit], page.next_cursor(len(rows) > limit)
    else:
        items, next_cursor = page.cut(search(store, q, label))
    audit.note_result_items(len(items))
    return SearchPage(
        items=[
            SearchHit(
                id=r["id"],
                name=r["name"],
                aliases=r.get("aliases") or [],
                labels=sorted(r["labels"]),
                description=r.get("description"),
                score=float(r["score"]) if "score" in r else None,
            )
            for r in items
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/entities/{entity_id}",
    dependencies=VIEWER,
    response_model=EntityDetail,
    responses=ERRORS,
    summary="One entity, its provenance and its relationships counted by type",
)
def get_entity(store: StoreDep, entity_id: EntityId) -> EntityDetail:
    rows = store.run("entity_detail", {"id": entity_id})
    if not rows:
        raise visibility.entity_not_found(store, entity_id)  # unknown or hidden: one answer
    row = rows[0]
    props = dict(row["properties"])
    for hidden in ("search_text", "text", "id"):
        props.pop(hidden, None)
    provenance = Provenance(
        source_ids=props.pop("source_ids", []),
        quote=props.pop("quote", ""),
        quotes=props.pop("quotes", []),
        confidence=props.pop("confidence", 0),
        grading=f"{props.pop('reliability', 'F')}{props.pop('credibility', 6)}",
    )
    return EntityDetail(
        id=row["id"],
        name=props.pop("name", row["id"]),
        labels=sorted(row["labels"]),
        aliases=props.pop("aliases", []),
        description=props.pop("description", None),
        properties=props,
        provenance=provenance,
        relationship_counts=sorted(
            (RelationshipCount(**c) for c in row["relationship_counts"]),
            key=lambda c: (-c.count, c.type),
        ),
        merged_into=props.pop("merged_into", None),
        merged_ids=props.pop("merged_ids", None) or [],
    )


@router.get(
    "/entities/{entity_id}/neighbors",
    dependencies=VIEWER,
    response_model=Neighbourhood,
    responses=ERRORS,
    summary="The k-hop neighbourhood of an entity, every link with its evidence",
)
def get_neighbors(
    store: StoreDep,
    flt: FilterDep,
    entity_id: EntityId,
    depth: Annotated[int, Query(ge=1, le=3, description="hops from the entity")] = 1,
    since: Annotated[
        PartialDateParam | None,
        Query(
            description="leave out events dated before this (YYYY, YYYY-MM or YYYY-MM-DD); "
            "undated entities are kept, since nothing says they fall outside"
        ),
    ] = None,
    until: Annotated[
        PartialDateParam | None,
        Query(description="leave out events dated after this (undated ones are kept)"),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=2000,
            description="at most this many links per page; `truncated` says if it cut, and "
            "`next_cursor` continues",
        ),
    ] = 200,
    cursor: CursorParam = None,
) -> Neighbourhood:
    """Entities within `depth` hops and the links between them. Events whose date lies
    outside since..until are not entered (a month-precision date counts as the whole month).
    Pages of `limit` links, nearest first; each page's `nodes` are the entities it brings
    (the start on the first page, then the ends of its links no earlier page gave), so the
    pages together hold every link and every entity once."""
    dated = flt.dated(since, until)
    page = Page(cursor, cursor_key("neighbors", entity_id, depth, astuple(dated)), limit)
    sub = neighbourhood(store, entity_id, depth, dated, page.end)
    start = next(n for n in sub.nodes if n.id == entity_id)
    earlier, links = sub.links[: page.offset], sub.links[page.offset :]
    given = {entity_id} | {i for link in earlier for i in (link.from_id, link.to_id)}
    brought = {i for link in links for i in (link.from_id, link.to_id)} - given
    if not page.offset:
        brought.add(entity_id)
    nodes = [n for n in sub.nodes if n.id in brought]
    audit.note_result_items(len(nodes) + len(links))
    return Neighbourhood(
        start=EntitySummary.of(start),
        depth=depth,
        nodes=[EntitySummary.of(n) for n in nodes],
        links=[LinkModel.of(link) for link in links],
        truncated=sub.truncated,
        next_cursor=page.next_cursor(sub.truncated),
    )


def _connection(c: Connection) -> NetworkFacilityConnection:
    how = sorted(c.paths_by_kind.items(), key=lambda kv: (kv[1].length, kv[0]))
    return NetworkFacilityConnection(
        network=EntitySummary.of(c.network),
        facility=EntitySummary.of(c.facility),
        how=[
            ConnectionKind(kind=k, description=CONNECTION_KINDS[k], path=PathModel.of(p))
            for k, p in how
        ],
        shortest_path=PathModel.of(c.shortest),
        source_ids=sorted(c.source_ids),
        source_count=len(c.source_ids),
        evidence_paths=c.evidence_paths,
    )


@router.get(
    "/networks/{network_id}/facilities",
    dependencies=VIEWER,
    response_model=NetworkFacilities,
    responses=ERRORS,
    summary="Which facilities connect to a criminal network, how, and on what evidence",
)
def network_facilities(
    store: StoreDep,
    flt: FilterDep,
    network_id: Annotated[
        str,
        Path(
            description="a CriminalNetwork id",
            examples=["criminalnetwork-organized-crime-networks-d2d233f5"],
        ),
    ],
    limit: ConnectionLimit = 100,
    cursor: CursorParam = None,
) -> NetworkFacilities:
    """Each facility with every kind of connection (an attack attributed to the network, an
    attack in a wave attributed to it, a member detained there, a member in an incident
    there, contraband from its supplier seized there), the shortest evidence path, and the
    sources; ranked by the number of independent sources."""
    page = Page(cursor, cursor_key("network_facilities", network_id, astuple(flt)), limit)
    network = require_entity(store, network_id, "CriminalNetwork")
    connections, next_cursor = page.cut(
        network_facility_connections(store, flt, network_id=network_id)
    )
    audit.note_result_items(len(connections))
    return NetworkFacilities(
        network=EntitySummary.of(network),
        facilities=[_connection(c) for c in connections],
        next_cursor=next_cursor,
    )


@router.get(
    "/facilities/{facility_id}/networks",
    dependencies=VIEWER,
    response_model=FacilityNetworks,
    responses=ERRORS,
    summary="Which criminal networks connect to a facility (the reverse question)",
)
def facility_networks(
    store: StoreDep,
    flt: FilterDep,
    facility_id: Annotated[
        str, Path(description="a Facility id", examples=["facility-la-sante-prison-c278fec2"])
    ],
    limit: ConnectionLimit = 100,
    cursor: CursorParam = None,
) -> FacilityNetworks:
    """The networks, ranked and explained as /networks/{id}/facilities ranks facilities."""
    page = Page(cursor, cursor_key("facility_networks", facility_id, astuple(flt)), limit)
    facility = require_entity(store, facility_id, "Facility")
    connections, next_cursor = page.cut(
        network_facility_connections(store, flt, facility_id=facility_id)
    )
    audit.note_result_items(len(connections))
    return FacilityNetworks(
        facility=EntitySummary.of(facility),
        networks=[_connection(c) for c in connections],
        next_cursor=next_cursor,
    )


@router.get(
    "/paths",
    dependencies=VIEWER,
    response_model=PathsResult,
    responses=ERRORS,
    summary="Shortest paths between two entities, every hop with its evidence",
)
def paths(
    store: StoreDep,
    flt: FilterDep,
    from_id: Annotated[
        str, Query(alias="from", min_length=1, description="entity id where paths start")
    ],
    to_id: Annotated[str, Query(alias="to", min_length=1, description="entity id where paths end")],
    max_hops: Annotated[int, Query(ge=1, le=6)] = 4,
    limit: Annotated[int, Query(ge=1, le=100, description="at most this many paths per page")] = 10,
    cursor: CursorParam = None,
) -> PathsResult:
    """All shortest paths within `max_hops` (up to 1,000, in pages of `limit`), following
    only links that pass the filters on every hop. 404 when none exists."""
    page = Page(cursor, cursor_key("paths", from_id, to_id, max_hops, astuple(flt)), limit)
    found = shortest_paths(store, from_id, to_id, max_hops, flt, PATHS_CAP)
    shown, next_cursor = page.cut(found)
    audit.note_result_items(len(shown))
    return PathsResult(
        from_entity=EntitySummary.of(found[0].nodes[0]),
        to_entity=EntitySummary.of(found[0].nodes[-1]),
        length=found[0].length,
        paths=[PathModel.of(p) for p in shown],
        next_cursor=next_cursor,
    )


def _incident(row: Row) -> Incident:
    labels = sorted(row["labels"])
    specific = [label for label in labels if label not in ("Entity", "Event")]
    return Incident(
        id=row["id"],
        name=row["name"],
        type=specific[0] if specific else "Event",
        labels=labels,
        date=row.get("date"),
        date_precision=row.get("date_precision"),
        date_display=display_date(row.get("date"), row.get("date_precision"), row.get("date_text")),
        date_text=row.get("date_text"),
        event_type=row.get("event_type"),
        status=row.get("status"),
        facilities=[EntityLite(**f) for f in row["facilities"]],
        networks=[AttributedNetwork(**n) for n in row["networks"]],
        evidence=_evidence(row),
    )


def _incident_rows(
    store: StoreDep,
    flt: LinkFilter,
    labels: list[str],
    facility: str = "",
    network: str = "",
    skip: int = 0,
    limit: int = TIMELINE_CAP,
) -> list[Row]:
    return store.run(
        "incidents",
        {
            "labels": labels,
            "since": flt.since,
            "until": flt.until,
            "facility_id": facility,
            "network_id": network,
            **flt.grading_params(),
            "skip": skip,
            "limit": limit,
        },
    )


@router.get(
    "/incidents",
    dependencies=VIEWER,
    response_model=Timeline,
    responses=ERRORS,
    summary="A timeline of incidents, with the precision of each date",
)
def incidents(
    store: StoreDep,
    flt: GradeDep,
    since: Annotated[
        PartialDateParam | None,
        Query(
            alias="from",
            description="from this date (YYYY, YYYY-MM or YYYY-MM-DD); with a range, undated "
            "incidents are left out, since they cannot be placed in it",
        ),
    ] = None,
    until: Annotated[
        PartialDateParam | None,
        Query(alias="to", description="to this date, inclusive (same rule)"),
    ] = None,
    facility: Annotated[str | None, Query(description="only incidents at this facility id")] = None,
    network: Annotated[
        str | None, Query(description="only incidents attributed to this network id")
    ] = None,
    type: Annotated[IncidentType | None, Query(description="only incidents of this type")] = None,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="at most this many incidents per page")
    ] = 100,
    cursor: CursorParam = None,
) -> Timeline:
    """Incidents by date (undated last). A month-precision date is shown as a month and
    overlaps any range that touches the month; with a range, undated incidents are left out.
    Pages of `limit`, with a cursor."""
    dated = flt.dated(since, until, fields=("from", "to"))
    page = Page(cursor, cursor_key("incidents", facility, network, type, astuple(dated)), limit)
    for entity_id, label in ((facility, "Facility"), (network, "Organization")):
        if entity_id:
            require_entity(store, entity_id, label)
    rows = _incident_rows(
        store,
        dated,
        [type] if type else list(INCIDENT_LABELS),
        facility or "",
        network or "",
        page.offset,
        limit + 1,  # one more says whether a next page exists
    )
    shown = rows[:limit]
    audit.note_result_items(len(shown))
    return Timeline(
        count=len(shown),
        incidents=[_incident(r) for r in shown],
        next_cursor=page.next_cursor(len(rows) > limit),
    )


@router.get(
    "/analytics/key-players",
    dependencies=VIEWER,
    response_model=KeyPlayersModel,
    responses=ERRORS,
    tags=["analytics"],
    summary="Degree and betweenness centrality, whole graph or around an entity",
)
def get_key_players(
    store: StoreDep,
    model: ModelDep,
    flt: FilterDep,
    scope: Annotated[
        str | None,
        Query(
            description="an entity id (e.g. a network): its 2-hop neighbourhood; default the whole graph"
        ),
    ] = None,
    label: Annotated[
        LabelName,
        Query(
            description="rank only entities with this label, e.g. Person (centrality is still computed on the whole subgraph)"
        ),
    ] = "Entity",
    limit: Annotated[
        int, Query(ge=1, le=100, description="at most this many players per page")
    ] = 10,
    cursor: CursorParam = None,
) -> KeyPlayersModel:
    """Who holds the graph together: entities ranked by betweenness, then degree. The
    response names the method and the subgraph it ran on. Pages of `limit`, with a cursor."""
    page = Page(cursor, cursor_key("key_players", scope, label, astuple(flt)), limit)
    if label not in model.spec.nodes:
        raise InvalidInput(
            f"unknown label {label!r}",
            details=[{"field": "query.label", "message": f"one of {', '.join(model.spec.nodes)}"}],
        )
    if scope:
        require_entity(store, scope)
    result = key_players(store, flt, scope, page.end + 1, label)
    players, next_cursor = page.cut(result.players)
    return KeyPlayersModel(
        method=result.method,
        scope=result.scope,
        nodes=result.nodes,
        links=result.links,
        truncated=result.truncated,
        players=[
            KeyPlayerModel(
                entity=EntitySummary.of(p.entity),
                degree=p.degree,
                degree_centrality=p.degree_centrality,
                betweenness=p.betweenness,
            )
            for p in players
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/analytics/coordinated-incidents",
    dependencies=VIEWER,
    response_model=CoordinatedIncidentsModel,
    responses=ERRORS,
    tags=["analytics"],
    summary="Incidents on different facilities close in time that share a network or a source",
)
def get_coordinated_incidents(
    store: StoreDep,
    flt: GradeDep,
    window_days: Annotated[
        int, Query(ge=1, le=365, description="longest span of a group, in days")
    ] = 14,
    min_incidents: Annotated[int, Query(ge=2, le=100)] = 2,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="at most this many groups per page")
    ] = 100,
    cursor: CursorParam = None,
) -> CoordinatedIncidentsModel:
    """The "simultaneous disturbances" pattern: groups of incidents at two or more facilities
    within `window_days` that are attributed to the same network or reported together.
    Pages of `limit` groups, with a cursor."""
    page = Page(cursor, cursor_key("coordinated", window_days, min_incidents, astuple(flt)), limit)
    rows = _incident_rows(store, flt, list(INCIDENT_LABELS))
    source_ids = sorted({s for r in rows for s in r.get("source_ids") or []})
    names = {ref.id: ref.name for ref in entities(store, source_ids).values()}
    result = coordinated_incidents(rows, names, window_days, min_incidents)
    groups, next_cursor = page.cut(result.groups)
    audit.note_result_items(len(groups))
    return CoordinatedIncidentsModel(
        method=result.method,
        skipped_without_day=result.skipped_without_day,
        groups=[
            CoordinatedGroupModel(
                shared_by=[SharedByModel(kind=s.kind, id=s.id, name=s.name) for s in g.shared_by],
                first_date=g.first_date,
                last_date=g.last_date,
                span_days=g.span_days,
                facilities=[EntityLite(**f) for f in g.facilities],
                incidents=[_incident(r) for r in g.incidents],
            )
            for g in groups
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/sources/{source_id}",
    dependencies=VIEWER,
    response_model=SourceDetail,
    responses=ERRORS,
    summary="A source document and every claim it supports",
)
def get_source(
    store: StoreDep,
    source_id: Annotated[str, Path(description="a Document id, as in any evidence's source_ids")],
) -> SourceDetail:
    rows = store.run("source_claims", {"id": source_id})
    if not rows:
        raise visibility.entity_not_found(
            store, source_id, f"no source document with id {source_id!r}"
        )
    row = rows[0]
    return SourceDetail(
        document=SourceDocument(
            id=row["id"],
            name=row["name"],
            title=row.get("title"),
            publisher=row.get("publisher"),
            url=row.get("url"),
            published=row.get("published"),
            retrieved=row.get("retrieved"),
            file_name=row.get("file_name"),
            content_sha256=row.get("content_sha256"),
            grading=f"{row['reliability']}{row['credibility']}",
            text=row["text"],
        ),
        entities=sorted(
            (
                ClaimedEntity(
                    id=n["id"],
                    name=n["name"],
                    labels=sorted(n["labels"]),
                    quote=n["quote"],
                    confidence=n["confidence"],
                    grading=f"{n['reliability']}{n['credibility']}",
                )
                for n in row["nodes"]
            ),
            key=lambda e: e.name,
        ),
        links=sorted(
            (
                ClaimedLink(
                    id=r["id"],
                    type=r["type"],
                    from_id=r["from_id"],
                    from_name=r["from_name"],
                    to_id=r["to_id"],
                    to_name=r["to_name"],
                    quote=r["quote"],
                    confidence=r["confidence"],
                    grading=f"{r['reliability']}{r['credibility']}",
                )
                for r in row["relationships"]
            ),
            key=lambda x: (x.type, x.from_name, x.to_name),
        ),
    )
