"""Who may call what on the real app, and the record of it (docs/security.md).

tests/test_auth.py checks the mechanism (keys, roles, limits, the audit chain) on a small
app; this file checks that api.app wires it: every route declares a role, each route needs
the role the table below says, keys are checked, refusals are audited, limits answer 413,
422 and 429, and an unsafe setting is refused at start.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import (
    DOCUMENTATION_ROUTES,
    MAX_NAMED_QUERY_LIMIT,
    effective_role,
    other_routes,
    route_requirements,
    routes_without_role,
)
from graph.access.auth import (
    BOOTSTRAP_KEY_FILE,
    SYSTEM_QUERIES,
    KeyStore,
    Role,
    bootstrap_admin_key,
    parse_token,
)
from graph.core.errors import UnsafeConfiguration
from graph.core.settings import REPO_ROOT, Settings
from graph.db.engine import EngineHandle
from graph.db.store import Store
from tests.test_api import assert_error_shape

# Every route of the app and the role it needs. A change here is a change of who may do
# what: make it on purpose, and say so in docs/security.md.
ROLES = {
    "GET /health": "public",
    "GET /ready": "public",
    "GET /explore": "public",
    "GET /explore/assets/{name}": "public",
    "GET /explore/vendor/{name}": "public",
    "GET /explore/styles.json": "viewer",
    "GET /api/v1/stats": "viewer",
    "GET /api/v1/queries": "viewer",
    "GET /api/v1/queries/{name}": "viewer",
    "POST /api/v1/queries/{name}/graph": "viewer",  # runs a read query; stores nothing
    "GET /api/v1/entities": "viewer",
    "GET /api/v1/entities/{entity_id}": "viewer",
    "GET /api/v1/entities/{entity_id}/neighbors": "viewer",
    "GET /api/v1/entities/{entity_id}/why": "viewer",
    "GET /api/v1/networks/{network_id}/facilities": "viewer",
    "GET /api/v1/facilities/{facility_id}/networks": "viewer",
    "GET /api/v1/paths": "viewer",
    "GET /api/v1/incidents": "viewer",
    "GET /api/v1/analytics/key-players": "viewer",
    "GET /api/v1/analytics/coordinated-incidents": "viewer",
    "GET /api/v1/sources/{source_id}": "viewer",
    "GET /api/v1/documents/{document_id}/mentions": "viewer",
    "GET /api/v1/contradictions": "viewer",
    "GET /api/v1/snapshots": "viewer",
    "GET /api/v1/snapshots/{snapshot_id}": "viewer",
    "GET /api/v1/snapshots/{snapshot_id}/{format_name}": "viewer",
    "POST /api/v1/snapshots": "investigator",
    "POST /api/v1/documents": "investigator",
    "POST /api/v1/cypher": "analyst",
    "GET /api/v1/review/candidates": "analyst",
    "GET /api/v1/review/candidates/{candidate_id}": "analyst",
    "POST /api/v1/review/candidates/{candidate_id}/accept": "analyst",
    "POST /api/v1/review/candidates/{candidate_id}/reject": "analyst",
    "GET /api/v1/resolution/candidates": "analyst",
    "GET /api/v1/resolution/decisions": "analyst",
    "POST /api/v1/resolution/decisions": "analyst",
    "POST /api/v1/resolution/decisions/{decision_id}/undo": "analyst",
    "GET /api/v1/export": "analyst",  # the whole graph at once: a bulk harvest
    "POST /api/v1/imports": "admin",
    "GET /api/v1/datasets": "admin",
    "GET /api/v1/datasets/{dataset_id}": "admin",
    "GET /api/v1/audit": "admin",
}

APP = create_app(Settings())


@pytest.fixture
def secure(settings: Settings, tmp_path: Path) -> Settings:
    """The session's settings with an audit log of the test's own and no key cache (a
    revocation is seen at once)."""
    return settings.model_copy(update={"audit_dir": tmp_path / "audit", "key_cache_seconds": 0})


@pytest.fixture
def api(engine: EngineHandle, secure: Settings) -> Iterator[TestClient]:
    """The real app; each request chooses its key."""
    with TestClient(create_app(secure)) as client:
        yield client


@pytest.fixture
def tokens(store: Store) -> dict[Role, str]:
    keys = KeyStore(store, ttl=0)
    return {role: keys.create(f"{role.value} key", role)[1] for role in Role}


def key(token: str) -> dict[str, str]:
    return {"X-API-Key": token}


def records(settings: Settings) -> list[dict[str, Any]]:
    return [json.loads(line) for line in settings.audit_path.read_text().splitlines()]


# --- every route declares a role ------------------------------------------------------------


def test_every_route_of_the_app_declares_a_role() -> None:
    assert routes_without_role(APP, allow=DOCUMENTATION_ROUTES) == []
    # The only routes without a declaration are FastAPI's documentation pages (no data).
    assert routes_without_role(APP) == sorted(DOCUMENTATION_ROUTES)
    assert other_routes(APP) == ["/openapi.json", "/static-offline-docs"]


def test_each_route_needs_the_role_of_the_table() -> None:
    declared = {
        name: (needed.value if (needed := effective_role(found)) else "public")
        for name, found in route_requirements(APP).items()
        if name not in DOCUMENTATION_ROUTES
    }
    assert declared == ROLES
    operations = APP.openapi()["paths"]
    for name, role in ROLES.items():
        method, path = name.split(" ", 1)
        if path in operations:  # /explore is not in the document
            operation = operations[path][method.lower()]
            assert operation["x-required-role"] == role, name
            assert (operation["security"] == []) == (role == "public"), name


def test_the_documentation_is_public(api: TestClient) -> None:
    for path in ("/openapi.json", "/docs", "/redoc", "/health"):
        assert api.get(path).status_code == 200, path
    schemes = api.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}


# --- keys ---------------------------------------------------------------------------------


def test_a_data_route_needs_a_known_unrevoked_key(
    api: TestClient, store: Store, tokens: dict[Role, str]
) -> None:
    path = "/api/v1/entities?q=amra"
    viewer = tokens[Role.VIEWER]
    key_id, _ = parse_token(viewer)
    unknown = f"cg_{'a' * 12}_{'b' * 64}"
    for headers in ({}, key(unknown), key("cg_not_a_key"), {"Authorization": "Basic eDp5"}):
        response = api.get(path, headers=headers)
        assert_error_shape(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get(path, headers=key(viewer)).status_code == 200
    assert api.get(path, headers={"Authorization": f"Bearer {viewer}"}).status_code == 200
    KeyStore(store, ttl=0).revoke(key_id, revoked_by="test")
    assert_error_shape(api.get(path, headers=key(viewer)), 401, "unauthenticated")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/documents", {"text": "Mohamed Amra escaped."}),
        ("POST", "/api/v1/cypher", {"query": "RETURN 1 AS one"}),
        ("POST", "/api/v1/imports", None),
        ("GET", "/api/v1/audit", None),
        ("POST", "/api/v1/snapshots", {"entity_ids": ["x"]}),
        ("GET", "/api/v1/export", None),
    ],
)
def test_a_viewer_is_refused_what_needs_more(
    api: TestClient, tokens: dict[Role, str], method: str, path: str, body: Any
) -> None:
    response = api.request(method, path, json=body, headers=key(tokens[Role.VIEWER]))
    error = assert_error_shape(response, 403, "insufficient_role")
    assert "viewer" in str(error["message"])


def test_each_role_reaches_the_routes_of_its_rank(api: TestClient, tokens: dict[Role, str]) -> None:
    """One route per role; below it 403, at or above it the route's own answer (the
    snapshot's empty entity list is checked only after the role: its 422 proves the request
    got through)."""
    routes: dict[Role, tuple[str, str, Any, int]] = {
        Role.VIEWER: ("GET", "/api/v1/stats", None, 200),
        Role.INVESTIGATOR: ("POST", "/api/v1/snapshots", {"entity_ids": []}, 422),
        Role.ANALYST: ("POST", "/api/v1/cypher", {"query": "RETURN 1 AS one"}, 200),
        Role.ADMIN: ("GET", "/api/v1/datasets", None, 200),
    }
    for needed, (method, path, body, through) in routes.items():
        for role, token in tokens.items():
            response = api.request(method, path, json=body, headers=key(token))
            if role.allows(needed):
                assert response.status_code == through, (role, path, response.text)
                if through == 422:
                    assert_error_shape(response, 422, "invalid_input")
            else:
                assert_error_shape(response, 403, "insufficient_role")


# --- named queries and the analysts' Cypher ----------------------------------------------------


def test_named_query_routes_hide_key_queries_and_refuse_writes(
    api: TestClient, tokens: dict[Role, str]
) -> None:
    viewer, admin = key(tokens[Role.VIEWER]), key(tokens[Role.ADMIN])
    every = {"audience": "all"}  # plumbing too
    listed = {q["name"] for q in api.get("/api/v1/queries", params=every, headers=admin).json()}
    assert listed and not listed & SYSTEM_QUERIES
    assert "upsert_nodes" not in listed and "datasets" in listed
    seen_by_viewer = {
        q["name"] for q in api.get("/api/v1/queries", params=every, headers=viewer).json()
    }
    assert "entity_links" in seen_by_viewer
    assert not {"datasets", "review_candidates", "all_links"} & seen_by_viewer
    assert api.get("/api/v1/queries", params={"mode": "write"}, headers=admin).json() == []
    for name in sorted(SYSTEM_QUERIES):
        assert_error_shape(api.get(f"/api/v1/queries/{name}", headers=admin), 404, "not_found")
        graph = api.post(f"/api/v1/queries/{name}/graph", json={}, headers=admin)
        assert_error_shape(graph, 404, "not_found")
        snapshot = api.post(
            "/api/v1/snapshots", json={"query": {"name": name, "params": {}}}, headers=admin
        )
        assert_error_shape(snapshot, 404, "not_found")
    write = api.post("/api/v1/queries/upsert_nodes/graph", json={"rows": []}, headers=admin)
    assert_error_shape(write, 422, "invalid_input")
    # Records of a higher role, through the generic route: the same role as their own route.
    assert_error_shape(
        api.post("/api/v1/queries/datasets/graph", json={"limit": 5}, headers=viewer),
        403,
        "insufficient_role",
    )
    assert api.post("/api/v1/queries/datasets/graph", json={"limit": 5}, headers=admin).is_success
    too_many = {"id": "x", "limit": MAX_NAMED_QUERY_LIMIT + 1}
    assert_error_shape(
        api.post("/api/v1/queries/entity_links/graph", json=too_many, headers=viewer),
        422,
        "invalid_input",
    )


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (k:ApiKey) RETURN k.id AS id",
        "MATCH (k:`ApiKey`) RETURN k",
        "MATCH (n) WHERE 'ApiKey' IN labels(n) RETURN n.name",
        "MATCH (n) WHERE n.role = 'admin' RETURN n.hash",
        "MATCH (n) RETURN n['hash'] AS h",
        "MATCH (n) RETURN n",  # no name at all: the result gives the key records away
        "MATCH (n) RETURN properties(n) AS p",
    ],
)
def test_analysts_cannot_read_api_keys_or_their_hashes(
    api: TestClient, store: Store, tokens: dict[Role, str], query: str
) -> None:
    response = api.post(
        "/api/v1/cypher", json={"query": query, "limit": 10_000}, headers=key(tokens[Role.ADMIN])
    )
    # Refused by the text guard (403), or run where no key record is (a database the read
    # user cannot open, tests/test_security_db.py): either way nothing of a key comes back.
    if response.status_code != 200:
        assert_error_shape(response, 403, "forbidden")
    key_id = parse_token(tokens[Role.ADMIN])[0]
    stored = store.security.run("api_key_by_id", {"key": key_id})[0]["hash"]
    assert stored not in response.text and key_id not in response.text


def test_analysts_still_read_the_graph(api: TestClient, tokens: dict[Role, str]) -> None:
    response = api.post(
        "/api/v1/cypher",
        json={"query": "MATCH (n:Entity) WHERE n.name <> 'no ApiKey' RETURN count(n) AS n"},
        headers=key(tokens[Role.ANALYST]),
    )
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == [[0]]


# --- the audit trail --------------------------------------------------------------------------


def test_allowed_and_denied_requests_are_recorded_with_who_what_and_how_much(
    api: TestClient, secure: Settings, seeded_store: Store, tokens: dict[Role, str]
) -> None:
    viewer, analyst = tokens[Role.VIEWER], tokens[Role.ANALYST]
    found = api.get("/api/v1/entities", params={"q": "amra", "limit": 5}, headers=key(viewer))
    assert found.status_code == 200
    api.post("/api/v1/cypher", json={"query": "RETURN 1 AS one"}, headers=key(viewer))
    api.get("/api/v1/stats")
    amra = found.json()["items"][0]["id"]
    ran = api.post(
        "/api/v1/queries/entity_links/graph",
        json={"id": amra, "limit": 100},
        headers=key(analyst),
    )
    assert ran.status_code == 200, ran.text
    search, refused, anonymous, named = records(secure)[-4:]

    assert search["key_id"] == parse_token(viewer)[0] and search["key_name"] == "viewer key"
    assert search["role"] == "viewer" and search["method"] == "GET"
    assert search["route"] == "/api/v1/entities"
    assert search["params"]["query"] == {"q": "amra", "limit": "5"}
    assert "search_entities" in {q["name"] for q in search["queries"]}
    assert search["result"]["bytes"] == len(found.content)
    assert search["result"]["items"] == len(found.json()["items"])
    assert search["status"] == 200 and search["outcome"] == "allowed"
    assert search["client"] == "testclient" and search["time"].endswith("Z")

    assert refused["outcome"] == "denied" and refused["status"] == 403
    assert refused["reason"] == "role viewer < analyst" and refused["queries"] == []
    assert anonymous["outcome"] == "denied" and anonymous["key_id"] is None
    assert anonymous["reason"] == "no API key"

    assert named["route"] == "/api/v1/queries/{name}/graph"
    assert named["params"]["path"] == {"name": "entity_links"}
    assert named["params"]["body"]["bytes"] > 0
    assert named["queries"][0] == {"name": "entity_links", "rows": len(ran.json()["rows"])}
    assert named["result"]["items"] == len(ran.json()["rows"])


def test_admins_read_the_audit_log_and_each_read_is_recorded(
    api: TestClient, secure: Settings, tokens: dict[Role, str]
) -> None:
    admin = key(tokens[Role.ADMIN])
    assert_error_shape(
        api.get("/api/v1/audit", headers=key(tokens[Role.ANALYST])), 403, "insufficient_role"
    )
    first = api.get("/api/v1/audit", params={"limit": 5}, headers=admin)
    assert first.status_code == 200
    assert first.json()["records"][0]["outcome"] == "denied"  # the analyst's try
    second = api.get("/api/v1/audit", params={"limit": 1}, headers=admin).json()["records"]
    (previous,) = second
    assert previous["route"] == "/api/v1/audit" and previous["outcome"] == "allowed"
    assert previous["key_id"] == parse_token(tokens[Role.ADMIN])[0]
    assert previous["params"]["query"] == {"limit": "5"}
    assert previous["result"]["bytes"] == len(first.content)


def test_bad_tokens_slow_down_their_sender_not_the_valid_keys_of_the_same_address(
    api: TestClient, secure: Settings, store: Store, tokens: dict[Role, str]
) -> None:
    """Behind one NAT address, someone retrying a revoked or made-up key must not lock
    everyone else out; and a revoked key's attempts are found by its key id in the audit."""
    viewer = tokens[Role.VIEWER]
    revoked = tokens[Role.ANALYST]
    revoked_id, _ = parse_token(revoked)
    KeyStore(store, ttl=0).revoke(revoked_id, revoked_by="test")
    statuses = [api.get("/api/v1/stats", headers=key(revoked)).status_code for _ in range(30)]
    assert statuses[0] == 401 and statuses[-1] == 429  # the bad key itself is slowed down
    assert api.get("/api/v1/stats", headers=key(viewer)).status_code == 200
    tried = [r for r in records(secure) if r["key_id"] == revoked_id]
    assert len(tried) == 30 and {r["outcome"] for r in tried} == {"denied"}


