"""One JSON error shape for every error the API returns.

{"error": {"status": 404, "code": "not_found", "message": "...", "details": [...]}}
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.core.errors import (
    AuditUnavailable,
    CrimegraphError,
    DatabaseUnavailable,
    QueryTimeout,
    RateLimited,
    Unauthenticated,
    WriteConflict,
)

log = logging.getLogger("crimegraph.api")

RETRY_AFTER_SECONDS = 5
WWW_AUTHENTICATE = 'Bearer realm="crimegraph"'
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "too_many_requests",
}


class ErrorBody(BaseModel):
    status: int = Field(description="the HTTP status, repeated for clients that lose it")
    code: str = Field(description="a stable machine-readable code, e.g. not_found")
    message: str = Field(description="what went wrong, for a person")
    details: list[dict[str, Any]] = Field(default_factory=list, description="per-field problems")


class ErrorResponse(BaseModel):
    error: ErrorBody


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: an error message may echo the client's input, and input
    that is not valid Unicode (a lone surrogate) must not break the error response itself."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(status=status, code=code, message=message, details=details or [])
    )
    return AsciiJSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def crimegraph_error_response(exc: CrimegraphError, path: str) -> JSONResponse:
    """The response for a crimegraph error, with the headers its status calls for."""
    headers = None
    if isinstance(exc, DatabaseUnavailable | QueryTimeout | AuditUnavailable | WriteConflict):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    elif isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": WWW_AUTHENTICATE}
    if exc.status >= 500 and exc.status != 503:
        log.error("error on %s: %s", path, exc.message)
    return error_response(exc.status, exc.code, exc.message, exc.details, headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CrimegraphError)
    async def crimegraph_error(request: Request, exc: CrimegraphError) -> JSONResponse:
        return crimegraph_error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return error_response(422, "invalid_input", f"invalid request: {summary}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # A body FastAPI cannot decode (not UTF-8, say): as invalid as malformed JSON,
            # which FastAPI already answers with 422; one status for both.
            return error_response(422, "invalid_input", f"invalid request body: {exc.detail}")
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(
            exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(
            500, "internal_error", "internal error; the server log has the details"
        )
