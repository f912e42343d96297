"""Who may call what, how much, and the record of it (docs/security.md).

`install_security(app, settings)` adds one ASGI middleware that, for every HTTP request:
authenticates the API key (`Authorization: Bearer cg_...` or `X-API-Key: cg_...`; a key that
is present but wrong is a 401 whatever the route), applies the per-key rate limit (429 with
`Retry-After`), refuses bodies over the limit (413, by Content-Length and by counting the
bytes streamed), runs the app, and when the response is done appends one record to the audit
log (allowed, denied or error). Routes declare their role with `require(Role.X)`, which
checks the principal the middleware found (401 without a key, 403 below the role);
`route_requirements(app)` lists what every route declares, for the test that fails when one
declares nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import DateTimeParam
from api.errors import ErrorResponse, crimegraph_error_response
from graph.access import audit, visibility
from graph.access.audit import AuditLog, RequestAudit
from graph.access.auth import (
    SYSTEM_QUERIES,
    KeyStore,
    Principal,
    Role,
    check_auth_setting,
    is_loopback,
    parse_token,
)
from graph.core.errors import (
    AuditUnavailable,
    CrimegraphError,
    HeadersTooLarge,
    InvalidInput,
    LocalOnly,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RoleRequired,
    Unauthenticated,
    UriTooLong,
)
from graph.core.settings import Settings
from graph.db.queries import NamedQuery, QuerySet, strip_comments_and_strings
from graph.db.store import Store

log = logging.getLogger("crimegraph.audit")
SCOPE_KEY = "crimegraph.audit"
# Routes whose bodies may reach max_import_bytes instead of max_body_bytes.
LARGE_BODY_ROUTES = frozenset({("POST", "/api/v1/imports")})
DENIED_STATUSES = frozenset({401, 403, 413, 414, 429, 431})
# An audit record keeps this much of a path (a refused 1 MB URL is not copied whole).
MAX_AUDIT_PATH_CHARS = 2048
# Pages FastAPIOffline adds, which serve no data: public without a declaration.
DOCUMENTATION_ROUTES = ("GET /docs", "GET /docs/oauth2-redirect", "GET /redoc")
# Clients that send bad keys are slowed down before their keys cost a database lookup.
FAILED_AUTH_PER_MINUTE = 30
FAILED_AUTH_BURST = 10

UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "no API key, or an unknown or revoked one"}
}
FORBIDDEN_ROLE: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "the key's role is below the route's"}
}
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorResponse, "description": "too many requests; see Retry-After"}
}
# What any route may answer because of the middleware, documented app-wide: a key that is
# present but wrong is a 401 on every route, limits apply everywhere, and nothing is served
# while the audit log cannot be written.
SECURITY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **UNAUTHENTICATED,
    **FORBIDDEN_ROLE,
    413: {"model": ErrorResponse, "description": "the request body is over the size limit"},
    414: {"model": ErrorResponse, "description": "the path and query string are too long"},
    431: {"model": ErrorResponse, "description": "the request headers are too large"},
    **RATE_LIMITED,
    503: {
        "model": ErrorResponse,
        "description": "the database or the audit log is unavailable; see Retry-After",
    },
}
# The OpenAPI security schemes: either header carries the same token.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "BearerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "cg_<key id>_<secret>"},
}


# ---------------------------------------------------------------------------------------------
# Rate limits


class RateLimiter:
    """Token buckets by key: `burst` requests at once, refilled at `per_minute`. In memory,
    per process: N API processes allow N times the rate."""

    _PRUNE_AT = 50_000

    def __init__(
        self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, when = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - when) * self.rate)

    def take(self, key: str) -> float:
        """Spend one request of `key`'s budget: 0.0 if it may go now, else the seconds
        until it may (nothing is spent then)."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            if len(self._buckets) >= self._PRUNE_AT:
                self._prune(now)
            tokens = self._tokens(key, now)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def would_wait(self, key: str) -> float:
        """The seconds `key` would wait for its next request, spending nothing."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        """Forget full buckets: they are what a new bucket would be."""
        full = [k for k in self._buckets if self._tokens(k, now) >= self.burst]
        for key in full:
            del self._buckets[key]


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


# ---------------------------------------------------------------------------------------------
# State and the role dependency


class SecurityState:
    """What the middleware and the role dependency share: settings, keys, limits, audit log."""

    def __init__(
        self, settings: Settings, audit_log: AuditLog, store_provider: Callable[[], Store]
    ) -> None:
        self.settings = settings
        self.audit_log = audit_log
        self.store_provider = store_provider
        self.limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
        self.failed_auth = RateLimiter(FAILED_AUTH_PER_MINUTE, FAILED_AUTH_BURST)
        self.audit_failed = False
        # Routes that declare no role, found at the first request; any: refuse everything.
        self.route_check: Callable[[], list[str]] = list
        self.undeclared: list[str] | None = None
        self._keys: KeyStore | None = None
        self._keys_lock = threading.Lock()

    @property
    def auth_disabled(self) -> bool:
        return self.settings.auth == "disabled"

    def keys(self) -> KeyStore:
        """The key store over the app's database (schema applied on first use)."""
        store = self.store_provider()
        with self._keys_lock:
            if self._keys is None or self._keys.store is not store:
                self._keys = KeyStore(store, ttl=self.settings.key_cache_seconds)
            return self._keys

    def cached_principal(self, token: str) -> Principal | None:
        """The principal of a token whose key is in the lookup cache (no I/O), else None."""
        keys = self._keys
        return keys.authenticate_cached(token) if keys is not None else None


