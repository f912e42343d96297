"""The store contract: the behaviour crimegraph relies on, the same on every engine.

Each test runs once per engine of tests/contract/conftest.py (ArcadeDB always, Neo4j 5 when
CRIMEGRAPH_TEST_NEO4J_URI is set). The `difference_N` tests pin the engine differences
graph/db/dialect.py lists, one each: what the dialect translates must come out the same.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from graph.core.errors import InvalidInput, QueryTimeout, ReadOnlyViolation
from graph.core.settings import REPO_ROOT, Settings
from graph.core.text import fold, search_text
from graph.db.queries import QuerySet
from graph.db.store import Store, WriteStep
from tests.conftest import totals
from tests.contract.conftest import index_names


def node_row(id_: str, label: str, name: str, **props: object) -> dict[str, object]:
    return {"id": id_, "label": label, "props": {"name": name, **props}}


def test_the_schema_applies_again_without_error_and_the_same_indexes(
    contract_store: Store, settings: Settings
) -> None:
    before = index_names(contract_store)
    assert before, "no index after the schema was applied"
    for _ in range(2):
        assert contract_store.apply_schema(settings.cypher_dir / "schema") > 0
    assert index_names(contract_store) == before


def test_nodes_keep_all_their_labels_and_match_by_each(contract_store: Store) -> None:
    contract_store.run(
        "upsert_nodes",
        {
            "rows": [
                node_row("net-1", "CriminalNetwork", "Network One"),
                node_row("person-1", "Person", "Person One"),
            ]
        },
    )
    rows = {r["id"]: r for r in contract_store.run("nodes_with_label_checks")}
    assert sorted(rows["net-1"]["labels"]) == ["CriminalNetwork", "Entity", "Organization"]
    assert rows["net-1"]["is_organization"] and rows["net-1"]["is_network"]
    assert rows["person-1"]["is_person"] and not rows["person-1"]["is_organization"]


def test_upserts_are_idempotent_and_update_properties_in_place(contract_store: Store) -> None:
    nodes = [
        node_row("a", "Person", "A", aliases=["x"], confidence=40),
        node_row("b", "Facility", "B", facility_type="prison"),
    ]
    rels = [{"id": "r1", "type": "DETAINED_AT", "from": "a", "to": "b", "props": {"quote": "q"}}]
    dumps = []
    for _ in range(2):
        contract_store.run("upsert_nodes", {"rows": nodes})
        contract_store.run("upsert_relationships", {"rows": rels})
        dumps.append(contract_store.run("canonical_dump"))
    assert dumps[0] == dumps[1], "a second identical upsert changed something"
    assert totals(contract_store) == (2, 1)
    person = next(r for r in dumps[0] if r["id"] == "a")
    assert person["properties"] == {"id": "a", "name": "A", "aliases": ["x"], "confidence": 40}

    contract_store.run("upsert_nodes", {"rows": [node_row("a", "Person", "A", confidence=70)]})
    props = contract_store.run("entity_by_id", {"id": "a"})[0]["properties"]
    assert (props["confidence"], props["aliases"]) == (70, ["x"]), "update, not replace"
    assert totals(contract_store) == (2, 1)


def test_relationships_to_missing_nodes_are_reported_not_invented(contract_store: Store) -> None:
    contract_store.run("upsert_nodes", {"rows": [node_row("a", "Person", "A")]})
    result = contract_store.run(
        "upsert_relationships",
        {"rows": [{"id": "r1", "type": "ASSOCIATE", "from": "a", "to": "nobody", "props": {}}]},
    )
    assert result == [{"rows": 0}]
    assert totals(contract_store) == (1, 0)


def test_one_id_constraint_across_labels(contract_store: Store) -> None:
    contract_store.run("create_person", {"id": "dup-1", "name": "First"})
    with pytest.raises(InvalidInput, match="constraint"):
        contract_store.run(
            "upsert_nodes",
            {"rows": [node_row("dup-1", "Facility", "Second", facility_type="prison")]},
        )
    assert totals(contract_store) == (1, 0)


def test_a_transaction_is_all_or_nothing(contract_store: Store) -> None:
    contract_store.run("create_person", {"id": "p-1", "name": "Existing"})
    with pytest.raises(InvalidInput):
        contract_store.write_transaction(
            [
                WriteStep("upsert_nodes", {"rows": [node_row("new-1", "Person", "New")]}),
                WriteStep("create_person", {"id": "p-1", "name": "Duplicate"}),
            ]
        )
    assert totals(contract_store) == (1, 0), "the first step must be rolled back with the second"


def test_a_write_is_visible_to_the_next_read_as_the_read_only_user(contract_store: Store) -> None:
    """Reads go through another driver (the read-only user on ArcadeDB): each must still see
    the write acknowledged just before it."""
    for number in range(20):
        contract_store.run("create_person", {"id": f"seen-{number}", "name": f"Seen {number}"})
        rows = contract_store.run("entity_by_id", {"id": f"seen-{number}"})
        assert rows and rows[0]["properties"]["name"] == f"Seen {number}"
    contract_store.write_transaction(
        [
            WriteStep("upsert_nodes", {"rows": [node_row(f"batch-{i}", "Person", "B")]})
            for i in (1, 2)
        ]
    )
    assert contract_store.run("entities_by_ids", {"ids": ["batch-1", "batch-2"]})
    assert totals(contract_store) == (22, 0)


def test_reads_run_read_only(contract_store: Store) -> None:
    """Difference 2: the read path refuses writes, by the read-only user on ArcadeDB, by the
    READ access mode on Neo4j. Nothing is written either way."""
    with pytest.raises(ReadOnlyViolation):
        contract_store.run("read_that_writes", {"id": "sneaky-1"})
    assert totals(contract_store) == (0, 0)


def test_a_read_past_its_timeout_gives_query_timeout_not_a_hang(
    seeded_contract_store: Store,
) -> None:
    """Difference 4: Neo4j cancels the query, ArcadeDB ignores the timeout and the store stops
    waiting; either way the caller gets QueryTimeout (a 503) promptly, and the store serves
    the next query."""
    store = seeded_contract_store
    quick = Store(store.connection, store.queries, timeout=0.5, retry_time=0)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="slow_read") as raised:
            quick.run("slow_read")
        assert time.monotonic() - started < 5
        assert raised.value.status == 503
        assert quick.run("entity_by_id", {"id": "nobody"}) == []
    finally:
        quick.close()


def test_every_read_query_runs_with_its_header_examples(seeded_contract_store: Store) -> None:
    """The examples an analyst pastes into the Browser run, and the ids they name exist."""
    store = seeded_contract_store
    known_ids = {row["id"] for row in store.run("canonical_dump")}
    for query in QuerySet.load(REPO_ROOT / "cypher" / "queries").values():
        if query.mode != "read":
            continue
        params = {p.name: p.example for p in query.user_params}
        store.run(query.name, params)  # raises on a Cypher or type error
        for param in query.user_params:
            if param.name not in ("id", "ids") and not param.name.endswith("_id"):
                continue
            values = param.example if isinstance(param.example, list) else [param.example]
            for value in values:
                if value and not value.startswith("snapshot-"):  # no snapshot in the seed
                    assert value in known_ids, f"{query.name}: {param.name}={value!r} not in seed"


def test_fulltext_search_finds_names_without_their_accents(contract_store: Store) -> None:
    """Difference 1: the fulltext index is created in each engine's own way and queried under
    each engine's own name; the search behaves the same."""
    contract_store.run(
        "upsert_nodes",
        {
            "rows": [
                node_row(
                    "f-1",
                    "Facility",
                    "La Santé",
                    facility_type="prison",
                    search_text=search_text("La Santé"),
                ),
                node_row(
                    "p-1",
                    "Person",
                    "Mohamed Amra",
                    search_text=search_text("Mohamed Amra", ["The Fly"]),
                ),
            ]
        },
    )
    found = contract_store.run(
        "search_entities", {"q": fold("la santé"), "label": "Entity", "limit": 5}
    )
    assert [row["id"] for row in found] == ["f-1"]
    found = contract_store.run("search_entities", {"q": "fly", "label": "Person", "limit": 5})
    assert [row["id"] for row in found] == ["p-1"]
    assert (
        contract_store.run("search_entities", {"q": "fly", "label": "Facility", "limit": 5}) == []
    )
    expected = "entity_search" if contract_store.engine == "neo4j" else "Entity[search_text]"
    assert contract_store.fulltext_index("entity_search") == expected