# --- limits -----------------------------------------------------------------------------------


def test_a_key_past_its_burst_gets_429_with_retry_after(
    engine: EngineHandle, secure: Settings, tokens: dict[Role, str]
) -> None:
    limited = secure.model_copy(update={"rate_limit_per_minute": 1, "rate_limit_burst": 2})
    with TestClient(create_app(limited)) as client:
        viewer = key(tokens[Role.VIEWER])
        statuses = [client.get("/api/v1/stats", headers=viewer).status_code for _ in range(2)]
        assert statuses == [200, 200]
        refused = client.get("/api/v1/stats", headers=viewer)
        assert_error_shape(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert client.get("/api/v1/stats", headers=key(tokens[Role.ADMIN])).status_code == 200
    assert records(limited)[-2]["outcome"] == "denied"


def test_bodies_over_their_limit_get_413(
    engine: EngineHandle, secure: Settings, store: Store, tokens: dict[Role, str]
) -> None:
    small = secure.model_copy(update={"max_body_bytes": 2_000, "max_import_bytes": 8_000})
    admin = key(tokens[Role.ADMIN])
    with TestClient(create_app(small)) as client:
        big = {"text": "Mohamed Amra escaped. " * 200}
        assert_error_shape(
            client.post("/api/v1/documents", json=big, headers=admin), 413, "payload_too_large"
        )
        streamed = iter([b'{"text": "', b"x" * 3_000, b'"}'])  # chunked: no Content-Length
        response = client.post(
            "/api/v1/documents",
            content=streamed,
            headers={**admin, "Content-Type": "application/json"},
        )
        assert_error_shape(response, 413, "payload_too_large")
        # Imports have their own, larger limit: 5,000 bytes pass it (and fail as a file).
        line = b'{"id": "x", "schema": "Person", "properties": {}}\n'
        passes = client.post("/api/v1/imports?format=ftm", content=line * 90, headers=admin)
        assert passes.status_code == 422, passes.text
        over = client.post("/api/v1/imports?format=ftm", content=line * 200, headers=admin)
        assert_error_shape(over, 413, "payload_too_large")
    assert records(small)[-1]["outcome"] == "denied"


def _capped_parameters() -> list[tuple[str, str, str, int]]:
    """(method, path, parameter, maximum) of every integer query parameter of the document."""
    found = []
    for path, item in APP.openapi()["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                for schema in param["schema"].get("anyOf", [param["schema"]]):
                    if param["in"] == "query" and schema.get("type") == "integer":
                        found.append((method.upper(), path, param["name"], schema.get("maximum")))
    return found


# Integer query parameters that are not a size (a position in the audit chain).
NOT_A_SIZE = {("GET", "/api/v1/audit", "cursor")}


def test_every_page_and_depth_parameter_has_a_cap() -> None:
    capped = _capped_parameters()
    names = {name for _, _, name, _ in capped}
    assert {"limit", "depth", "max_hops", "offset"} <= names
    uncapped = [c for c in capped if c[3] is None and c[:3] not in NOT_A_SIZE]
    assert uncapped == []


@pytest.mark.parametrize(
    ("method", "path", "name", "maximum"),
    [c for c in _capped_parameters() if c[3] is not None],
    ids=lambda value: str(value),
)
def test_a_value_over_a_cap_is_a_422(
    api: TestClient,
    tokens: dict[Role, str],
    method: str,
    path: str,
    name: str,
    maximum: int,
) -> None:
    url = path.format(**{p: "x" for p in ("entity_id", "network_id", "facility_id")})
    params: dict[str, Any] = {name: maximum + 1}
    if path == "/api/v1/paths":
        params |= {"from": "a", "to": "b"}
    response = api.request(method, url, params=params, headers=key(tokens[Role.ADMIN]))
    error = assert_error_shape(response, 422, "invalid_input")
    details: Any = error["details"]
    assert any(d.get("field") == f"query.{name}" for d in details), error


# --- an unsafe setting is refused; the first key ---------------------------------------------


def test_auth_disabled_on_a_non_loopback_host_is_refused_at_start(
    engine: EngineHandle, secure: Settings, tmp_path: Path
) -> None:
    with pytest.raises(UnsafeConfiguration, match="not a loopback address"):
        create_app(secure.model_copy(update={"auth": "disabled", "host": "0.0.0.0"}))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    result = subprocess.run(
        [sys.executable, "-m", "graph.cli.main", "serve", "--host", "0.0.0.0", "--port", port],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        env={
            "CRIMEGRAPH_AUTH": "disabled",
            "CRIMEGRAPH_DATA_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 4 and "CRIMEGRAPH_AUTH=disabled" in result.stderr  # refused
    assert not (tmp_path / "engine.json").exists(), "nothing was started"
    # On loopback it runs, every request as the local admin, and says so in the log.
    local = secure.model_copy(update={"auth": "disabled", "host": "127.0.0.1"})
    with TestClient(create_app(local)) as client:
        assert client.get("/api/v1/stats").status_code == 200
        with TestClient(client.app, client=("203.0.113.7", 4000)) as remote:
            assert_error_shape(remote.get("/api/v1/stats"), 403, "local_only")
    mine, theirs = records(local)[-2:]
    assert mine["auth_disabled"] is True and mine["role"] == "admin"
    assert theirs["outcome"] == "denied" and theirs["client"] == "203.0.113.7"


def test_the_first_start_makes_one_admin_key_and_keeps_its_token_private(
    engine: EngineHandle,
    secure: Settings,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    admin_token: str,
) -> None:
    keys = KeyStore(store, ttl=0)
    # The session's own admin key exists, so nothing is made...
    assert bootstrap_admin_key(keys, tmp_path) is None
    assert not (tmp_path / BOOTSTRAP_KEY_FILE).exists()
    # ...as on a new user's empty database (the session's key hidden from the check):
    listed = KeyStore.list
    monkeypatch.setattr(KeyStore, "list", lambda self: [])
    fresh = secure  # the same database (another data dir would start another engine)
    (fresh.data_dir / BOOTSTRAP_KEY_FILE).unlink(missing_ok=True)
    with TestClient(create_app(fresh, bootstrap_key=True)):
        pass
    monkeypatch.setattr(KeyStore, "list", listed)
    printed = capsys.readouterr().out
    path = fresh.data_dir / BOOTSTRAP_KEY_FILE
    token = path.read_text().strip()
    assert token in printed and str(path) in printed and "crimegraph keys revoke" in printed
    assert path.stat().st_mode & 0o777 == 0o600
    principal = keys.authenticate(token)
    assert principal.role is Role.ADMIN and principal.name == "bootstrap"
    # The next start finds a key and makes none.
    with TestClient(create_app(fresh, bootstrap_key=True)):
        pass
    assert token not in capsys.readouterr().out
    assert [k.name for k in keys.list()].count("bootstrap") == 1
    path.unlink()