class RoleRequirement:
    """A route's declared role, as a dependency: returns the request's principal, raises
    Unauthenticated (no key) or RoleRequired (a lower role). `role=None` declares a public
    route (health checks). `route_requirements` finds these by their type."""

    def __init__(self, role: Role | None) -> None:
        self.role = role

    def __repr__(self) -> str:
        return f"require({self.role.value if self.role else 'public'})"

    async def __call__(self, request: Request) -> Principal | None:
        ctx = request.scope.get(SCOPE_KEY)
        if not isinstance(ctx, RequestAudit):
            # Fail closed: a route that declares a role must never run unprotected.
            raise RuntimeError("install_security(app, settings) was not called on this app")
        route = request.scope.get("route")
        ctx.route = getattr(route, "path_format", None) or getattr(route, "path", None)
        if self.role is None:
            return ctx.principal
        if ctx.principal is None:
            ctx.denied_reason = "no API key"
            raise Unauthenticated(
                "this route needs an API key: send `Authorization: Bearer cg_...` or "
                "`X-API-Key: cg_...` (an admin creates one with `crimegraph keys create`)",
                reason="no API key",
            )
        if not ctx.principal.allows(self.role):
            ctx.denied_reason = f"role {ctx.principal.role.value} < {self.role.value}"
            raise RoleRequired(
                f"this route needs the {self.role.value} role; key {ctx.principal.key_id} "
                f"({ctx.principal.name}) has the {ctx.principal.role.value} role"
            )
        return ctx.principal


_REQUIREMENTS = {role: RoleRequirement(role) for role in Role}
PUBLIC = RoleRequirement(None)


def require(role: Role) -> RoleRequirement:
    """The dependency a route declares: `dependencies=[Depends(require(Role.ANALYST))]`, or
    a parameter `principal: ViewerDep` to also get the principal."""
    return _REQUIREMENTS[role]


def public() -> RoleRequirement:
    """The declaration of a route anyone may call (health checks): it still counts as one."""
    return PUBLIC


# What a route passes as `dependencies=`: its declared role, read at a glance.
PUBLIC_ROUTE: list[Any] = [Depends(PUBLIC)]
VIEWER: list[Any] = [Depends(require(Role.VIEWER))]
INVESTIGATOR: list[Any] = [Depends(require(Role.INVESTIGATOR))]
ANALYST: list[Any] = [Depends(require(Role.ANALYST))]
ADMIN: list[Any] = [Depends(require(Role.ADMIN))]

ViewerDep = Annotated[Principal, Depends(require(Role.VIEWER))]
InvestigatorDep = Annotated[Principal, Depends(require(Role.INVESTIGATOR))]
AnalystDep = Annotated[Principal, Depends(require(Role.ANALYST))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]