def test_engine_parameters_are_filled_by_the_store_not_the_caller(contract_store: Store) -> None:
    with pytest.raises(InvalidInput, match="set by crimegraph"):
        contract_store.run(
            "search_entities", {"fulltext_index": "x", "q": "a", "label": "Entity", "limit": 1}
        )


def test_dates_and_lists_round_trip(contract_store: Store) -> None:
    contract_store.run(
        "upsert_nodes",
        {
            "rows": [
                node_row(
                    "e-1",
                    "Attack",
                    "An attack",
                    date="2024-04-12",
                    date_day=date(2024, 4, 12),
                    aliases=["x", "y", "Santé"],
                    confidence=55,
                ),
            ]
        },
    )
    props = contract_store.run("entity_by_id", {"id": "e-1"})[0]["properties"]
    assert props["date_day"] == "2024-04-12"
    assert props["date"] == "2024-04-12"
    assert props["aliases"] == ["x", "y", "Santé"] and props["confidence"] == 55


def test_difference_3_indexes_are_usable_when_the_schema_step_returns(
    contract_store: Store, settings: Settings
) -> None:
    """Neo4j builds indexes in the background (the schema step waits for them); ArcadeDB
    inside the statement. Either way a search right after apply_schema finds what is there."""
    contract_store.run(
        "upsert_nodes",
        {"rows": [node_row("p-9", "Person", "Zoé", search_text=search_text("Zoé"))]},
    )
    contract_store.apply_schema(settings.cypher_dir / "schema")
    index_names(contract_store)  # on Neo4j: every index ONLINE
    found = contract_store.run("search_entities", {"q": "zoe", "label": "Entity", "limit": 5})
    assert [row["id"] for row in found] == ["p-9"]


