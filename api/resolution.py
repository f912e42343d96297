"""Entity resolution and contradictions: duplicate candidates, analysts' decisions (merge and
undo), why an entity is what it is, and where sources disagree (docs/resolution.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from api.deps import (
    INVALID,
    NOT_FOUND,
    UNAVAILABLE,
    CursorParam,
    ModelDep,
    Page,
    StoreDep,
    cursor_key,
)
from api.errors import ErrorResponse
from api.security import ANALYST, VIEWER, AnalystDep
from graph.growth import contradictions, resolution

router = APIRouter(prefix="/api/v1", tags=["resolution"])

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorResponse,
        "description": "the decision clashes with what is stored (already decided, already "
        "merged, a later merge builds on it); nothing was changed",
    }
}
READ_ERRORS = {**INVALID, **UNAVAILABLE}
ERRORS = {**INVALID, **NOT_FOUND, **UNAVAILABLE}

# An id that names no entity of the seed graph: the example request is answered 404, so
# trying it out (or fuzzing it) never merges anything.
EXAMPLE_LEFT = "person-mohamed-amra-2da800b3"
EXAMPLE_RIGHT = "person-mohamed-amra-la-mouche-5e6f7a8b"
EntityIdText = Annotated[str, Field(min_length=1, max_length=300)]


# --- models -----------------------------------------------------------------------------


class EntityRef(BaseModel):
    id: str = Field(description="the entity's id")
    name: str = Field(description="its name")
    label: str = Field(description="its most specific label, e.g. Attack or Company")
    aliases: list[str] = Field(description="its other names")
    date: str | None = Field(description="its date (events), partial ISO")
    source_ids: list[str] = Field(description="the documents that cite it")
    dataset_ids: list[str] = Field(description="the imports that brought it")


class CandidateModel(BaseModel):
    left: EntityRef = Field(description="one entity of the pair (the smaller id)")
    right: EntityRef = Field(description="the other")
    score: float = Field(ge=0, le=1, description="how likely they are one entity, 0-1")
    reasons: list[str] = Field(
        description="why, in words: 'same normalised name', 'different dates (...)', ..."
    )


class CandidatePage(BaseModel):
    items: list[CandidateModel] = Field(description="candidate pairs, best first")
    total: int = Field(description="how many pairs reach min_score")
    offset: int = Field(description="the offset asked for")
    limit: int = Field(description="the page size asked for")


class DecisionRequest(BaseModel):
    """An analyst's judgement on a pair of entities."""

    left_id: EntityIdText = Field(description="one entity", examples=[EXAMPLE_LEFT])
    right_id: EntityIdText = Field(description="the other entity", examples=[EXAMPLE_RIGHT])
    judgement: Literal["same", "not_same", "unsure"] = Field(
        description="same merges the two (undoably); not_same and unsure are recorded and "
        "take the pair off the candidates list",
        examples=["same"],
    )
    canonical_id: EntityIdText | None = Field(
        None,
        description="for same: which of the two absorbs the other (default: the more "
        "specific label, then more sources, then not imported, then the smaller id)",
    )
    note: str | None = Field(None, max_length=2000, description="the analyst's note")
    # No `decided_by`: the API key that sends the decision is who decides (a `decided_by`
    # field sent anyway is ignored, like any unknown field).


class DecisionModel(BaseModel):
    id: str = Field(description="the decision's id")
    left_id: str = Field(description="one entity")
    right_id: str = Field(description="the other entity")
    judgement: Literal["same", "not_same", "unsure"] = Field(description="the judgement")
    status: Literal["active", "undone"] = Field(description="undone decisions are kept")
    score: float = Field(description="the pair's score when decided")
    reasons: list[str] = Field(description="the pair's reasons when decided")
    note: str | None = Field(None, description="the analyst's note")
    decided_by: str = Field(description="who decided: the API key's name and id (CLI: OS user)")
    decided_at: str = Field(description="when (UTC, ISO 8601)")
    canonical_id: str | None = Field(None, description="same: the entity that absorbed")
    merged_id: str | None = Field(None, description="same: the entity merged into it")
    moved_relationships: int | None = Field(
        None, description="same: how many relationships moved to the canonical entity"
    )
    undone_by: str | None = Field(None, description="who undid it (as decided_by)")
    undone_at: str | None = Field(None, description="when it was undone (UTC, ISO 8601)")