async def get_security(request: Request) -> SecurityState:
    state: SecurityState = request.app.state.security
    return state


SecurityDep = Annotated[SecurityState, Depends(get_security)]


def _requirements(dependant: Dependant) -> Iterator[RoleRequirement]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleRequirement):
            yield dependency.call
        yield from _requirements(dependency)


def route_requirements(app: FastAPI) -> dict[str, list[RoleRequirement]]:
    """Every API route ("GET /api/v1/entities/{id}") with the role requirements it declares,
    directly, through its router or through a dependency. Routes FastAPI adds itself
    (/openapi.json, /docs, /redoc, static files) are not APIRoutes: see `other_routes`."""
    out: dict[str, list[RoleRequirement]] = {}
    for original, route in _api_routes(app):
        dependant = getattr(route, "dependant", None) or original.dependant
        found = list(dict.fromkeys(_requirements(dependant)))
        for method in sorted(getattr(route, "methods", None) or original.methods or ()):
            out[f"{method} {getattr(route, 'path', None) or original.path}"] = found
    return out


def _api_routes(app: FastAPI) -> Iterator[tuple[APIRoute, Any]]:
    """(the route as declared, the route as included: prefix and router dependencies
    applied). Recent FastAPI keeps an included router as one entry of `app.routes`."""
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route, route
        return
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.original_route, context


def routes_without_role(app: FastAPI, allow: Iterable[str] = ()) -> list[str]:
    """Routes ("GET /path") that declare no role, less those in `allow` (e.g. the
    documentation pages FastAPIOffline adds: GET /docs, GET /docs/oauth2-redirect,
    GET /redoc, which serve no data)."""
    allowed = set(allow)
    found = route_requirements(app)
    return sorted(name for name, reqs in found.items() if not reqs and name not in allowed)


def other_routes(app: FastAPI) -> list[str]:
    """Paths of the routes that are not API routes (documentation, static files)."""
    paths = (getattr(r, "path", None) for r in app.routes if not isinstance(r, APIRoute))
    return sorted(p for p in paths if isinstance(p, str))


def effective_role(found: list[RoleRequirement]) -> Role | None:
    """The role a route really needs: the highest it declares (None: public)."""
    roles = [r.role for r in found if r.role is not None]
    return max(roles) if roles else None


# ---------------------------------------------------------------------------------------------
# The middleware


