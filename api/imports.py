"""Imports and exports: a file in as one batch, the graph or a dataset out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import INVALID, NOT_FOUND, UNAVAILABLE, GraphDep, ModelDep, StoreDep
from api.errors import ErrorResponse
from api.security import ADMIN, ANALYST, AdminDep
from graph.core.errors import InvalidInput, PayloadTooLarge
from graph.growth import imports
from graph.model.schema import DEFAULT_GRADING

router = APIRouter(prefix="/api/v1", tags=["imports"])
ERRORS = {**INVALID, **NOT_FOUND, **UNAVAILABLE}
STREAM_CHUNK = 1 << 20


class Dataset(BaseModel):
    """The record of one import; every node and relationship it brought lists its id in
    `dataset_ids`."""

    id: str = Field(description="stable id from the file's sha256 (and non-default options)")
    file_name: str = Field(description="the name the file was imported under")
    format: Literal["ftm", "csv", "snapshot"] = Field(description="how the file was read")
    sha256: str = Field(description="sha256 of the file's bytes")
    nodes: int = Field(description="node rows imported (new or already stored)")
    relationships: int = Field(description="relationship rows imported (new or already stored)")
    new_nodes: int = Field(description="nodes the import created")
    new_relationships: int = Field(description="relationships the import created")
    imported_by: str = Field(
        description="who ran the import: the API key's name and id, or the OS user for the CLI"
    )
    imported_at: str = Field(description="when, UTC ISO 8601")
    options: dict[str, Any] = Field(
        description="the import options that differ from the defaults ({} when none)"
    )


class ImportSummary(Dataset):
    created: bool = Field(
        description="false: the same file was imported before and nothing was written"
    )
    ignored: dict[str, int] = Field(
        default_factory=dict,
        description="FtM properties crimegraph has no place for ('Person.birthDate'), with "
        "how many entities had them",
    )
    seconds: dict[str, float] = Field(
        default_factory=dict, description="time spent reading, validating and writing"
    )


async def _file_bytes(request: Request, state: GraphDep) -> bytes:
    """The raw request body (any content type), within CRIMEGRAPH_MAX_IMPORT_BYTES."""
    limit = state.settings.max_import_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the file is larger than the {limit}-byte import limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the file is larger than the {limit}-byte import limit")
        chunks.append(chunk)
    return b"".join(chunks)


FileBody = Annotated[bytes, Depends(_file_bytes)]
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the file itself, under any content type (application/x-ndjson, "
        "application/zip, ...): FtM JSON lines, a CSV file or zip, or snapshot JSON",
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "snapshot JSON (crimegraph.snapshot/1)"}
            },
            **{
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("text/csv", "application/octet-stream")
            },
        },
    }
}


@router.post(
    "/imports",
    response_model=ImportSummary,
    status_code=201,
    responses={
        200: {
            "model": ImportSummary,
            "description": "the same file was imported before: its record; nothing written",
        },
        409: {
            "model": ErrorResponse,
            "description": "write_conflict: concurrent imports kept changing the same records "
            "and the retries ran out; nothing was written, send the file again",
        },
        413: {"description": "the file exceeds CRIMEGRAPH_MAX_IMPORT_BYTES"},
        **ERRORS,
    },
    openapi_extra=IMPORT_BODY,
    summary="Import a file (FtM JSON lines, CSV, snapshot JSON) as one batch",
)
def create_import(
    store: StoreDep,
    model: ModelDep,
    state: GraphDep,
    principal: AdminDep,
    body: FileBody,
    response: Response,
    format: Annotated[
        Literal["ftm", "csv", "snapshot"] | None,
        Query(description="the file's format; detected from file_name and content if unset"),
    ] = None,
    file_name: Annotated[
        str,
        Query(
            min_length=1,
            max_length=255,
            description="the file's name, recorded on the Dataset (and a hint to its format)",
        ),
    ] = "upload",
    source_document: Annotated[
        str | None,
        Query(
            max_length=512,
            description="a Document id (stored, or in the file) cited by rows that cite none",
        ),
    ] = None,
    grading: Annotated[
        str,
        Query(
            pattern="^[A-F][1-6]$",
            description="Admiralty grading for rows without one (default F6: cannot be judged)",
        ),
    ] = DEFAULT_GRADING,
    confidence: Annotated[
        int, Query(ge=0, le=100, description="confidence for rows without one")
    ] = imports.DEFAULT_CONFIDENCE,
) -> ImportSummary:
    """The file is validated in full first: any problem rejects it whole (422, every
    problem in `details` with file, line, field and message, up to 50) and nothing is
    written. Otherwise one transaction writes a Dataset record and every node and
    relationship, each tagged with the dataset's id. Ids already stored must hold the same
    facts (their provenance lists are merged). The same file again: 200, nothing written.
    Formats and columns: docs/import-format.md."""
    if not body:
        raise InvalidInput(
            "the request body is empty: send the file's bytes",
            details=[{"field": "body", "message": "empty"}],
        )
    options = imports.ImportOptions(source_document, grading, confidence)
    result = imports.run_import(
        store,
        model,
        imports.ImportSource(file_name, body),
        imported_by=principal.actor,
        format=format,
        options=options,
        timeout=state.settings.import_timeout,
        limits=imports.ImportLimits.from_settings(state.settings),
    )
    if not result.created:
        response.status_code = 200
    return ImportSummary(
        **result.dataset, created=result.created, ignored=result.ignored, seconds=result.seconds
    )


@router.get(
    "/datasets",
    dependencies=ADMIN,
    response_model=list[Dataset],
    responses=ERRORS,
    summary="The imports (Dataset records), newest first",
)
def list_datasets(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many")] = 50,
) -> list[Dataset]:
    """Each import's file name, format, hash, counts, who ran it and when."""
    return [Dataset(**row) for row in imports.list_datasets(store, limit)]


