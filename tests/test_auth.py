"""API keys, roles, limits and the audit trail, on a small app with install_security (the
real store holds the keys)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Body, Depends, FastAPI
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from api.security import (
    ViewerDep,
    audit_router,
    effective_role,
    install_security,
    public,
    require,
    route_requirements,
    routes_without_role,
)
from graph.access import audit
from graph.access.auth import KeyStore, Principal, Role, hash_secret, parse_token
from graph.cli.main import main
from graph.core.errors import NotFound, Unauthenticated, UnsafeConfiguration
from graph.core.settings import Settings
from graph.db.store import Store
from tests.conftest import SESSION_KEY_CREATOR
from tests.test_api import assert_error_shape

CASE = "case:prison-break"


def build_app(settings: Settings, store: Store) -> FastAPI:
    """A few routes, one per role, wired the way the lead wires api.app."""
    app = FastAPI()
    install_error_handlers(app)
    install_security(app, settings, store_provider=lambda: store)

    @app.get("/health", dependencies=[Depends(public())])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/stats")
    def stats(principal: ViewerDep, q: str | None = None) -> dict[str, Any]:
        row = store.run("graph_totals")[0]
        return {"who": principal.key_id, **row}

    @app.get("/api/v1/items/{item_id}")
    def item(item_id: str, principal: ViewerDep) -> dict[str, str]:
        # The lead's handling filter: a restricted item the key may not see is a 404.
        if item_id == "restricted" and not principal.can_see(CASE):
            audit.note_denied(f"handling {CASE}")
            raise NotFound(f"no entity {item_id!r}")
        return {"id": item_id}

    @app.post("/api/v1/snapshots", dependencies=[Depends(require(Role.INVESTIGATOR))])
    def snapshot(body: Annotated[dict[str, Any], Body()]) -> dict[str, int]:
        return {"keys": len(body)}

    @app.post("/api/v1/cypher", dependencies=[Depends(require(Role.ANALYST))])
    def cypher(body: Annotated[dict[str, Any] | None, Body()] = None) -> dict[str, str]:
        if body:
            audit.note_detail("cypher", str(body["query"]))  # the text, not only its hash
        return {"ok": "analyst"}

    @app.post("/api/v1/imports", dependencies=[Depends(require(Role.ADMIN))])
    def imports(body: Annotated[dict[str, Any], Body()]) -> dict[str, int]:
        return {"keys": len(body)}

    app.include_router(audit_router)
    return app


@pytest.fixture
def secure(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={
            "audit_dir": tmp_path / "audit",
            "max_body_bytes": 1000,
            "max_import_bytes": 5000,
            "rate_limit_per_minute": 600,
            "rate_limit_burst": 100,
            "key_cache_seconds": 0,  # the TTL has its own test
        }
    )


@pytest.fixture
def keys(store: Store) -> KeyStore:
    return KeyStore(store, ttl=0)


@pytest.fixture
def tokens(keys: KeyStore) -> dict[str, str]:
    made = {role.value: keys.create(f"{role.value} key", role)[1] for role in Role}
    made["cleared"] = keys.create("cleared viewer", Role.VIEWER, [CASE])[1]
    return made


@pytest.fixture
def http(secure: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(build_app(secure, store)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def records(settings: Settings) -> list[dict[str, Any]]:
    return [json.loads(line) for line in settings.audit_path.read_text().splitlines()]


def test_roles_are_ordered_and_each_allows_those_below() -> None:
    assert Role.VIEWER < Role.INVESTIGATOR < Role.ANALYST < Role.ADMIN
    assert Role.ADMIN.allows(Role.VIEWER) and Role.ANALYST.allows(Role.ANALYST)
    assert not Role.INVESTIGATOR.allows(Role.ANALYST)
    assert max(Role) is Role.ADMIN


def test_a_key_is_stored_hashed_and_works_until_revoked(store: Store, keys: KeyStore) -> None:
    info, token = keys.create("alice's laptop", Role.ANALYST, [CASE], created_by="cli:alice")
    key_id, secret = parse_token(token)
    assert token == f"cg_{info.id}_{secret}" and key_id == info.id and len(secret) == 64

    dump = json.dumps(store.run("canonical_dump"))
    assert secret not in dump  # only the hash is kept
    assert store.security.run("api_key_by_id", {"key": key_id})[0]["hash"] == hash_secret(secret)
    listed = [k for k in keys.list() if k.created_by != SESSION_KEY_CREATOR]
    assert [k.id for k in listed] == [key_id]
    assert "hash" not in listed[0].as_dict() and listed[0].handling == (CASE,)

    principal = keys.authenticate(token)
    assert principal == Principal(key_id, "alice's laptop", Role.ANALYST, frozenset({CASE}))
    assert principal.can_see(CASE) and principal.can_see(None)
    assert not principal.can_see("case:other")

    revoked = keys.revoke(key_id, revoked_by="cli:bob")
    assert revoked.revoked and revoked.revoked_by == "cli:bob"
    assert keys.revoke(key_id, revoked_by="cli:carol").revoked_by == "cli:bob"  # first stays
    with pytest.raises(Unauthenticated):
        keys.authenticate(token)
    with pytest.raises(Unauthenticated):
        keys.authenticate(f"cg_{key_id}_{'0' * 64}")
    with pytest.raises(NotFound):
        keys.revoke("000000000000")


def test_another_process_notices_a_revocation_within_the_cache_ttl(store: Store) -> None:
    now = [1000.0]
    replica = KeyStore(store, ttl=5.0, clock=lambda: now[0])
    admin = KeyStore(store, ttl=0)
    info, token = admin.create("shared", Role.VIEWER)
    assert replica.authenticate(token).key_id == info.id  # cached for 5 s
    admin.revoke(info.id)
    now[0] += 4.0
    assert replica.authenticate(token).key_id == info.id  # still within the TTL
    now[0] += 1.5
    with pytest.raises(Unauthenticated):
        replica.authenticate(token)


def test_missing_unknown_malformed_and_revoked_keys_get_401(
    http: TestClient, keys: KeyStore, tokens: dict[str, str]
) -> None:
    assert http.get("/health").json() == {"status": "ok"}  # public: no key needed
    viewer = tokens["viewer"]
    key_id, _ = parse_token(viewer)
    unknown = f"cg_{'a' * 12}_{'b' * 64}"
    for headers in ({}, bearer(unknown), bearer("not-a-key"), {"Authorization": "Basic eDp5"}):
        response = http.get("/api/v1/stats", headers=headers)
        assert_error_shape(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert http.get("/api/v1/stats", headers=bearer(viewer)).json()["who"] == key_id
    assert http.get("/api/v1/stats", headers={"X-API-Key": viewer}).status_code == 200
    keys.revoke(key_id)
    assert_error_shape(http.get("/api/v1/stats", headers=bearer(viewer)), 401, "unauthenticated")


def test_a_lower_role_gets_403_and_each_role_reaches_its_routes(
    http: TestClient, tokens: dict[str, str]
) -> None:
    routes = {
        Role.INVESTIGATOR: ("/api/v1/snapshots", {"title": "x"}),
        Role.ANALYST: ("/api/v1/cypher", None),
        Role.ADMIN: ("/api/v1/imports", {"rows": []}),
    }
    for needed, (path, body) in routes.items():
        for role in Role:
            response = http.post(path, json=body, headers=bearer(tokens[role.value]))
            if role.allows(needed):
                assert response.status_code == 200, (role, path, response.text)
            else:
                error = assert_error_shape(response, 403, "insufficient_role")
                assert needed.value in str(error["message"])


def test_a_hidden_item_is_404_for_uncleared_keys_and_audited_as_denied(
    http: TestClient, secure: Settings, tokens: dict[str, str]
) -> None:
    assert_error_shape(
        http.get("/api/v1/items/restricted", headers=bearer(tokens["viewer"])), 404, "not_found"
    )
    assert (
        http.get("/api/v1/items/restricted", headers=bearer(tokens["cleared"])).status_code == 200
    )
    assert http.get("/api/v1/items/restricted", headers=bearer(tokens["admin"])).status_code == 200
    denied, cleared, admin = records(secure)[-3:]
    assert denied["status"] == 404 and denied["outcome"] == "denied"
    assert denied["reason"] == f"handling {CASE}"
    assert cleared["outcome"] == admin["outcome"] == "allowed"


def test_the_burst_then_429_with_retry_after(
    secure: Settings, store: Store, tokens: dict[str, str]
) -> None:
    limited = secure.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": 3})
    with TestClient(build_app(limited, store)) as client:
        statuses = [client.get("/health", headers=bearer(tokens["viewer"])) for _ in range(4)]
        assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
        assert_error_shape(statuses[3], 429, "rate_limited")
        assert 1 <= int(statuses[3].headers["Retry-After"]) <= 60
        # Per key: another key still has its burst.
        assert client.get("/health", headers=bearer(tokens["admin"])).status_code == 200
    assert records(limited)[-2]["outcome"] == "denied"


def test_bodies_over_the_limit_get_413_declared_or_streamed(
    http: TestClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    big = {"text": "x" * 2000}
    assert_error_shape(
        http.post("/api/v1/snapshots", json=big, headers=admin), 413, "payload_too_large"
    )
    streamed = iter([b'{"text": "', b"x" * 1500, b'"}'])  # chunked: no Content-Length
    response = http.post(
        "/api/v1/snapshots",
        content=streamed,
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_error_shape(response, 413, "payload_too_large")
    # Imports have their own, larger limit.
    assert http.post("/api/v1/imports", json=big, headers=admin).status_code == 200
    huge = {"text": "x" * 6000}
    assert_error_shape(
        http.post("/api/v1/imports", json=huge, headers=admin), 413, "payload_too_large"
    )


def test_every_request_allowed_or_denied_is_audited_in_a_verifying_chain(
    http: TestClient, secure: Settings, tokens: dict[str, str]
) -> None:
    viewer = tokens["viewer"]
    key_id, _ = parse_token(viewer)
    http.get("/api/v1/stats", params={"q": "amra"}, headers=bearer(viewer))
    http.get("/api/v1/stats")
    http.get(f"/api/v1/stats?token={viewer}", headers=bearer(f"cg_{'a' * 12}_{'b' * 64}"))
    http.post("/api/v1/cypher", headers=bearer(viewer))
    body = b'{"title": "Amra"}'
    http.post(
        "/api/v1/snapshots",
        content=body,
        headers={**bearer(tokens["investigator"]), "Content-Type": "application/json"},
    )
    allowed, missing, unknown, role, snapshot = records(secure)

    assert allowed["key_id"] == key_id and allowed["role"] == "viewer"
    assert allowed["key_name"] == "viewer key"
    assert allowed["route"] == "/api/v1/stats" and allowed["method"] == "GET"
    assert allowed["params"]["query"] == {"q": "amra"}
    assert allowed["queries"] == [{"name": "graph_totals", "rows": 1}]
    assert allowed["status"] == 200 and allowed["outcome"] == "allowed"
    assert allowed["result"]["bytes"] > 0 and allowed["client"] == "testclient"
    assert missing["status"] == 401 and missing["outcome"] == "denied"
    assert missing["key_id"] is None and missing["reason"] == "no API key"
    assert unknown["status"] == 401 and "unknown key id" in unknown["reason"]
    assert viewer not in json.dumps(unknown)  # a token in a URL is redacted
    assert unknown["params"]["query"]["token"].endswith("_<redacted>")
    assert role["status"] == 403 and role["outcome"] == "denied" and role["role"] == "viewer"
    assert snapshot["params"]["body"] == {
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    assert [r["seq"] for r in (allowed, missing, unknown, role, snapshot)] == [1, 2, 3, 4, 5]
    http.post(
        "/api/v1/cypher", json={"query": "MATCH (n) RETURN n"}, headers=bearer(tokens["analyst"])
    )
    assert records(secure)[-1]["details"] == {"cypher": "MATCH (n) RETURN n"}
    assert allowed["prev_hash"] == audit.GENESIS
    result = audit.verify(secure.audit_path)
    assert result.ok and result.records == 6 and result.head_hash == records(secure)[-1]["hash"]
    assert secure.audit_path.stat().st_mode & 0o777 == 0o600


def test_admins_read_the_audit_log_and_that_read_is_audited(
    http: TestClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["admin"])
    assert_error_shape(
        http.get("/api/v1/audit", headers=bearer(tokens["analyst"])), 403, "insufficient_role"
    )
    http.get("/api/v1/stats", headers=bearer(tokens["viewer"]))
    page = http.get("/api/v1/audit", params={"limit": 2}, headers=admin).json()
    assert [r["route"] for r in page["records"]] == ["/api/v1/stats", "/api/v1/audit"]
    assert page["records"][1]["outcome"] == "denied"  # the analyst's attempt
    older = http.get("/api/v1/audit", params={"cursor": page["next_cursor"]}, headers=admin)
    assert older.json()["records"] == []
    again = http.get("/api/v1/audit", params={"route": "/api/v1/audit"}, headers=admin).json()
    reads = [r for r in again["records"] if r["outcome"] == "allowed"]
    assert len(reads) == 2 and reads[0]["params"]["query"] == {"cursor": str(page["next_cursor"])}
    denied = http.get("/api/v1/audit", params={"outcome": "denied"}, headers=admin).json()
    assert {r["status"] for r in denied["records"]} == {403}


def test_auth_disabled_is_refused_off_loopback_and_local_requests_act_as_admin(
    secure: Settings, store: Store
) -> None:
    unsafe = secure.model_copy(update={"auth": "disabled", "host": "0.0.0.0"})
    with pytest.raises(UnsafeConfiguration, match="not a loopback address"):
        build_app(unsafe, store)
    local = secure.model_copy(update={"auth": "disabled", "host": "127.0.0.1"})
    app = build_app(local, store)
    with TestClient(app) as client:
        assert client.post("/api/v1/imports", json={}).status_code == 200
    with TestClient(app, client=("203.0.113.7", 4000)) as remote:
        assert_error_shape(remote.post("/api/v1/imports", json={}), 403, "local_only")
    first, second = records(local)
    assert first["auth_disabled"] is True and first["role"] == "admin"
    assert second["outcome"] == "denied" and second["client"] == "203.0.113.7"


def test_every_route_declares_a_role_and_undeclared_ones_are_found(
    secure: Settings, store: Store
) -> None:
    app = build_app(secure, store)
    assert routes_without_role(app) == []
    found = route_requirements(app)
    assert effective_role(found["GET /health"]) is None
    assert effective_role(found["GET /api/v1/items/{item_id}"]) is Role.VIEWER
    assert effective_role(found["POST /api/v1/imports"]) is Role.ADMIN
    assert effective_role(found["GET /api/v1/audit"]) is Role.ADMIN

    @app.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    assert routes_without_role(app) == ["GET /api/v1/forgotten"]
    with TestClient(app) as client:  # fails closed: nothing is served
        assert_error_shape(client.get("/health"), 500, "internal_error")


def test_a_role_route_without_install_security_fails_closed() -> None:
    """A route that declares a role, in an app whose security middleware was never
    installed, answers 500 without running: there is no principal to hand it."""
    app = FastAPI()
    install_error_handlers(app)
    ran: list[str] = []

    @app.get("/x")
    def x(principal: ViewerDep) -> dict[str, str]:
        ran.append(principal.key_id)
        return {"who": principal.key_id}

    with TestClient(app, raise_server_exceptions=False) as client:
        assert_error_shape(client.get("/x"), 500, "internal_error")
        assert_error_shape(
            client.get("/x", headers={"X-API-Key": "anything"}), 500, "internal_error"
        )
    assert ran == []


def test_the_keys_command_creates_lists_and_revokes(
    cli_env: Settings,
    store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["keys", "create", "--name", "ci", "--role", "analyst", "--handling", CASE]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    key_id, _ = parse_token(token)
    assert f"created key {key_id}" in out.err and "shown once" in out.err
    assert KeyStore(store, ttl=0).authenticate(token).role is Role.ANALYST

    assert main(["keys", "list", "--json"]) == 0
    listed = [
        k for k in json.loads(capsys.readouterr().out) if k["created_by"] != SESSION_KEY_CREATOR
    ]
    assert [(k["id"], k["role"], k["handling"]) for k in listed] == [(key_id, "analyst", [CASE])]
    assert "hash" not in listed[0] and token.split("_")[2] not in json.dumps(listed)

    assert main(["keys", "revoke", key_id]) == 0
    assert f"revoked key {key_id}" in capsys.readouterr().out
    with pytest.raises(Unauthenticated):
        KeyStore(store, ttl=0).authenticate(token)
    assert main(["keys", "create", "--name", "x", "--handling", "Not A Code"]) == 2
    assert "handling code" in capsys.readouterr().err


class FlakyLog(audit.AuditLog):
    """An audit log whose disk can be made to fail."""

    broken = False

    def _append(self, entry: dict[str, Any]) -> dict[str, Any]:
        if self.broken:
            raise OSError(28, "No space left on device")
        return super()._append(entry)


def test_when_the_audit_log_cannot_be_written_requests_are_refused_until_it_can(
    secure: Settings, store: Store, tokens: dict[str, str]
) -> None:
    flaky = FlakyLog(secure.audit_path)
    app = FastAPI()
    install_error_handlers(app)
    install_security(app, secure, store_provider=lambda: store, audit_log=flaky)

    @app.get("/health", dependencies=[Depends(public())])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    with TestClient(app) as client:
        flaky.broken = True
        assert client.get("/health").status_code == 200  # already answered when it failed
        refused = client.get("/health")
        assert_error_shape(refused, 503, "audit_unavailable")
        assert "Retry-After" in refused.headers
        flaky.broken = False
        assert_error_shape(client.get("/health"), 503, "audit_unavailable")  # its record works
        assert client.get("/health").status_code == 200
    written = records(secure)
    assert [r["status"] for r in written] == [503, 200]
    assert audit.verify(secure.audit_path).ok