class SourceRef(BaseModel):
    id: str = Field(description="a Document id")
    title: str | None = Field(description="its title (null if no such document is stored)")


class WhySource(SourceRef):
    quotes: list[str] = Field(description="the sentences of this document that cite the entity")


class WhyDataset(BaseModel):
    id: str = Field(description="the Dataset id")
    file_name: str | None = Field(None, description="the imported file")
    sha256: str | None = Field(None, description="its hash")
    imported_by: str | None = Field(None, description="who imported it")
    imported_at: str | None = Field(None, description="when")


class WhyEntity(BaseModel):
    id: str = Field(description="the entity's id")
    name: str = Field(description="its name")
    labels: list[str] = Field(description="its labels")
    aliases: list[str] = Field(description="its other names (a merge adds the merged names)")


class MergedEntity(BaseModel):
    id: str = Field(description="an entity merged into this one")
    name: str | None = Field(description="its name")
    sources: list[SourceRef] = Field(description="the documents that cite it")
    decision_id: str | None = Field(description="the decision that merged it")


class EntityName(BaseModel):
    id: str = Field(description="an entity id")
    name: str | None = Field(description="its name")


class WhyModel(BaseModel):
    entity: WhyEntity = Field(description="the entity")
    sources: list[WhySource] = Field(description="its documents, each with its quotes")
    datasets: list[WhyDataset] = Field(description="the imports that brought it")
    decisions: list[DecisionModel] = Field(description="every decision about it, oldest first")
    merged: list[MergedEntity] = Field(description="the entities merged into it")
    merged_into: EntityName | None = Field(
        description="set when this entity was merged into another: follow it"
    )


class Period(BaseModel):
    start: str = Field(description="first day (ISO)")
    end: str = Field(description="last day (ISO)")


class ClaimModel(BaseModel):
    event_id: str = Field(description="the event making the claim")
    event_name: str = Field(description="its name")
    field: Literal["date", "status"] = Field(description="what the claim is about")
    value: str = Field(description="the claim: a date, a span, the source's words or a status")
    basis: str = Field(description="where the value comes from, e.g. 'its own date'")
    period: Period | None = Field(description="the days a date claim covers, when known")
    quotes: list[str] = Field(description="the sentences that make the claim")
    sources: list[SourceRef] = Field(description="the documents that make it")


class ContradictionModel(BaseModel):
    id: str = Field(description="stable for the same kind and events")
    kind: Literal["dates_disagree", "dates_cannot_be_reconciled", "statuses_disagree"] = Field(
        description="what disagrees"
    )
    message: str = Field(description="the contradiction in words")
    basis: str = Field(description="why the two claims are taken to be about one event")
    decision_id: str | None = Field(description="the analyst's decision that pairs them")
    score: float | None = Field(description="the duplicate score that pairs them")
    claims: list[ClaimModel] = Field(description="both claims, each with quotes and sources")


class ContradictionPage(BaseModel):
    items: list[ContradictionModel]
    next_cursor: str | None = Field(
        description="pass as `cursor`, with the same `kind`, for the next page; null on the last"
    )


# --- routes -----------------------------------------------------------------------------


@router.get(
    "/resolution/candidates",
    dependencies=ANALYST,
    response_model=CandidatePage,
    responses=READ_ERRORS,
    summary="Candidate duplicates, scored, with the reasons",
)
def list_candidates(
    store: StoreDep,
    model: ModelDep,
    min_score: Annotated[
        float, Query(ge=0, le=1, description="only pairs scoring at least this")
    ] = resolution.DEFAULT_MIN_SCORE,
    limit: Annotated[int, Query(ge=1, le=500, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="pairs to skip")] = 0,
) -> CandidatePage:
    """Pairs of live entities (merged-away ones and documents aside) whose names or aliases
    match, with compatible labels, scored 0-1 with the reasons; pairs an analyst has
    decided (and not undone) are left out."""
    found = resolution.candidates(store, model, min_score)
    return CandidatePage(
        items=[CandidateModel.model_validate(c.as_dict()) for c in found[offset : offset + limit]],
        total=len(found),
        offset=offset,
        limit=limit,
    )


