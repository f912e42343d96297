"""Response models of the investigator API: every link carries its evidence."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from graph.investigate.links import EntityRef, EvidencePath, Link


class EntitySummary(BaseModel):
    id: str = Field(examples=["person-mohamed-amra-2da800b3"])
    name: str = Field(examples=["Mohamed Amra"])
    labels: list[str] = Field(examples=[["Entity", "Person"]])
    date: str | None = Field(None, description="partial ISO date (events)")
    date_precision: str | None = Field(None, description="year, month or day")

    @classmethod
    def of(cls, ref: EntityRef) -> EntitySummary:
        return cls(
            id=ref.id,
            name=ref.name,
            labels=list(ref.labels),
            date=ref.date,
            date_precision=ref.date_precision,
        )


class Evidence(BaseModel):
    """Where a claim comes from and how far to trust it."""

    source_ids: list[str] = Field(
        description="ids of the source documents (see /api/v1/sources/{id})"
    )
    quote: str = Field(description="the supporting sentence of the first source")
    confidence: int = Field(ge=0, le=100)
    grading: str = Field(
        description="Admiralty code: source reliability A-F, information credibility 1-6",
        examples=["B2"],
    )


class LinkModel(BaseModel):
    id: str
    type: str = Field(examples=["ATTRIBUTED_TO"])
    from_id: str
    to_id: str
    evidence: Evidence

    @classmethod
    def of(cls, link: Link) -> LinkModel:
        return cls(
            id=link.id,
            type=link.type,
            from_id=link.from_id,
            to_id=link.to_id,
            evidence=Evidence(
                source_ids=list(link.source_ids),
                quote=link.quote,
                confidence=link.confidence,
                grading=link.grading,
            ),
        )


class PathModel(BaseModel):
    length: int = Field(description="number of links")
    nodes: list[EntitySummary]
    links: list[LinkModel] = Field(description="in order, each with its evidence")

    @classmethod
    def of(cls, path: EvidencePath) -> PathModel:
        return cls(
            length=path.length,
            nodes=[EntitySummary.of(n) for n in path.nodes],
            links=[LinkModel.of(link) for link in path.links],
        )


class SearchHit(BaseModel):
    id: str
    name: str
    aliases: list[str]
    labels: list[str]
    description: str | None
    score: float | None = Field(
        description="the fulltext index's relevance score; null when listing without `q`"
    )


NEXT_CURSOR = (
    "pass as `cursor`, with the same other parameters, for the next page; null on the last"
)


class SearchPage(BaseModel):
    items: list[SearchHit]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class Provenance(BaseModel):
    source_ids: list[str]
    quote: str
    quotes: list[str]
    confidence: int
    grading: str


class RelationshipCount(BaseModel):
    type: str
    count: int


class EntityDetail(BaseModel):
    id: str
    name: str
    labels: list[str]
    aliases: list[str]
    description: str | None
    properties: dict[str, Any] = Field(description="the other properties, as stored")
    provenance: Provenance
    relationship_counts: list[RelationshipCount]
    merged_into: str | None = Field(
        None,
        description="set when an analyst's decision merged this entity into another: the "
        "id to follow (GET /api/v1/entities/{id}/why tells which decision)",
    )
    merged_ids: list[str] = Field(
        default_factory=list, description="ids of the entities merged into this one"
    )


class Neighbourhood(BaseModel):
    start: EntitySummary
    depth: int
    nodes: list[EntitySummary] = Field(
        description="the entities this page brings: the start (first page), then the ends "
        "of its links that no earlier page gave"
    )
    links: list[LinkModel]
    truncated: bool = Field(description="true when `limit` cut the neighbourhood: more pages")
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class ConnectionKind(BaseModel):
    kind: str = Field(examples=["attack_attributed_to_network"])
    description: str
    path: PathModel = Field(description="the shortest evidence path of this kind")


class NetworkFacilityConnection(BaseModel):
    network: EntitySummary
    facility: EntitySummary
    how: list[ConnectionKind] = Field(description="each kind of connection, shortest first")
    shortest_path: PathModel
    source_ids: list[str] = Field(description="every document behind any evidence path")
    source_count: int = Field(description="independent sources: the ranking key")
    evidence_paths: int = Field(
        description="evidence paths found; an attack that both occurred at and targeted the facility gives two"
    )


class NetworkFacilities(BaseModel):
    network: EntitySummary
    facilities: list[NetworkFacilityConnection]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class FacilityNetworks(BaseModel):
    facility: EntitySummary
    networks: list[NetworkFacilityConnection]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class PathsResult(BaseModel):
    from_entity: EntitySummary
    to_entity: EntitySummary
    length: int
    paths: list[PathModel] = Field(description="shortest paths, ordered by their link ids")
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class EntityLite(BaseModel):
    id: str
    name: str


class AttributedNetwork(EntityLite):
    attributed_by: str | None = None


class Incident(BaseModel):
    id: str
    name: str
    type: str = Field(description="the most specific label", examples=["Attack"])
    labels: list[str]
    date: str | None = Field(description="partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD")
    date_precision: str | None = Field(description="year, month or day; null when undated")
    date_display: str = Field(
        description="the date as precisely as it is known", examples=["12 April 2024"]
    )
    date_text: str | None = Field(description="the date in the source's words")
    event_type: str | None
    status: str | None
    facilities: list[EntityLite]
    networks: list[AttributedNetwork]
    evidence: Evidence


class Timeline(BaseModel):
    count: int = Field(description="incidents on this page")
    incidents: list[Incident] = Field(description="by date; undated incidents last")
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class KeyPlayerModel(BaseModel):
    entity: EntitySummary
    degree: int
    degree_centrality: float
    betweenness: float


class KeyPlayersModel(BaseModel):
    method: str = Field(description="what was computed, on which subgraph")
    scope: str
    nodes: int
    links: int
    truncated: bool = Field(description="true when the subgraph was cut at its link cap")
    players: list[KeyPlayerModel]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class SharedByModel(BaseModel):
    kind: str = Field(description="network: attributed to it; source: reported together in it")
    id: str
    name: str


class CoordinatedGroupModel(BaseModel):
    shared_by: list[SharedByModel]
    first_date: str
    last_date: str
    span_days: int
    facilities: list[EntityLite]
    incidents: list[Incident]


class CoordinatedIncidentsModel(BaseModel):
    method: str
    skipped_without_day: int = Field(
        description="incidents not dated to the day, left out of windows"
    )
    groups: list[CoordinatedGroupModel]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class SourceDocument(BaseModel):
    id: str
    name: str
    title: str | None
    publisher: str | None
    url: str | None
    published: str | None
    retrieved: str | None
    file_name: str | None
    content_sha256: str | None
    grading: str
    text: str


class ClaimedEntity(BaseModel):
    id: str
    name: str
    labels: list[str]
    quote: str
    confidence: int
    grading: str


class ClaimedLink(BaseModel):
    id: str
    type: str
    from_id: str
    from_name: str
    to_id: str
    to_name: str
    quote: str
    confidence: int
    grading: str


class SourceDetail(BaseModel):
    document: SourceDocument
    entities: list[ClaimedEntity] = Field(description="every entity that cites this document")
    links: list[ClaimedLink] = Field(
        description="every relationship that cites it (MENTIONS aside)"
    )
