"""The one exception root of crimegraph.

Every error a user can cause or meet derives from CrimegraphError; the API maps each to one
JSON error shape by its `status` and `code`, and the CLI prints `message` and exits non-zero.
"""

from __future__ import annotations

from typing import Any


class CrimegraphError(Exception):
    """Root of all crimegraph errors."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(CrimegraphError):
    """A request, parameter or data file is not acceptable."""

    status = 422
    code = "invalid_input"


class NotFound(CrimegraphError):
    status = 404
    code = "not_found"


class Conflict(CrimegraphError):
    """The request is valid but clashes with what is stored (e.g. undoing a merge that a
    later decision builds on); nothing was changed."""

    status = 409
    code = "conflict"


class ConstraintViolation(InvalidInput):
    """A write would give a second record an id a unique constraint reserves; nothing was
    written. A writer that checked the id was free has met another that took it since."""


class WriteConflict(Conflict):
    """Concurrent transactions wrote the same records (or created an id this one was about
    to create) and the store's retries ran out; nothing was written, trying again may
    succeed."""

    code = "write_conflict"


class ResultTooLarge(InvalidInput):
    """A query's answer would be larger than the API sends in one response; the database
    was told to stop, and nothing of it is sent."""

    code = "result_too_large"


class PayloadTooLarge(CrimegraphError):
    status = 413
    code = "payload_too_large"


class UriTooLong(CrimegraphError):
    """The request's path and query string are longer than the server takes."""

    status = 414
    code = "uri_too_long"


class HeadersTooLarge(CrimegraphError):
    """The request's headers are larger than the server takes."""

    status = 431
    code = "request_header_fields_too_large"


class ModelError(CrimegraphError):
    """graph/model/model.yaml (or another model file) is malformed."""

    code = "model_error"


class QueryDefinitionError(CrimegraphError):
    """A .cypher file's header or body is inconsistent."""

    code = "query_definition_error"


class SeedDataError(InvalidInput):
    """A seed or import data file is malformed; details name file, row and field."""

    code = "seed_data_error"


class ReadOnlyViolation(CrimegraphError):
    """A write, schema change or admin call where only reading is allowed."""

    status = 403
    code = "forbidden"


class Unauthenticated(CrimegraphError):
    """No API key, or one that is unknown, malformed or revoked (the API adds
    `WWW-Authenticate`)."""

    status = 401
    code = "unauthenticated"

    def __init__(
        self, message: str, *, reason: str = "", details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.reason = reason or message  # for the audit log, never sent to the client


class RoleRequired(CrimegraphError):
    """The key is valid but its role is below what the route requires."""

    status = 403
    code = "insufficient_role"


class LocalOnly(CrimegraphError):
    """Authentication is disabled, and the request did not come from this machine."""

    status = 403
    code = "local_only"


class RateLimited(CrimegraphError):
    """The key (or client address) spent its request budget; retry after `retry_after` s."""

    status = 429
    code = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: int, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class UnsafeConfiguration(InvalidInput):
    """Settings that would expose the API unprotected (auth disabled on a public address)."""

    code = "unsafe_configuration"


class AuditUnavailable(CrimegraphError):
    """The audit log cannot be written: requests are refused rather than served unrecorded."""

    status = 503
    code = "audit_unavailable"


class DatabaseUnavailable(CrimegraphError):
    """The graph database cannot be reached (or the schema is not applied yet)."""

    status = 503
    code = "database_unavailable"


class QueryTimeout(CrimegraphError):
    status = 503
    code = "query_timeout"


class AnalystsBusy(DatabaseUnavailable):
    """Every slot for analysts' Cypher queries is taken (settings.analyst_concurrency)."""

    code = "analysts_busy"


class AnalystCypherUnavailable(CrimegraphError):
    """The configuration cannot keep API key records out of the analysts' queries."""

    status = 503
    code = "analyst_cypher_unavailable"


class EngineError(CrimegraphError):
    """The embedded engine could not be started or stopped."""

    code = "engine_error"


class SchemaTooNew(CrimegraphError):
    """The database was migrated by a newer release of crimegraph than this one: this
    release refuses to run on it rather than misread it (docs/operations.md)."""

    status = 503
    code = "schema_too_new"


class BackupError(CrimegraphError):
    """A backup or restore of the embedded engine's database could not be done (or was
    refused: restoring over a database that holds data needs --force)."""

    code = "backup_error"


class RestoreRefused(BackupError):
    """A restore would replace a database that holds data, and --force was not given."""

    status = 409
    code = "restore_refused"