def test_difference_5_labels_are_given_at_creation_and_kept(contract_store: Store) -> None:
    """ArcadeDB cannot add a label to an existing node, so the queries never do: an upsert of
    an existing id under its label keeps all its labels, and one under another label is
    refused by the id constraint rather than relabelling it."""
    contract_store.run("upsert_nodes", {"rows": [node_row("c-1", "Company", "Shell Ltd")]})
    contract_store.run("upsert_nodes", {"rows": [node_row("c-1", "Company", "Shell Ltd.")]})
    rows = {r["id"]: r for r in contract_store.run("nodes_with_label_checks")}
    assert sorted(rows["c-1"]["labels"]) == ["Company", "Entity", "Organization"]
    with pytest.raises(InvalidInput):
        contract_store.run("upsert_nodes", {"rows": [node_row("c-1", "Person", "Shell")]})
    rows = {r["id"]: r for r in contract_store.run("nodes_with_label_checks")}
    assert sorted(rows["c-1"]["labels"]) == ["Company", "Entity", "Organization"]


def test_difference_6_concurrent_upserts_of_one_id_make_one_node(contract_store: Store) -> None:
    """Neo4j locks the key; ArcadeDB lets one transaction win at commit and the store runs
    the losers again (graph.db.dialect.write_conflict): one node either way, no error."""
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def upsert(number: int) -> None:
        try:
            start.wait()
            contract_store.run(
                "upsert_nodes", {"rows": [node_row("same-1", "Person", "Same", n=number)]}
            )
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=upsert, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert totals(contract_store) == (1, 0)


def test_rows_are_converted_as_record_data_would() -> None:
    import neo4j
    from neo4j.time import Date

    from graph.db.store import record_row, to_python

    values = {"id": "x", "n": 3, "day": Date(2024, 4, 12), "tags": ["a", Date(2024, 1, 2)]}
    record = neo4j.Record(values)
    row = record_row(record.keys(), record)
    assert row == to_python(record.data())
    assert row == {"id": "x", "n": 3, "day": "2024-04-12", "tags": ["a", "2024-01-02"]}
    assert date.fromisoformat(row["day"]) == date(2024, 4, 12)
