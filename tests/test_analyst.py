"""The analysts' read-only Cypher endpoint: refused before the database, and by it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from graph.core.errors import ReadOnlyViolation
from graph.db.readonly import check_read_only
from graph.db.store import Store
from tests.conftest import totals
from tests.test_api import assert_error_shape

WRITES = [
    "CREATE (n:Entity:Person {id: 'x', name: 'Intruder'})",
    "MATCH (n) DELETE n",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n:Person) SET n.name = 'changed'",
    "MERGE (n:Entity:Person {id: 'x'})",
    "MATCH (n) REMOVE n.name",
    "CALL dbms.security.createUser('mallory', 'pw', false)",
    "CALL dbms.components() YIELD name RETURN name",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "CALL apoc.cypher.runWrite('MATCH (n) DETACH DELETE n', {})",
    "CALL apoc.load.json('http://example.invalid') YIELD value RETURN value",
    "DROP CONSTRAINT entity_id_unique",
    "CREATE INDEX evil FOR (n:Person) ON (n.x)",
    "SHOW USERS",
    "MATCH (n) RETURN n; MATCH (m) DETACH DELETE m",
    "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS RETURN 1",
    "match (n) detach delete n",
    "MATCH (n) FOREACH (x IN [1] | CREATE (:Entity {id: 'y'}))",
    "CALL db.createLabel('Evil')",
    "CALL `apoc`.`cypher`.`runWrite`('MATCH (n) DETACH DELETE n', {})",
    "CALL `dbms`.`security`.`createUser`('mallory', 'pw', false)",
    "RETURN apoc.version() AS version",
    "MATCH p = (a)-[*]-(b) RETURN count(p)",
    "MATCH p = (a)-[*2..]-(b) RETURN count(p)",
    "MATCH p = (a)-[*1..12]-(b) RETURN count(p)",
    "MATCH (a)-[*1..6]-(b)-[*1..6]-(c) RETURN count(*) AS c",
    # Issue 13, B1: the engine ends a // comment at \r too, so what follows is code.
    "// x\rMATCH (k:ApiKey) RETURN k.hash, k.name",
    "// x\rMATCH p = (a)-[*]-(b) RETURN count(p)",
    "// x\rDROP INDEX foo IF EXISTS",
    # B3: quantified path patterns are bounded like variable-length relationships.
    "MATCH (a:Person) ((x)--(y))+ (b) RETURN count(*)",
    "MATCH (a:Person)-[r]->{1,}(b) RETURN count(*)",
    # Functions are on an allow-list, like procedures.
    "RETURN nosuch.function(1) AS x",
]


@pytest.mark.parametrize("query", WRITES)
def test_writes_admin_files_and_procedures_are_refused_before_the_database(
    client: TestClient, seeded_store: Store, query: str
) -> None:
    before = seeded_store.run("canonical_dump")
    response = client.post("/api/v1/cypher", json={"query": query})
    assert_error_shape(response, 403, "forbidden")
    assert seeded_store.run("canonical_dump") == before


@pytest.mark.parametrize(
    "query",
    [
        "CREATE (n:Entity:Person {id: 'sneaky', name: 'Sneaky'}) RETURN n.id",
        "MATCH (n:Entity) SET n.name = 'changed' RETURN count(n)",
        "MATCH (n:Entity) DETACH DELETE n",
    ],
)
def test_the_database_refuses_writes_the_guard_might_miss(seeded_store: Store, query: str) -> None:
    """Defence in depth: the same writes, sent past the guard, fail in the database."""
    with pytest.raises(ReadOnlyViolation):
        check_read_only(query)
    before = totals(seeded_store)
    with pytest.raises(ReadOnlyViolation):
        seeded_store.run_analyst_text(query, {}, 10)
    assert totals(seeded_store) == before


def test_a_read_query_returns_rows_with_parameters_and_a_cap(
    client: TestClient, seeded_store: Store
) -> None:
    body = client.post(
        "/api/v1/cypher",
        json={
            "query": "MATCH (p:Person {name: $name})-[r]-(e:Event) RETURN e.name AS event, r.quote AS quote ORDER BY event",
            "params": {"name": "Mohamed Amra"},
        },
    ).json()
    assert body["columns"] == ["event", "quote"]
    assert [row[0] for row in body["rows"]] == [
        "Arrest of Mohamed Amra in Romania",
        "Escape of Mohamed Amra",
        "Extradition of Mohamed Amra to France",
    ]
    capped = client.post(
        "/api/v1/cypher", json={"query": "MATCH (n:Entity) RETURN n.id", "limit": 5}
    ).json()
    assert capped["row_count"] == 5 and capped["truncated"]
    fulltext = client.post(
        "/api/v1/cypher",
        json={"query": "CALL db.labels() YIELD label RETURN label ORDER BY label"},
    ).json()
    assert [r[0] for r in fulltext["rows"] if r[0] == "Person"] == ["Person"]


def test_words_in_strings_comments_and_backticks_are_not_clauses(
    client: TestClient, seeded_store: Store
) -> None:
    for query in (
        "// CREATE nothing\nMATCH (n:Entity) WHERE n.name <> 'DELETE me' RETURN n.`set` AS x LIMIT 1",
        "// CREATE nothing\r\nMATCH (n:Entity) RETURN n.set AS x, n.start AS y LIMIT 1",
    ):
        assert client.post("/api/v1/cypher", json={"query": query}).status_code == 200, query


@pytest.mark.parametrize(
    "body", [{}, {"query": ""}, {"query": "RETURN 1", "limit": 0}, {"query": "x" * 20_001}]
)
def test_bad_requests_are_422(client: TestClient, body: dict[str, object]) -> None:
    assert_error_shape(client.post("/api/v1/cypher", json=body), 422, "invalid_input")


def test_a_syntax_error_is_a_422_not_a_500(client: TestClient) -> None:
    assert_error_shape(
        client.post("/api/v1/cypher", json={"query": "MATCH (n RETURN n"}), 422, "invalid_input"
    )


def test_bounded_variable_length_patterns_and_read_procedures_pass(
    client: TestClient, seeded_store: Store
) -> None:
    for query in (
        "MATCH p = (:Person)-[*1..2]-(m) RETURN count(p) AS paths",
        "CALL `db`.`labels`() YIELD label RETURN label",
        "MATCH (n:Entity) CALL (n) { RETURN n.id AS x } RETURN x LIMIT 1",
    ):
        assert client.post("/api/v1/cypher", json={"query": query}).status_code == 200, query


def _nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ("RETURN $n AS n", {"n": 2**63}),
        ("RETURN $s AS s", {"s": "\ud800"}),
        ("RETURN range(1, 3, 0) AS x", {}),
        # Nested hundreds deep: the driver's recursive (un)packing runs out of stack.
        ("RETURN reduce(a = [], x IN range(1, 2000) | [a]) AS a", {}),
        ("RETURN $a AS a", {"a": _nested(900)}),
    ],
)
def test_values_and_functions_the_database_cannot_take_are_422(
    client: TestClient, query: str, params: dict[str, object]
) -> None:
    import json

    body = json.dumps({"query": query, "params": params})  # lone surrogates survive as \\ud800
    response = client.post(
        "/api/v1/cypher", content=body, headers={"content-type": "application/json"}
    )
    assert_error_shape(response, 422, "invalid_input")
