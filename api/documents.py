"""Ingesting articles and the review queue of the entities they name (graph.growth.ingest).

`POST /api/v1/documents` stores a text, links the entities of the graph it names and queues
the names it holds that the graph does not; `GET /api/v1/review/candidates` lists that
queue, and an analyst accepts (creating or linking an entity) or rejects each candidate.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import INVALID, NOT_FOUND, UNAVAILABLE, ModelDep, PartialDateParam, StoreDep
from api.errors import ErrorResponse
from api.security import ANALYST, INVESTIGATOR, VIEWER, AnalystDep
from graph.growth import ingest as ingestion
from graph.model.schema import DEFAULT_GRADING

router = APIRouter(prefix="/api/v1", tags=["ingest"])

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "the candidate was already decided"}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {
        "model": ErrorResponse,
        "description": f"the text is over {ingestion.MAX_TEXT_BYTES} bytes (UTF-8)",
    }
}
SEED_DOCUMENT = "document-seed-004-dfd687ba"
EXAMPLE_TEXT = (
    "Spanish police arrested Karim Benali in Barcelona on March 3, 2025. According to "
    "prosecutor Jean-Luc Moreau, he helped Mohamed Amra escape in May 2024; Gerald Darmanin "
    "welcomed the arrest."
)


# --- models -------------------------------------------------------------------------------


_PLAIN = r"[^\x00-\x08\x0e-\x1f\x7f]"
PLAIN_TEXT_PATTERN = rf"^{_PLAIN}*[^\x00-\x08\x0e-\x1f\x7f\s]{_PLAIN}*$"


NOT_BLANK = r"\S"  # graph.growth.ingest refuses a blank title or publisher
HANDLING_PATTERN = "^[a-z0-9][a-z0-9._-]*(:[a-z0-9][a-z0-9._-]*)*$"


class DocumentIn(BaseModel):
    text: str = Field(
        description=f"the article's plain text, UTF-8, at most {ingestion.MAX_TEXT_BYTES} bytes",
        examples=[EXAMPLE_TEXT],
        # What graph.growth.ingest checks, said in the document: not blank, no control characters
        # but tab and line ends (the size is a 413, not a schema matter).
        json_schema_extra={"minLength": 1, "pattern": PLAIN_TEXT_PATTERN},
    )
    title: str | None = Field(
        None,
        max_length=500,
        json_schema_extra={"pattern": NOT_BLANK},
        description="the headline; default the first line (or first sentence) of the text",
        examples=["Prison escape suspect arrested in Spain"],
    )
    source_url: str | None = Field(
        None,
        max_length=2000,
        pattern=r"^https?://\S+$",
        description="where the text was published",
        examples=["https://example.org/2025/03/18/arrest"],
    )
    published: PartialDateParam | None = Field(
        None,
        description="publication date, as precise as known: YYYY, YYYY-MM or YYYY-MM-DD",
        examples=["2025-03-18"],
    )
    publisher: str | None = Field(
        None,
        max_length=300,
        json_schema_extra={"pattern": NOT_BLANK},
        description="the outlet",
        examples=["Example News"],
    )
    grading: str | None = Field(
        None,
        pattern="^[A-Fa-f][1-6]$",
        description="Admiralty grading of the source: reliability A-F then credibility 1-6; "
        f"default {DEFAULT_GRADING} (cannot be judged)",
        examples=["B2"],
    )
    confidence: int | None = Field(
        None,
        ge=0,
        le=100,
        description="default confidence of the entities accepted from this document's "
        f"candidates (default {ingestion.DEFAULT_CONFIDENCE})",
    )
    language: Literal["en", "fr"] | None = Field(
        None,
        description="the text's language; detected from its words when not given",
        examples=["fr"],
    )
    handling: str | None = Field(
        None,
        description="a handling code such as case:prison-break: the document, its mentions and "
        "its candidates are then seen only by keys holding that code (your key must hold it)",
        examples=["case:prison-break"],
        # graph/model/model.yaml's provenance `handling` pattern, its length look-ahead as maxLength.
        json_schema_extra={"pattern": HANDLING_PATTERN, "maxLength": 100},
    )


class EntityRefModel(BaseModel):
    id: str = Field(description="the entity's id", examples=["person-mohamed-amra-2da800b3"])
    name: str = Field(description="the entity's name", examples=["Mohamed Amra"])
    labels: list[str] = Field(description="its labels", examples=[["Entity", "Person"]])


class OccurrenceModel(BaseModel):
    surface: str = Field(description="the words of the text, as written", examples=["Amra"])
    start: int = Field(description="offset of the first character in the text")
    end: int = Field(description="offset just past the last character")
    sentence: str = Field(description="the sentence that holds it (the quote)")


class LinkedEntityModel(BaseModel):
    entity: EntityRefModel = Field(description="the entity the document names")
    link_id: str = Field(description="id of the MENTIONS link from the document")
    created: bool = Field(
        description="false when the document already mentioned the entity (seed or earlier "
        "ingestion): that link was left as it was"
    )
    confidence: int = Field(description="90 when a name matched, 70 when only an alias did")
    matched: list[str] = Field(description="the entity's names and aliases that matched")
    resolved_by: Literal["name", "alias", "context"] = Field(
        description="context: a name several entities carry, settled by another mention in "
        "the same text or by the document's existing mentions"
    )
    occurrences: list[OccurrenceModel] = Field(description="every place the text names it")


class AmbiguityModel(BaseModel):
    surface: str = Field(description="the name as written", examples=["Rouen"])
    options: list[EntityRefModel] = Field(description="the entities that carry this name")
    candidate_id: str = Field(
        description="the review candidate where an analyst picks one (accept with entity_id)"
    )
    occurrences: list[OccurrenceModel] = Field(description="every place the text uses it")


class CandidateModel(BaseModel):
    """A name or date in a document that the graph does not hold, waiting for review."""

    id: str = Field(description="the candidate's id", examples=["candidate-karim-benali-1a2b3c4d"])
    document_id: str = Field(description="the document it was found in")
    text: str = Field(description="the words as first written", examples=["Karim Benali"])
    kind: Literal["person", "organization", "place", "date", "name", "ambiguous"] = Field(
        description="the guess from the words and their context; `ambiguous`: an existing "
        "name several entities carry (see options)"
    )
    suggested_label: str | None = Field(None, description="a label of graph/model/model.yaml")
    suggested_properties: dict[str, Any] = Field(
        default_factory=dict,
        description="properties the guess implies, e.g. location_type for a country",
    )
    date: str | None = Field(None, description="a date candidate as partial ISO (YYYY[-MM[-DD]])")
    date_precision: str | None = Field(None, description="year, month or day")
    date_relative_to: str | None = Field(
        None,
        description='for a relative date ("last month", "mardi"): the publication date '
        "it was counted from; the words stay in `text`",
    )
    sentences: list[str] = Field(description="every sentence that uses it, in text order")
    starts: list[int] = Field(description="offsets where it occurs")
    ends: list[int] = Field(description="offsets where each occurrence ends")
    options: list[str] = Field(
        description="ids of existing entities it may be (ambiguous, or a similar name)"
    )
    confidence: int = Field(description="confidence the entity gets if accepted")
    status: Literal["pending", "accepted", "rejected"] = Field(description="review status")
    created_at: str = Field(description="when it was proposed (UTC)")
    decided_by: str | None = Field(
        None, description="who accepted or rejected it: the API key's name and id"
    )
    decided_at: str | None = Field(None, description="when (UTC)")
    entity_id: str | None = Field(None, description="the entity it became or was linked to")


class SuggestionModel(BaseModel):
    """A relationship a sentence seems to state between two linked entities: for review,
    not stored, not a fact."""

    from_id: str = Field(description="the source entity")
    from_name: str = Field(description="its name")
    type: str = Field(description="a relationship type the model allows between the two")
    to_id: str = Field(description="the target entity")
    to_name: str = Field(description="its name")
    properties: dict[str, Any] = Field(description="properties the pattern implies")
    quote: str = Field(description="the sentence that states it")
    cue: str = Field(description="the words that suggested it (folded)", examples=["resold"])
    confidence: int = Field(description="low on purpose: a pattern read from one sentence")
    status: Literal["suggestion"] = Field(description="always `suggestion`")


class IngestResultModel(BaseModel):
    document_id: str = Field(description="the Document node's id")
    title: str = Field(description="the document's title")
    created: bool = Field(description="false when the same text (SHA-256) was stored before")
    linked: list[LinkedEntityModel] = Field(
        description="entities of the graph the text names, in order of first mention"
    )
    ambiguous: list[AmbiguityModel] = Field(
        description="names several entities carry that the text did not settle"
    )
    candidates: list[CandidateModel] = Field(
        description="names and dates for review; not entities until accepted"
    )
    language: str = Field(description="the text's language, given or detected (en, fr)")
    suggestions: list[SuggestionModel] = Field(
        description="relationships its sentences seem to state between linked entities"
    )


class MentionModel(BaseModel):
    id: str = Field(description="the MENTIONS link's id")
    entity: EntityRefModel = Field(description="the entity mentioned")
    quote: str = Field(description="the first sentence that mentions it")
    quotes: list[str] = Field(description="every such sentence")
    confidence: int = Field(description="0-100")
    grading: str = Field(description="Admiralty grading of the document", examples=["B2"])
    linked_by: str | None = Field(
        None, description="ingest, review, or none for curated seed mentions"
    )


class DocumentMentionsModel(BaseModel):
    id: str = Field(description="the document's id")
    title: str = Field(description="its title")
    mentions: list[MentionModel] = Field(description="the entities it mentions, by name")


class AcceptIn(BaseModel):
    """Either `label` (create an entity) or `entity_id` (link an existing one)."""

    label: str | None = Field(
        None, description="label of the new entity (graph/model/model.yaml)", examples=["Person"]
    )
    name: str | None = Field(
        None, max_length=500, description="its name; default the candidate's text"
    )
    properties: dict[str, Any] | None = Field(
        None,
        description="other properties of the label, checked against the model; the required "
        "ones must be given (e.g. location_type for a Location)",
        examples=[{"position": "prosecutor"}],
    )
    entity_id: str | None = Field(
        None, max_length=300, description="link the document to this existing entity instead"
    )
    confidence: int | None = Field(
        None, ge=0, le=100, description="confidence of the new entity; default the candidate's"
    )
    # No `decided_by`: the API key that accepts or rejects is who decides (one sent anyway
    # is ignored, like any unknown field).


class DecisionModel(BaseModel):
    candidate: CandidateModel = Field(description="the candidate, as decided")
    entity: EntityRefModel | None = Field(None, description="the entity accepted")
    mention_id: str | None = Field(None, description="the MENTIONS link to it")
    entity_created: bool = Field(False, description="true when the entity was created")


def _ref(ref: ingestion.EntityRef) -> EntityRefModel:
    return EntityRefModel(id=ref.id, name=ref.name, labels=list(ref.labels))


def _decision(decision: ingestion.Decision) -> DecisionModel:
    return DecisionModel(
        candidate=CandidateModel.model_validate(decision.candidate),
        entity=_ref(decision.entity) if decision.entity else None,
        mention_id=decision.mention_id,
        entity_created=decision.entity_created,
    )


CandidatePath = Annotated[
    str,
    Path(
        max_length=300,
        description="a candidate's id (GET /api/v1/review/candidates)",
        examples=["candidate-karim-benali-1a2b3c4d"],
    ),
]


# --- routes -------------------------------------------------------------------------------


@router.post(
    "/documents",
    dependencies=INVESTIGATOR,
    response_model=IngestResultModel,
    status_code=201,
    responses={
        200: {"model": IngestResultModel, "description": "the same text was stored before"},
        **CONFLICT,
        **TOO_LARGE,
        **INVALID,
        **UNAVAILABLE,
    },
    summary="Ingest an article: store it, link the entities it names, queue new names",
)
def ingest_document(
    store: StoreDep, model: ModelDep, document: Annotated[DocumentIn, Body()], response: Response
) -> IngestResultModel:
    """Stores the text as a Document (201), or finds the one with the same text (200; its
    properties are left as they are). Names and aliases of the graph's entities are found
    accent- and case-insensitively as whole words, longest first; each entity found gets a
    MENTIONS link quoting its sentences (a mention recorded before is kept as it was).
    Capitalised names, organisations, places and dates the graph does not hold are queued
    as candidates: nothing is created until an analyst accepts one. One transaction."""
    result = ingestion.ingest(
        store,
        model,
        document.text,
        title=document.title,
        source_url=document.source_url,
        published=document.published,
        publisher=document.publisher,
        grading=document.grading,
        confidence=document.confidence,
        handling=document.handling,
        language=document.language,
    )
    if not result.created:
        response.status_code = 200
    return IngestResultModel(
        document_id=result.document_id,
        title=result.title,
        created=result.created,
        linked=[
            LinkedEntityModel(
                entity=_ref(item.entity),
                link_id=item.link_id,
                created=item.created,
                confidence=item.confidence,
                matched=item.matched,
                resolved_by=item.resolved_by,
                occurrences=[OccurrenceModel(**vars(o)) for o in item.occurrences],
            )
            for item in result.linked
        ],
        ambiguous=[
            AmbiguityModel(
                surface=item.surface,
                options=[_ref(o) for o in item.options],
                candidate_id=item.candidate_id,
                occurrences=[OccurrenceModel(**vars(o)) for o in item.occurrences],
            )
            for item in result.ambiguous
        ],
        candidates=[CandidateModel.model_validate(c) for c in result.candidates],
        language=result.language,
        suggestions=[SuggestionModel.model_validate(s) for s in result.suggestions],
    )


@router.get(
    "/documents/{document_id}/mentions",
    dependencies=VIEWER,
    response_model=DocumentMentionsModel,
    responses={**NOT_FOUND, **INVALID, **UNAVAILABLE},
    summary="The entities a document mentions, with the sentences that do",
)
def get_document_mentions(
    store: StoreDep,
    model: ModelDep,
    document_id: Annotated[
        str,
        Path(max_length=300, description="a Document's id", examples=[SEED_DOCUMENT]),
    ],
) -> DocumentMentionsModel:
    """Every MENTIONS link of the document, curated (seed) or found by ingestion, with its
    quotes, confidence and grading; 404 for an unknown document."""
    found = ingestion.document_mentions(store, model, document_id)
    return DocumentMentionsModel(
        id=found["id"],
        title=found["title"] or found["id"],
        mentions=[
            MentionModel(
                id=m["id"],
                entity=EntityRefModel(id=m["entity_id"], name=m["name"], labels=m["labels"]),
                quote=m["quote"],
                quotes=m["quotes"] or [m["quote"]],
                confidence=m["confidence"],
                grading=f"{m['reliability']}{m['credibility']}",
                linked_by=m.get("linked_by"),
            )
            for m in found["mentions"]
        ],
    )


@router.get(
    "/review/candidates",
    dependencies=ANALYST,
    response_model=list[CandidateModel],
    responses={**INVALID, **UNAVAILABLE},
    tags=["review"],
    summary="The review queue: names and dates ingestion found that the graph does not hold",
)
def list_review_candidates(
    store: StoreDep,
    status: Annotated[
        Literal["pending", "accepted", "rejected", "all"],
        Query(description="which candidates: pending (default), accepted, rejected or all"),
    ] = "pending",
    document_id: Annotated[
        str | None,
        Query(max_length=300, description="only those of this document", examples=[SEED_DOCUMENT]),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="skip this many first")] = 0,
) -> list[CandidateModel]:
    """In document order (by document, then by first appearance in it)."""
    rows = ingestion.list_candidates(
        store, None if status == "all" else status, document_id, limit, offset
    )
    return [CandidateModel.model_validate(row) for row in rows]


@router.get(
    "/review/candidates/{candidate_id}",
    dependencies=ANALYST,
    response_model=CandidateModel,
    responses={**NOT_FOUND, **INVALID, **UNAVAILABLE},
    tags=["review"],
    summary="One review candidate",
)
def get_review_candidate(store: StoreDep, candidate_id: CandidatePath) -> CandidateModel:
    """The candidate with its sentences, guess and status; 404 when unknown."""
    return CandidateModel.model_validate(ingestion.get_candidate(store, candidate_id))


@router.post(
    "/review/candidates/{candidate_id}/accept",
    response_model=DecisionModel,
    status_code=201,
    responses={
        200: {"model": DecisionModel, "description": "linked to an existing entity"},
        **NOT_FOUND,
        **CONFLICT,
        **INVALID,
        **UNAVAILABLE,
    },
    tags=["review"],
    summary="Accept a candidate: create the entity (201) or link an existing one (200)",
)
def accept_review_candidate(
    store: StoreDep,
    model: ModelDep,
    candidate_id: CandidatePath,
    decision: Annotated[AcceptIn, Body()],
    response: Response,
    principal: AnalystDep,
) -> DecisionModel:
    """With `label`: creates the entity through the model's checks (missing required
    properties are a 422 naming them), sourced to the candidate's document and sentences,
    and links the document to it. With `entity_id`: links the document to that entity (how
    an ambiguous name is settled). 409 when the candidate was already decided, or when an
    entity of that label already has the name (accept with its entity_id instead)."""
    result = ingestion.accept_candidate(
        store,
        model,
        candidate_id,
        label=decision.label,
        name=decision.name,
        properties=decision.properties,
        entity_id=decision.entity_id,
        confidence=decision.confidence,
        decided_by=principal.actor,
    )
    if not result.entity_created:
        response.status_code = 200
    return _decision(result)


@router.post(
    "/review/candidates/{candidate_id}/reject",
    response_model=DecisionModel,
    responses={**NOT_FOUND, **CONFLICT, **INVALID, **UNAVAILABLE},
    tags=["review"],
    summary="Reject a candidate (kept, so it is not proposed again)",
)
def reject_review_candidate(
    store: StoreDep, candidate_id: CandidatePath, principal: AnalystDep
) -> DecisionModel:
    """Marks the candidate rejected; 409 when it was already decided. No body: `decided_by`
    is the API key that sends it."""
    return _decision(ingestion.reject_candidate(store, candidate_id, principal.actor))
