"""Fixtures: one real database for the session, a clean graph for every test.

By default the session starts the embedded ArcadeDB engine in a temporary data dir, exactly
as a user's first run does. With CRIMEGRAPH_TEST_NEO4J_URI set (plus _USER, _PASSWORD and
_DATABASE), the same tests run against that Neo4j instead; its graph is wiped per test, so
point it at a throwaway database.

Authentication is on, as in production: `client` sends an admin key made once for the
session (`admin_token`; `clear_graph` and `canonical_dump` leave that one key out, so it
survives every per-test wipe and never shows in a dump), and `client_for(role)` gives a
client of the same app with a fresh key of another role. Rate limits are off for the
session's settings (tests/test_access.py checks them with its own).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.access.auth import KeyStore, Role
from graph.core.settings import REPO_ROOT, Settings
from graph.db import view
from graph.db.engine import EngineHandle
from graph.db.queries import QuerySet
from graph.db.store import Store
from graph.model.schema import Model, load_model
from seed.loader import load_seed


@pytest.fixture(autouse=True)
def system_view() -> Iterator[None]:
    """Tests read as the command line does, seeing every item, unless they set a narrower
    view (`view.scope`) or go through HTTP, where each request reads with its own
    principal's view. Code that says nothing sees no restricted item (graph.db.view); a
    thread started by a test does not inherit this and is checked for exactly that
    (tests/test_handling.py)."""
    with view.unrestricted():
        yield


TEST_CYPHER = Path(__file__).with_name("cypher")
NEO4J_URI = os.environ.get("CRIMEGRAPH_TEST_NEO4J_URI")

neo4j_only = pytest.mark.skipif(NEO4J_URI is None, reason="needs CRIMEGRAPH_TEST_NEO4J_URI")
arcadedb_only = pytest.mark.skipif(NEO4J_URI is not None, reason="embedded ArcadeDB engine only")
# The session's admin key carries this creator; the test-only clear_graph and canonical_dump
# queries spare and hide exactly that key.
SESSION_KEY_CREATOR = "tests/conftest.py"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("crimegraph-data")
    if NEO4J_URI is None:
        # A suite sends thousands of requests from one key: no rate limit (tests/test_access.py
        # checks it with its own settings).
        return Settings(
            data_dir=data_dir, neo4j_uri=None, engine_heap="512m", rate_limit_per_minute=0
        )
    return Settings(
        rate_limit_per_minute=0,
        # A test Neo4j is usually Community: one database, keys beside the graph, where the
        # analysts' endpoint is off unless told (tests/test_security_db.py covers the refusal).
        analyst_cypher="unsafe-shared-database",
        data_dir=data_dir,
        neo4j_uri=NEO4J_URI,
        neo4j_user=os.environ.get("CRIMEGRAPH_TEST_NEO4J_USER", "neo4j"),
        neo4j_password=os.environ.get("CRIMEGRAPH_TEST_NEO4J_PASSWORD", ""),
        neo4j_database=os.environ.get("CRIMEGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[EngineHandle]:
    with EngineHandle(settings) as handle:
        yield handle


@pytest.fixture(scope="session")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="session")
def queries() -> QuerySet:
    return QuerySet.load(REPO_ROOT / "cypher" / "queries", TEST_CYPHER)


@pytest.fixture(scope="session")
def session_store(engine: EngineHandle, settings: Settings, queries: QuerySet) -> Iterator[Store]:
    with Store(engine.connection, queries, settings.query_timeout, settings.retry_time) as store:
        store.apply_schema(settings.cypher_dir / "schema")
        yield store


def clear(store: Store) -> None:
    """An empty graph, and no API key but the session's (keys live in the security
    database, graph.access.auth; on a single-database Neo4j clear_graph has removed them)."""
    store.run("clear_graph")
    store.security.run("clear_api_keys")


@pytest.fixture
def store(session_store: Store) -> Store:
    """The session's store over an empty graph."""
    clear(session_store)
    return session_store


@pytest.fixture
def seeded_store(store: Store, model: Model, settings: Settings) -> Store:
    load_seed(store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
    return store


@pytest.fixture(scope="module")
def seeded_module(session_store: Store, model: Model, settings: Settings) -> Store:
    """The seed graph, loaded once for a module whose tests only read it."""
    clear(session_store)
    load_seed(session_store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
    return session_store


@pytest.fixture(scope="session")
def admin_token(session_store: Store) -> str:
    """An admin API key for the whole session (it survives clear_graph)."""
    _, token = KeyStore(session_store, ttl=0).create(
        "test session admin", Role.ADMIN, created_by=SESSION_KEY_CREATOR
    )
    return token


@pytest.fixture(scope="session")
def auth_headers(admin_token: str) -> dict[str, str]:
    """Headers for a client the test builds itself: the session's admin key."""
    return {"X-API-Key": admin_token}


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment that points `crimegraph` commands run in-process (graph.cli.main)
    at the test session's database, embedded or Neo4j."""
    monkeypatch.setenv("CRIMEGRAPH_DATA_DIR", str(settings.data_dir))
    if settings.neo4j_uri:
        monkeypatch.setenv("CRIMEGRAPH_NEO4J_URI", settings.neo4j_uri)
        monkeypatch.setenv("CRIMEGRAPH_NEO4J_USER", settings.neo4j_user)
        monkeypatch.setenv("CRIMEGRAPH_NEO4J_DATABASE", settings.neo4j_database)
        if settings.neo4j_password is not None:
            monkeypatch.setenv(
                "CRIMEGRAPH_NEO4J_PASSWORD", settings.neo4j_password.get_secret_value()
            )
    return settings


@pytest.fixture
def client(
    engine: EngineHandle, settings: Settings, auth_headers: dict[str, str]
) -> Iterator[TestClient]:
    """The API against the session's database (the app finds the running engine), as the
    session's admin."""
    with TestClient(create_app(settings), headers=auth_headers) as test_client:
        yield test_client


ClientFor = Callable[..., TestClient]


@pytest.fixture
def client_for(client: TestClient, session_store: Store) -> ClientFor:
    """`client_for(Role.VIEWER)`: a client of the same app whose requests carry a new key of
    that role (and `handling` codes, if given). The key lives until the next clear_graph."""

    def make(role: Role, handling: Iterable[str] = ()) -> TestClient:
        _, token = KeyStore(session_store, ttl=0).create(
            f"test {role.value}", role, handling, created_by="tests"
        )
        return TestClient(client.app, headers={"X-API-Key": token})

    return make


def totals(store: Store) -> tuple[int, int]:
    row = store.run("graph_totals")[0]
    return row["nodes"], row["relationships"]