@router.post(
    "/resolution/decisions",
    response_model=DecisionModel,
    status_code=201,
    responses={**ERRORS, **CONFLICT},
    summary="Record a decision on a pair; `same` merges them (undoably)",
)
def create_decision(
    store: StoreDep,
    model: ModelDep,
    principal: AnalystDep,
    request: Annotated[DecisionRequest, Body()],
) -> DecisionModel:
    """Stored as a Decision record, never by deleting nodes. `same` moves every
    relationship of the merged entity to the canonical one (same ids and properties), adds
    its names as aliases and its sources, and marks it `merged_into`; the decision keeps
    the exact state before, for undo. 404 for an unknown entity, 409 when the pair is
    already decided or one of them is merged away, 422 for the same id twice. `decided_by`
    is the API key that sends it."""
    decision = resolution.decide(
        store,
        model,
        request.left_id,
        request.right_id,
        request.judgement,
        principal.actor,
        request.canonical_id,
        request.note,
    )
    return DecisionModel.model_validate(decision)


@router.get(
    "/resolution/decisions",
    dependencies=ANALYST,
    response_model=list[DecisionModel],
    responses=READ_ERRORS,
    summary="Decisions, oldest first",
)
def list_decisions(
    store: StoreDep,
    entity_id: Annotated[
        str | None,
        Query(max_length=300, description="only decisions about this entity"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="at most this many")] = 1000,
) -> list[DecisionModel]:
    """Every decision (active and undone), or those naming one entity."""
    return [
        DecisionModel.model_validate(d) for d in resolution.decisions(store, entity_id or "", limit)
    ]


@router.post(
    "/resolution/decisions/{decision_id}/undo",
    response_model=DecisionModel,
    responses={**ERRORS, **CONFLICT},
    summary="Undo a decision; a merge is split exactly",
)
def undo_decision(
    store: StoreDep,
    model: ModelDep,
    decision_id: Annotated[str, Path(description="the decision's id")],
    principal: AnalystDep,
) -> DecisionModel:
    """The decision is kept, marked undone. For `same`, both entities get their properties
    back and every moved relationship returns to its original end, same id and properties.
    409 when it is already undone, or a later merge involves either entity (undo that
    first), or what the merge changed was changed again since. No body: `undone_by` is the
    API key that sends it."""
    return DecisionModel.model_validate(resolution.undo(store, model, decision_id, principal.actor))


@router.get(
    "/entities/{entity_id}/why",
    dependencies=VIEWER,
    response_model=WhyModel,
    responses=ERRORS,
    tags=["investigate"],
    summary="Which sources, imports and decisions made this entity",
)
def why_entity(
    store: StoreDep,
    entity_id: Annotated[
        str,
        Path(description="an entity id", examples=["person-mohamed-amra-2da800b3"]),
    ],
) -> WhyModel:
    """Its source documents with the quotes that cite it, the datasets that brought it,
    every decision about it (active or undone), the entities merged into it and, for a
    merged-away entity, the one it was merged into."""
    return WhyModel.model_validate(resolution.why(store, entity_id))


@router.get(
    "/contradictions",
    dependencies=VIEWER,
    response_model=ContradictionPage,
    responses=READ_ERRORS,
    tags=["investigate"],
    summary="Where sources disagree about one event (dates, statuses)",
)
def list_contradictions(
    store: StoreDep,
    model: ModelDep,
    kind: Annotated[
        Literal["dates_disagree", "dates_cannot_be_reconciled", "statuses_disagree"] | None,
        Query(description="only this kind"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many per page")] = 100,
    cursor: CursorParam = None,
) -> ContradictionPage:
    """For one event whose own date and its parts' dates disagree, two events judged the
    same (as they were before the merge) or unsure, and open duplicate candidates among
    events: both claims, each with its value, event, quotes and source documents. Pages of
    `limit`, with a cursor."""
    page = Page(cursor, cursor_key("contradictions", kind), limit)
    items, next_cursor = page.cut(
        [c for c in contradictions.find(store, model) if kind is None or c["kind"] == kind]
    )
    return ContradictionPage(
        items=[ContradictionModel.model_validate(c) for c in items], next_cursor=next_cursor
    )