class _BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` when the streamed body passes the limit. An HTTPException, so
    FastAPI's body reader lets it through and the error handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def _check_request_head(scope: Scope, settings: Settings, ctx: RequestAudit) -> None:
    """URL and header limits, answered in the one JSON shape and audited. The HTTP server's
    own parser buffers more than these (Settings.http_head_buffer_bytes), so a request over
    them reaches this check instead of the parser's plain-text 400."""
    target = len(scope.get("raw_path") or str(scope.get("path", "")).encode()) + len(
        scope.get("query_string", b"")
    )
    if target > settings.max_url_bytes:
        ctx.denied_reason = f"URL of {target} bytes > {settings.max_url_bytes}"
        raise UriTooLong(
            f"the path and query string are {target} bytes; the limit is {settings.max_url_bytes}"
        )
    headers = sum(len(name) + len(value) for name, value in scope.get("headers", ()))
    if headers > settings.max_header_bytes:
        ctx.denied_reason = f"headers of {headers} bytes > {settings.max_header_bytes}"
        raise HeadersTooLarge(
            f"the request headers are {headers} bytes; the limit is {settings.max_header_bytes}"
        )


def _token(headers: Headers) -> str | None:
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated(
                "the Authorization header must be `Bearer <API key>`",
                reason="Authorization header without a Bearer token",
            )
        return value.strip()
    key = headers.get("x-api-key")
    return key.strip() if key is not None else None


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _is_remote(address: str | None) -> bool:
    """True for an IP address off this machine. No address (a Unix socket) or a name given
    by the server itself (the test client's) is not remote."""
    if address is None:
        return False
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return not is_loopback(address)


def _authenticate(state: SecurityState, token: str) -> Principal:
    with audit.suspended():  # the key lookup is not one of the request's queries
        return state.keys().authenticate(token)


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, state: SecurityState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # none are served
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = RequestAudit()
        scope[SCOPE_KEY] = ctx
        started = time.monotonic()
        response: dict[str, Any] = {"status": None, "bytes": 0}

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
            elif message["type"] == "http.response.body":
                response["bytes"] += len(message.get("body", b""))
            await send(message)

        failed = True
        try:
            with audit.activate(ctx):
                await self._handle(scope, receive, send_counted, ctx)
            failed = False
        finally:
            # An exception escaping the app becomes a 500 outside this middleware.
            status = response["status"] or 500
            entry = audit_entry(scope, ctx, status, response["bytes"], started, failed)
            await self._record(entry)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, ctx: RequestAudit) -> None:
        state, settings = self.state, self.state.settings
        path = str(scope.get("path", ""))
        try:
            _check_request_head(scope, settings, ctx)  # before any work, even authentication
            if state.undeclared is None:
                state.undeclared = state.route_check()
                if state.undeclared:
                    log.error("routes without a declared role: %s", ", ".join(state.undeclared))
            if state.undeclared:
                raise CrimegraphError(
                    "the server refuses every request: some routes declare no role "
                    "(see the server log)"
                )
            if state.audit_failed:
                raise AuditUnavailable("the audit log cannot be written; requests are refused")
            await self._authenticate(scope, ctx)
            bucket = f"key:{ctx.principal.key_id}" if ctx.principal else f"addr:{_client(scope)}"
            wait = state.limiter.take(bucket)
            if wait > 0:
                ctx.denied_reason = f"rate limit of {bucket}"
                raise RateLimited(
                    f"more than {settings.rate_limit_per_minute} requests a minute "
                    f"(bursts of {settings.rate_limit_burst}); retry after {retry_after(wait)} s",
                    retry_after=retry_after(wait),
                )
            large = (scope["method"], path.rstrip("/") or "/") in LARGE_BODY_ROUTES
            limit = settings.max_import_bytes if large else settings.max_body_bytes
            length = Headers(scope=scope).get("content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                ctx.denied_reason = f"body of {length} bytes > {limit}"
                raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
        except CrimegraphError as exc:
            await crimegraph_error_response(exc, path)(scope, receive, send)
            return

        async def receive_limited() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                ctx.body_bytes += len(chunk)
                ctx.body_hash.update(chunk)
                if ctx.body_bytes > limit:
                    ctx.denied_reason = f"body over {limit} bytes"
                    raise _BodyTooLarge(limit)
            return message

        responded = False

        async def send_tracked(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
            await send(message)

        # The request reads with its own principal's view, whatever the server's context
        # holds (a view set around `serve` must never reach a request).
        clearance = visibility.of(ctx.principal) if ctx.principal else visibility.UNRESTRICTED_ONLY
        try:
            with visibility.scope(clearance):
                await self.app(scope, receive_limited, send_tracked)
        except _BodyTooLarge as exc:
            if responded:
                raise
            error = PayloadTooLarge(str(exc.detail))
            await crimegraph_error_response(error, path)(scope, receive, send)

    async def _authenticate(self, scope: Scope, ctx: RequestAudit) -> None:
        state = self.state
        if state.auth_disabled:
            if _is_remote(_client(scope)):
                ctx.denied_reason = "auth disabled; remote client"
                raise LocalOnly(
                    "authentication is disabled on this server, so it answers only requests "
                    "from this machine"
                )
            ctx.principal = Principal.local_admin()
            return
        try:
            token = _token(Headers(scope=scope))
            if token is None:
                return  # the route's requirement decides: public routes need no key
            key_id, _ = parse_token(token)  # a malformed token costs no database lookup
            ctx.presented_key_id = key_id
            # Failures are counted per address AND key id: someone spraying bad tokens slows
            # down their own attempts, not the valid keys of others behind the same address.
            address = f"addr:{_client(scope)}:key:{key_id}"
            wait = state.failed_auth.would_wait(address)
            if wait > 0:
                ctx.auth_failure = "too many failed authentications from this address"
                ctx.denied_reason = ctx.auth_failure
                raise RateLimited(
                    "too many requests with invalid tokens for this key id from this address; "
                    f"retry after {retry_after(wait)} s",
                    retry_after=retry_after(wait),
                )
            # A key seen within key_cache_seconds is checked here, without a thread hop.
            ctx.principal = state.cached_principal(token) or await anyio.to_thread.run_sync(
                _authenticate, state, token
            )
        except Unauthenticated as exc:
            ctx.auth_failure = exc.reason
            ctx.denied_reason = exc.reason
            if ctx.presented_key_id is not None:
                state.failed_auth.take(f"addr:{_client(scope)}:key:{ctx.presented_key_id}")
            raise

    async def _record(self, entry: dict[str, Any]) -> None:
        try:
            await anyio.to_thread.run_sync(self.state.audit_log.append, entry)
            self.state.audit_failed = False
        except AuditUnavailable as exc:
            # The response is gone; refuse what follows until a record can be written again
            # (each refused request's own record is the retry).
            log.critical("%s", exc.message)
            self.state.audit_failed = True


def audit_entry(
    scope: Scope, ctx: RequestAudit, status: int, sent: int, started: float, failed: bool
) -> dict[str, Any]:
    """The audit record of a finished request (AuditLog.append adds time, seq and hashes)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None) or ctx.route
    query = parse_qsl(
        bytes(scope.get("query_string", b"")).decode("latin-1"),
        keep_blank_values=True,
        encoding="utf-8",
        errors="replace",
    )
    path_params = [(str(k), str(v)) for k, v in (scope.get("path_params") or {}).items()]
    if status >= 500 or failed:
        outcome = "error"
    elif status in DENIED_STATUSES or ctx.denied_reason is not None:
        outcome = "denied"
    else:
        outcome = "allowed"
    principal = ctx.principal
    return {
        "key_id": principal.key_id if principal else ctx.presented_key_id,
        "key_name": principal.name if principal else None,
        "role": principal.role.value if principal else None,
        "auth_disabled": bool(principal and principal.auth_disabled),
        "method": scope.get("method"),
        "route": template,
        "path": _cut(audit.redact(str(scope.get("path", ""))), MAX_AUDIT_PATH_CHARS),
        "params": {
            "query": audit.summarise_params(query),
            "path": audit.summarise_params(path_params),
            "body": (
                {"bytes": ctx.body_bytes, "sha256": ctx.body_hash.hexdigest()}
                if ctx.body_bytes
                else None
            ),
        },
        "queries": [{"name": q.name, "rows": q.rows} for q in ctx.queries],
        "details": dict(ctx.details),
        "result": {"bytes": sent, "items": ctx.result_items},
        "status": status,
        "outcome": outcome,
        "reason": ctx.denied_reason,
        "client": _client(scope),
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def install_security(
    app: FastAPI,
    settings: Settings,
    *,
    store_provider: Callable[[], Store] | None = None,
    audit_log: AuditLog | None = None,
    public_routes: Iterable[str] = DOCUMENTATION_ROUTES,
    refuse_undeclared: bool = True,
) -> SecurityState:
    """Add authentication, limits and the audit trail to `app` (before it starts). Raises
    UnsafeConfiguration when auth is disabled on a non-loopback host. The keys live in the
    app's database: by default `app.state.graph.ready_store()` (set by the lifespan).
    Fails closed: if any route (other than `public_routes`) declares no role, every request
    is answered 500 and the routes are logged."""
    check_auth_setting(settings)
    if settings.auth == "disabled":
        log.warning(
            "CRIMEGRAPH_AUTH=disabled: UNSAFE, every local request acts as an admin; "
            "for development on this machine only"
        )
    allowed = tuple(public_routes)

    def app_store() -> Store:
        store: Store = app.state.graph.ready_store()
        return store

    state = SecurityState(
        settings,
        audit_log or AuditLog(settings.audit_path, sync_interval=settings.audit_sync_seconds),
        store_provider or app_store,
    )
    if refuse_undeclared:
        state.route_check = lambda: routes_without_role(app, allow=allowed)
    app.state.security = state
    app.add_middleware(SecurityMiddleware, state=state)
    return state


# ---------------------------------------------------------------------------------------------
# Named queries over HTTP

# System records a read query may touch, and the role of the routes that serve them: the
# generic named-query routes ask the same role, so they are no way around it.
_SYSTEM_LABEL_ROLES = {"Dataset": Role.ADMIN, "Decision": Role.ANALYST, "Candidate": Role.ANALYST}
# Whole-graph reads (every link, every entity id, every linkable name): a bulk harvest, like
# GET /api/v1/export, so analysts only.
BULK_QUERIES = frozenset({"all_links", "entity_ids", "linkable_entities"})
# The largest `limit` a caller may give a named query over HTTP (its own header sets none).
MAX_NAMED_QUERY_LIMIT = 10_000


def _uses_label(body: str, label: str) -> bool:
    return re.search(rf":\s*`?{label}\b", strip_comments_and_strings(body)) is not None


