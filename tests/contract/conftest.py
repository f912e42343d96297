"""The store contract's engines: every test in tests/contract runs once per engine.

ArcadeDB always (the session's embedded engine, or one of the contract's own when the
session runs on Neo4j); Neo4j 5 when CRIMEGRAPH_TEST_NEO4J_URI is set (with _USER,
_PASSWORD, _DATABASE: a throwaway database, wiped per test; CONTRIBUTING.md), skipped with
a one-line reason otherwise.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator

import pytest

from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.queries import QuerySet
from graph.db.store import Store
from graph.model.schema import Model
from seed.loader import load_seed
from tests.conftest import NEO4J_URI

ENGINES = ("arcadedb", "neo4j")
NO_NEO4J = "neo4j: set CRIMEGRAPH_TEST_NEO4J_URI to run the store contract on a Neo4j 5 server"


@pytest.fixture(scope="session", params=ENGINES)
def engine_store(
    request: pytest.FixtureRequest,
    settings: Settings,
    queries: QuerySet,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Store]:
    """A store with the schema applied on one engine of ENGINES."""
    kind = request.param
    if kind == "neo4j" and NEO4J_URI is None:
        pytest.skip(NO_NEO4J)
    if (kind == "neo4j") == (settings.neo4j_uri is not None):
        yield request.getfixturevalue("session_store")  # the session already runs on it
        return
    own = Settings(
        data_dir=tmp_path_factory.mktemp("contract-arcadedb"), neo4j_uri=None, engine_heap="512m"
    )
    with (
        EngineHandle(own) as handle,
        Store(handle.connection, queries, own.query_timeout, own.retry_time) as store,
    ):
        store.apply_schema(own.cypher_dir / "schema")
        yield store


@pytest.fixture
def contract_store(engine_store: Store) -> Store:
    """The engine's store over an empty graph."""
    engine_store.run("clear_graph")
    return engine_store


@pytest.fixture
def seeded_contract_store(contract_store: Store, model: Model, settings: Settings) -> Store:
    load_seed(contract_store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
    return contract_store


def index_names(store: Store) -> list[str]:
    """The indexes and constraints' indexes the database holds, sorted, as the engine
    names them (test code: the application never lists them)."""
    connection = store.connection
    if connection.admin_http is None:  # Neo4j
        with store._write_driver.session(database=connection.database) as session:
            rows = session.run("SHOW INDEXES YIELD name, state RETURN name, state").data()
        assert all(row["state"] == "ONLINE" for row in rows), rows
        return sorted(row["name"] for row in rows)
    user, password = connection.write_auth
    request = urllib.request.Request(
        f"{connection.admin_http}/api/v1/query/{connection.database}",
        data=json.dumps({"language": "sql", "command": "SELECT name FROM schema:indexes"}).encode(),
        headers={
            "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result = json.loads(response.read())["result"]
    return sorted(row["name"] for row in result)
