"""The API skeleton through HTTP: health, readiness, and one JSON error shape for all errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.deps import get_store
from graph.access.auth import KeyStore, Role
from graph.core.settings import Settings
from graph.db.engine import EmbeddedEngine, EngineHandle
from graph.db.store import Store
from graph.model.schema import Model
from seed.loader import build_rows
from tests.conftest import arcadedb_only


def assert_error_shape(response: Response, status: int, code: str) -> dict[str, object]:
    """Every error, whatever raised it, has exactly this shape."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == status and error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return error  # type: ignore[no-any-return]


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["engine"] in ("arcadedb", "neo4j")
    assert "Neo4j/5" in body["server"] or "Neo4j" in body["server"]


def test_stats_match_the_graph(
    client: TestClient, seeded_store: Store, model: Model, settings: Settings
) -> None:
    """The totals equal what the seed files hold (read without the database), and they
    follow a write: a check independent of the query the route runs."""
    rows = build_rows(model, settings.seed_dir / "data", settings.seed_dir / "documents")
    expected = {"nodes": len(rows.nodes), "relationships": len(rows.relationships)}
    assert expected["nodes"] > 50 and expected["relationships"] > 100  # the seed, not a stub
    assert client.get("/api/v1/stats").json() == expected
    seeded_store.run("clear_graph")
    assert client.get("/api/v1/stats").json() == {"nodes": 0, "relationships": 0}


def test_named_queries_are_listed_with_typed_params(client: TestClient) -> None:
    listed = {q["name"]: q for q in client.get("/api/v1/queries").json()}
    params = listed["search_entities"]["params"]
    assert params[0] == {"name": "q", "type": "STRING", "example": "amra~1 OR amra^2"}
    assert "fulltext_index" not in {p["name"] for p in params}, "the store fills it"
    reads = client.get("/api/v1/queries", params={"mode": "read"}).json()
    assert reads and all(q["mode"] == "read" for q in reads)
    assert client.get("/api/v1/queries/graph_totals").json()["mode"] == "read"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/route", 404, "not_found"),
        ("GET", "/api/v1/queries/no_such_query", 404, "not_found"),
        ("POST", "/health", 405, "method_not_allowed"),
        ("GET", "/api/v1/queries?mode=delete", 422, "invalid_input"),
    ],
)
def test_every_error_has_the_one_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    error = assert_error_shape(client.request(method, path), status, code)
    if status == 422:
        assert error["details"] and error["details"][0]["field"] == "query.mode"  # type: ignore[index]


def test_an_unexpected_failure_is_a_500_in_the_same_shape(client: TestClient) -> None:
    class Broken:
        def run(self, name: str, params: object = None) -> object:
            raise RuntimeError("boom")

    client.app.dependency_overrides[get_store] = lambda: Broken()  # type: ignore[attr-defined]
    try:
        response = TestClient(
            client.app, raise_server_exceptions=False, headers=client.headers
        ).get("/api/v1/stats")
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    error = assert_error_shape(response, 500, "internal_error")
    assert "boom" not in str(error["message"]), "internals stay in the server log"


def test_a_database_that_is_down_gives_503_but_the_api_starts(
    tmp_path: Path, auth_headers: dict[str, str]
) -> None:
    settings = Settings(data_dir=tmp_path, neo4j_uri="bolt://127.0.0.1:9", neo4j_password="x")
    with TestClient(create_app(settings)) as down:
        assert down.get("/health").status_code == 200  # as a load balancer asks: no key
        # With a key: checking it needs the database, so it is a 503 too, never a 401.
        for path in ("/ready", "/api/v1/stats"):
            response = down.get(path, headers=auth_headers)
            assert_error_shape(response, 503, "database_unavailable")
            assert response.headers["retry-after"].isdigit()


@pytest.fixture
def own_engine(tmp_path: Path) -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(tmp_path / "engine", "crimegraph", "256m", 90)
    yield engine
    engine.stop()


@arcadedb_only
def test_the_api_recovers_by_itself_when_the_database_returns(
    own_engine: EmbeddedEngine, tmp_path: Path
) -> None:
    own_engine.ensure_running()
    settings = Settings(
        data_dir=own_engine.data_dir, neo4j_uri=None, engine_heap="256m", key_cache_seconds=0
    )
    with TestClient(create_app(settings)) as api:
        assert api.get("/ready").status_code == 200
        store = api.app.state.graph.store  # type: ignore[attr-defined]
        _, token = KeyStore(store, ttl=0).create("recovery", Role.VIEWER)
        api.headers["X-API-Key"] = token
        assert api.get("/api/v1/stats").status_code == 200
        own_engine.stop()
        assert_error_shape(api.get("/ready"), 503, "database_unavailable")
        own_engine.ensure_running()
        assert api.get("/ready").status_code == 200
        assert api.get("/api/v1/stats").status_code == 200


@arcadedb_only
def test_the_api_stops_the_engine_it_started_and_only_that(
    tmp_path: Path, engine: EngineHandle
) -> None:
    settings = Settings(data_dir=tmp_path / "fresh", neo4j_uri=None, engine_heap="256m")
    with TestClient(create_app(settings)) as api:
        assert api.get("/ready").status_code == 200
        assert EmbeddedEngine.from_settings(settings).running_state() is not None
    assert EmbeddedEngine.from_settings(settings).running_state() is None


def test_serve_on_a_busy_port_fails_at_once_with_a_hint(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    from graph.core.settings import REPO_ROOT

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "graph.cli.main", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=60,
            env={"CRIMEGRAPH_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert not (tmp_path / "engine.json").exists(), "nothing was started"


def test_the_api_docs_need_no_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        if asset.endswith((".js", ".css")):
            assert client.get(asset).status_code == 200, asset


def test_what_start_up_built_is_kept_out_of_full_collections(
    engine: EngineHandle, settings: Settings
) -> None:
    # A full collection that walks the app's start-up objects paused requests for 100 ms.
    import gc

    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0  # a stopped app can be collected again


def test_the_same_text_with_another_handling_is_a_conflict(
    client: TestClient, store: Store
) -> None:
    """A valid request that clashes with what is stored is a 409, not an invalid one (422):
    the schema allows it, the stored document decides."""
    text = "Mohamed Amra was arrested in Bucharest in February 2025."
    first = client.post("/api/v1/documents", json={"text": text, "handling": "case:one"})
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/documents", json={"text": text, "handling": "case:two"})
    error = assert_error_shape(again, 409, "conflict")
    assert "handling" in str(error["message"])