def named_query_role(query: NamedQuery) -> Role | None:
    """The role a key needs to run `query` through the named-query routes (GET/POST
    /api/v1/queries..., snapshots from a named query). None: never through them (write
    queries, and those that touch API keys, `graph.access.auth.SYSTEM_QUERIES`)."""
    if query.mode != "read" or query.name in SYSTEM_QUERIES or _uses_label(query.body, "ApiKey"):
        return None
    roles = [role for label, role in _SYSTEM_LABEL_ROLES.items() if _uses_label(query.body, label)]
    if query.name in BULK_QUERIES:
        roles.append(Role.ANALYST)
    return max(roles, default=Role.VIEWER)


def visible_queries(queries: QuerySet, principal: Principal | None) -> list[NamedQuery]:
    """The named queries a key may see and run: read queries at or below its role."""
    out = []
    for query in queries.values():
        role = named_query_role(query)
        if role is not None and principal is not None and principal.allows(role):
            out.append(query)
    return out


def named_query_for(
    queries: QuerySet,
    name: str,
    principal: Principal | None,
    params: dict[str, Any] | None = None,
) -> NamedQuery:
    """The named query `name` if this key may run it over HTTP with `params`. A system query
    does not exist here (404, like an unknown name); a write query is a 422, and so is a
    `limit` over MAX_NAMED_QUERY_LIMIT; one that reads records of a higher role (datasets,
    decisions, review candidates, whole-graph reads) is a 403."""
    query = queries[name]  # NotFound for an unknown name
    if query.name in SYSTEM_QUERIES or (query.mode == "read" and named_query_role(query) is None):
        raise NotFound(f"no named query {name!r}")
    role = named_query_role(query)
    if role is None:
        raise InvalidInput(f"{name} is a write query; only read queries can be run or frozen")
    if principal is None or not principal.allows(role):
        have = principal.role.value if principal else "none"
        audit.note_denied(f"named query {name} needs {role.value}")
        raise RoleRequired(
            f"the named query {name} needs the {role.value} role; this key is {have}"
        )
    limit = (params or {}).get("limit")
    if isinstance(limit, int) and limit > MAX_NAMED_QUERY_LIMIT:
        raise InvalidInput(
            f"limit is at most {MAX_NAMED_QUERY_LIMIT} on the named-query routes",
            details=[{"field": "params.limit", "message": f"<= {MAX_NAMED_QUERY_LIMIT}"}],
        )
    return query


