"""API key records out of the analysts' reach, enforced by the engine (docs/security.md).

The analysts' Cypher runs as the database's read-only user. These tests go around crimegraph
altogether: they connect to the engine over Bolt with that user's credentials, as a query
that slipped past the text guard would, and find no key record, whatever the query.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import neo4j
import pytest
from fastapi.testclient import TestClient
from neo4j import exceptions as neo4j_errors

from api.app import create_app
from graph.access.auth import KeyStore, Role, hash_secret
from graph.core.settings import Settings
from graph.db.migrations import move_security_records
from graph.db.store import Store
from tests.conftest import arcadedb_only

# Reproductions B1/B2 of issue 13 and variants: each names or finds the key records in
# another way; none may return a key's hash, name or id.
HOSTILE_READS = [
    "MATCH (k:ApiKey) RETURN k.hash AS hash, k.name AS name, k.id AS id",
    "MATCH (k) WHERE 'Api'+'Key' IN labels(k) RETURN k['ha'+'sh'] AS hash",
    "MATCH (n) WHERE n.role = 'admin' RETURN n.name AS name, n.id AS id, n.created_by AS by",
    "MATCH (n) RETURN properties(n) AS props",
    "MATCH (n) WHERE n.hash IS NOT NULL RETURN n.hash AS hash",
    "MATCH (n) RETURN n",
]


def _rows_as_reader(store: Store, query: str, database: str) -> list[dict[str, Any]]:
    connection = store.connection
    with neo4j.GraphDatabase.driver(connection.uri, auth=connection.read_auth) as driver:
        records, _, _ = driver.execute_query(query, database_=database)
        return [record.data() for record in records]


def _key_secret(token: str) -> tuple[str, str]:
    _, key_id, secret = token.split("_")
    return key_id, secret


@arcadedb_only
@pytest.mark.parametrize("query", HOSTILE_READS)
def test_the_read_user_reads_no_api_key_whatever_the_query(store: Store, query: str) -> None:
    _, token = KeyStore(store, ttl=0).create("victim", Role.ADMIN, created_by="tests")
    key_id, secret = _key_secret(token)
    rows = _rows_as_reader(store, query, store.connection.database)
    text = repr(rows)
    assert hash_secret(secret) not in text
    assert key_id not in text and "victim" not in text


@arcadedb_only
def test_the_read_user_cannot_open_the_security_database(store: Store) -> None:
    _, token = KeyStore(store, ttl=0).create("victim", Role.ADMIN, created_by="tests")
    _, secret = _key_secret(token)
    security = store.connection.security_database
    assert security is not None and security != store.connection.database
    # The records are there, for the service user...
    assert hash_secret(secret) in repr(store.security.run("api_key_by_id", {"key": token[3:15]}))
    # ...and the engine refuses the read user the database itself.
    for query in ["RETURN 1 AS one", *HOSTILE_READS]:
        with pytest.raises((neo4j_errors.Neo4jError, neo4j_errors.DriverError)):
            _rows_as_reader(store, query, security)
    assert store.analyst_boundary_problem() is None


def _legacy_key(store: Store, key_id: str, secret: str, revoked: bool = False) -> None:
    """An API key where versions before the security database kept it: in the graph."""
    props = {
        "id": key_id,
        "name": f"old {key_id}",
        "role": "admin",
        "hash": hash_secret(secret),
        "handling": [],
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "tests",
        "revoked_at": "2026-02-01T00:00:00Z" if revoked else None,
    }
    store._write_driver.execute_query(
        "CREATE (k:ApiKey) SET k = $props", props=props, database_=store.connection.database
    )


def _keys_in_graph(store: Store) -> int:
    records, _, _ = store._write_driver.execute_query(
        "MATCH (k:ApiKey) RETURN count(k) AS n", database_=store.connection.database
    )
    return int(records[0]["n"])


@arcadedb_only
def test_keys_left_in_the_graph_move_to_the_security_database_at_start_up(
    store: Store, settings: Settings
) -> None:
    live, revoked = ("a1b2c3d4e5f6", "0" * 64), ("f6e5d4c3b2a1", "1" * 64)
    _legacy_key(store, *live)
    _legacy_key(store, *revoked, revoked=True)
    assert _keys_in_graph(store) == 2

    store.apply_schema(settings.cypher_dir / "schema")  # what start-up runs

    assert _keys_in_graph(store) == 0
    keys = KeyStore(store, ttl=0)
    assert keys.authenticate(f"cg_{live[0]}_{live[1]}").role is Role.ADMIN
    with pytest.raises(Exception, match="unknown or revoked"):
        keys.authenticate(f"cg_{revoked[0]}_{revoked[1]}")
    # Again (a second start, or one after a move cut short): nothing changes, nothing lost.
    keys.revoke(live[0], revoked_by="tests")
    _legacy_key(store, *live)  # as if the delete had not happened
    assert move_security_records(store, store.security) == 1
    assert _keys_in_graph(store) == 0
    listed = {k.id: k for k in keys.list()}
    assert listed[live[0]].revoked, "a move run again must not undo a revocation"
    assert listed[revoked[0]].revoked


@arcadedb_only
def test_a_key_moved_at_start_up_opens_the_api(store: Store, settings: Settings) -> None:
    key_id, secret = "abcdefabcdef", "2" * 64
    _legacy_key(store, key_id, secret)
    # A new API process: its lifespan applies the schema, which moves the key.
    with TestClient(create_app(settings), headers={"X-API-Key": f"cg_{key_id}_{secret}"}) as c:
        assert c.get("/api/v1/stats").status_code == 200
    assert _keys_in_graph(store) == 0


def test_the_analysts_endpoint_refuses_when_keys_share_the_database(
    client: TestClient, store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = dataclasses.replace(store.connection, security_database=None)
    with Store(shared, store.queries, 1.0) as one_database:
        assert "no separate security database" in (one_database.analyst_boundary_problem() or "")
    app_store = client.app.state.graph.store  # type: ignore[attr-defined]
    monkeypatch.setattr(app_store, "analyst_boundary_problem", lambda: "keys in the graph")
    response = client.post("/api/v1/cypher", json={"query": "RETURN 1 AS one"})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "analyst_cypher_unavailable"
    assert "unsafe-shared-database" in error["message"]

    monkeypatch.setattr(client.app.state.graph.settings, "analyst_cypher", "unsafe-shared-database")  # type: ignore[attr-defined]
    assert client.post("/api/v1/cypher", json={"query": "RETURN 1 AS one"}).status_code == 200