@router.get(
    "/datasets/{dataset_id}",
    dependencies=ADMIN,
    response_model=Dataset,
    responses=ERRORS,
    summary="One import's record",
)
def get_dataset(
    store: StoreDep,
    dataset_id: Annotated[
        str, Path(max_length=512, description="a Dataset id, e.g. dataset-3f2a9c0d1e4b5a6f-...")
    ],
) -> Dataset:
    """404 when no import has this id."""
    return Dataset(**imports.get_dataset(store, dataset_id))


EXPORT_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "FtM JSON lines (ftm) or a zip of neo4j-admin CSV files (csv)",
        "content": {"application/x-ndjson": {}, "application/zip": {}},
    }
}


@router.get(
    "/export",
    dependencies=ANALYST,
    response_model=None,
    response_class=StreamingResponse,
    responses={**EXPORT_CONTENT, **ERRORS},
    summary="Export the graph, or one dataset, as FtM JSON lines or neo4j-admin CSV",
)
def export(
    store: StoreDep,
    model: ModelDep,
    format: Annotated[
        Literal["ftm", "csv"],
        Query(description="ftm: FollowTheMoney JSON lines; csv: neo4j-admin import files, zipped"),
    ] = "ftm",
    dataset: Annotated[
        str | None,
        Query(
            max_length=512,
            description="only this import's nodes and relationships (with the nodes they "
            "end at and the documents they cite)",
        ),
    ] = None,
) -> StreamingResponse:
    """Every entity and relationship (no system records), or one dataset's. Importing the
    export into an empty graph gives the same graph back: each FtM entity carries the
    `crimegraph` key with its exact labels and properties."""
    snapshot = imports.export_graph(store, dataset)
    content, media_type, file_name = imports.render_export(snapshot, format, model)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), STREAM_CHUNK):
            yield content[start : start + STREAM_CHUNK]

    return StreamingResponse(
        chunks(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )
