"""The store contract: the same behaviour on every engine (ArcadeDB here, Neo4j when set)."""

from __future__ import annotations

import pytest

from graph.errors import InvalidInput, ReadOnlyViolation
from graph.store import Store, WriteStep
from tests.conftest import totals


def node_row(id_: str, label: str, name: str, **props: object) -> dict[str, object]:
    return {"id": id_, "label": label, "props": {"name": name, **props}}


def test_nodes_keep_all_their_labels_and_match_by_each(store: Store) -> None:
    store.run(
        "upsert_nodes",
        {
            "rows": [
                node_row("net-1", "CriminalNetwork", "Network One"),
                node_row("person-1", "Person", "Person One"),
            ]
        },
    )
    rows = {r["id"]: r for r in store.run("nodes_with_label_checks")}
    assert sorted(rows["net-1"]["labels"]) == ["CriminalNetwork", "Entity", "Organization"]
    assert rows["net-1"]["is_organization"] and rows["net-1"]["is_network"]
    assert rows["person-1"]["is_person"] and not rows["person-1"]["is_organization"]


def test_upserts_are_idempotent(store: Store) -> None:
    nodes = [node_row("a", "Person", "A"), node_row("b", "Facility", "B", facility_type="prison")]
    rels = [{"id": "r1", "type": "DETAINED_AT", "from": "a", "to": "b", "props": {"quote": "q"}}]
    for _ in range(2):
        store.run("upsert_nodes", {"rows": nodes})
        store.run("upsert_relationships", {"rows": rels})
    assert totals(store) == (2, 1)


def test_relationships_to_missing_nodes_are_reported_not_invented(store: Store) -> None:
    store.run("upsert_nodes", {"rows": [node_row("a", "Person", "A")]})
    result = store.run(
        "upsert_relationships",
        {
            "rows": [
                {"id": "r1", "type": "ASSOCIATE", "from": "a", "to": "nobody", "props": {}},
            ]
        },
    )
    assert result == [{"rows": 0}]
    assert totals(store) == (1, 0)


def test_one_id_constraint_across_labels(store: Store) -> None:
    store.run("create_person", {"id": "dup-1", "name": "First"})
    with pytest.raises(InvalidInput, match="constraint"):
        store.run(
            "upsert_nodes",
            {"rows": [node_row("dup-1", "Facility", "Second", facility_type="prison")]},
        )
    assert totals(store) == (1, 0)


def test_a_transaction_is_all_or_nothing(store: Store) -> None:
    store.run("create_person", {"id": "p-1", "name": "Existing"})
    with pytest.raises(InvalidInput):
        store.write_transaction(
            [
                WriteStep("upsert_nodes", {"rows": [node_row("new-1", "Person", "New")]}),
                WriteStep("create_person", {"id": "p-1", "name": "Duplicate"}),
            ]
        )
    assert totals(store) == (1, 0), "the first step must be rolled back with the second"


def test_reads_run_read_only(store: Store) -> None:
    """The read path refuses writes: the read-only user on ArcadeDB, the READ access mode
    on Neo4j. Nothing is written either way."""
    with pytest.raises(ReadOnlyViolation):
        store.run("read_that_writes", {"id": "sneaky-1"})
    assert totals(store) == (0, 0)


def test_dates_and_lists_round_trip(store: Store) -> None:
    from datetime import date

    store.run(
        "upsert_nodes",
        {
            "rows": [
                node_row(
                    "e-1",
                    "Attack",
                    "An attack",
                    date="2024-04-12",
                    date_day=date(2024, 4, 12),
                    aliases=["x", "y"],
                    confidence=55,
                ),
            ]
        },
    )
    row = store.run("entity_by_id", {"id": "e-1"})[0]
    props = row["properties"]
    assert props["date_day"] == "2024-04-12"
    assert props["aliases"] == ["x", "y"] and props["confidence"] == 55


def test_a_read_past_its_timeout_gives_query_timeout_not_a_hang(seeded_store: Store) -> None:
    import time

    from graph.errors import QueryTimeout

    quick = Store(seeded_store.connection, seeded_store.queries, timeout=0.5, retry_time=0)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="slow_read"):
            quick.run("slow_read")
        assert time.monotonic() - started < 5
    finally:
        quick.close()


def test_every_read_query_runs_with_its_header_examples(seeded_store: Store) -> None:
    """The examples an analyst pastes into the Browser run, and the ids they name exist."""
    from graph.queries import QuerySet
    from graph.settings import REPO_ROOT

    known_ids = {row["id"] for row in seeded_store.run("canonical_dump")}
    for query in QuerySet.load(REPO_ROOT / "cypher" / "queries").values():
        if query.mode != "read":
            continue
        params = {p.name: p.example for p in query.user_params}
        seeded_store.run(query.name, params)  # raises on a Cypher or type error
        for param in query.user_params:
            if param.name not in ("id", "ids") and not param.name.endswith("_id"):
                continue
            values = param.example if isinstance(param.example, list) else [param.example]
            for value in values:
                if value and not value.startswith("snapshot-"):  # no snapshot in the seed
                    assert value in known_ids, (
                        f"{query.name}: {param.name}={value!r} is not in the seed"
                    )


def test_rows_are_converted_as_record_data_would() -> None:
    from datetime import date

    import neo4j
    from neo4j.time import Date

    from graph.store import record_row, to_python

    values = {"id": "x", "n": 3, "day": Date(2024, 4, 12), "tags": ["a", Date(2024, 1, 2)]}
    record = neo4j.Record(values)
    row = record_row(record.keys(), record)
    assert row == to_python(record.data())
    assert row == {"id": "x", "n": 3, "day": "2024-04-12", "tags": ["a", "2024-01-02"]}
    assert date.fromisoformat(row["day"]) == date(2024, 4, 12)