def add_security_to_openapi(app: FastAPI) -> None:
    """Declare the API key in the OpenAPI document (the /docs page's Authorize button), and
    on each operation the role it needs (`x-required-role`; public ones need no key)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        roles = {name: effective_role(found) for name, found in route_requirements(app).items()}
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or f"{method.upper()} {path}" not in roles:
                    continue
                role = roles[f"{method.upper()} {path}"]
                operation["x-required-role"] = role.value if role else "public"
                operation["security"] = [{"ApiKeyHeader": []}, {"BearerToken": []}] if role else []
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Reading the audit log (admins)


class AuditBody(BaseModel):
    bytes: int = Field(description="size of the request body")
    sha256: str = Field(description="SHA-256 of the body (the body itself is not kept)")


class AuditParams(BaseModel):
    query: dict[str, Any] = Field(description="query parameters (long values cut)")
    path: dict[str, Any] = Field(description="path parameters")
    body: AuditBody | None = Field(description="the body's size and hash, if it had one")


class AuditQuery(BaseModel):
    name: str = Field(description="a named query of cypher/queries, or `analyst`")
    rows: int | None = Field(description="rows it returned (null: it failed)")


class AuditResult(BaseModel):
    bytes: int = Field(description="response body size")
    items: int | None = Field(description="items returned, where the route counts them")


class AuditRecord(BaseModel):
    seq: int = Field(description="position in the chain, from 1")
    event: str | None = Field(
        None,
        description="set on the service's own records, which answer no request: "
        "engine_died, engine_restarted, engine_restart_failed (status 0, no key)",
    )
    time: str = Field(description="when the record was written (UTC, ISO 8601)")
    key_id: str | None = Field(description="the API key's public id (null: no valid key)")
    key_name: str | None = Field(description="the key's name")
    role: str | None = Field(description="the key's role")
    auth_disabled: bool = Field(description="true when the server ran without authentication")
    method: str | None = Field(description="HTTP method")
    route: str | None = Field(description="the route's path template (null: no route matched)")
    path: str = Field(description="the path requested")
    params: AuditParams = Field(description="the request's parameters")
    queries: list[AuditQuery] = Field(description="named queries the request ran")
    details: dict[str, str] = Field(
        default_factory=dict, description="body parts kept whole, e.g. the analysts' Cypher"
    )
    result: AuditResult = Field(description="what the response carried")
    status: int = Field(description="HTTP status of the response (0 on a service event)")
    outcome: Literal["allowed", "denied", "error"] = Field(
        description="denied: refused by authentication, role, handling or a limit"
    )
    reason: str | None = Field(description="why it was denied")
    client: str | None = Field(description="client address as the server saw it")
    duration_ms: float = Field(description="time to the end of the response")
    prev_hash: str = Field(description="hash of the previous record")
    hash: str = Field(description="SHA-256 over prev_hash and this record")


class AuditPage(BaseModel):
    records: list[AuditRecord] = Field(description="newest first")
    next_cursor: int | None = Field(description="pass as `cursor` for older records")


def read_audit_page(
    settings: Settings,
    *,
    key_id: str | None = None,
    route: str | None = None,
    outcome: str | None = None,
    since: str | None = None,
    limit: int = 100,
    cursor: int | None = None,
) -> AuditPage:
    records, next_cursor = audit.read_records(
        settings.audit_path,
        key_id=key_id,
        route=route,
        outcome=outcome,
        since=since,
        limit=limit,
        cursor=cursor,
    )
    audit.note_result_items(len(records))
    return AuditPage(
        records=[AuditRecord.model_validate(r) for r in records], next_cursor=next_cursor
    )


audit_router = APIRouter(prefix="/api/v1", tags=["administration"])


@audit_router.get(
    "/audit",
    response_model=AuditPage,
    dependencies=[Depends(require(Role.ADMIN))],
    responses={
        **UNAUTHENTICATED,
        **FORBIDDEN_ROLE,
        **RATE_LIMITED,
        422: {"model": ErrorResponse, "description": "invalid parameters"},
    },
    summary="Read the audit log (admins; this read is audited too)",
)
def read_audit(
    security: SecurityDep,
    key_id: Annotated[str | None, Query(description="only this API key's requests")] = None,
    route: Annotated[
        str | None, Query(description="only this route template, e.g. /api/v1/cypher")
    ] = None,
    outcome: Annotated[
        Literal["allowed", "denied", "error"] | None, Query(description="only this outcome")
    ] = None,
    since: Annotated[
        DateTimeParam | None,
        Query(description="only records written at or after this moment (RFC 3339)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many records")] = 100,
    cursor: Annotated[
        int | None, Query(ge=1, description="the `next_cursor` of the previous page")
    ] = None,
) -> AuditPage:
    """The audit records, newest first: who called which route with which parameters, the
    named queries that ran, the result's size, the status and outcome. The log is append-only
    and hash-chained; `crimegraph audit verify` checks the chain."""
    return read_audit_page(
        security.settings,
        key_id=key_id,
        route=route,
        outcome=outcome,
        since=since,
        limit=limit,
        cursor=cursor,
    )
