"""The dialect module: each engine difference, translated in one place and pinned here
(without a database; the same behaviour on each engine: tests/contract)."""

from __future__ import annotations

import neo4j
import pytest

from graph.core.errors import QueryDefinitionError
from graph.core.text import fold, search_text
from graph.db.dialect import (
    ArcadeDBDialect,
    CypherStatement,
    EngineStatement,
    Neo4jDialect,
    parse_fulltext_index,
)
from graph.db.engine import Connection, EngineKind
from graph.db.queries import QuerySet
from graph.db.store import Store, split_statements

FULLTEXT = "CREATE FULLTEXT INDEX entity_search IF NOT EXISTS FOR (n:Entity) ON EACH [n.search_text, n.notes]"


def test_neo4j_takes_the_schema_as_written() -> None:
    assert Neo4jDialect().translate_schema(FULLTEXT) == [CypherStatement(FULLTEXT)]
    index = parse_fulltext_index(FULLTEXT)
    assert index is not None and Neo4jDialect().fulltext_index(index) == "entity_search"


def test_arcadedb_gets_fulltext_indexes_in_its_sql() -> None:
    assert ArcadeDBDialect().translate_schema(FULLTEXT) == [
        EngineStatement("CREATE PROPERTY Entity.search_text IF NOT EXISTS STRING"),
        EngineStatement("CREATE PROPERTY Entity.notes IF NOT EXISTS STRING"),
        EngineStatement("CREATE INDEX IF NOT EXISTS ON Entity (search_text, notes) FULL_TEXT"),
    ]
    index = parse_fulltext_index(FULLTEXT)
    assert (
        index is not None and ArcadeDBDialect().fulltext_index(index) == "Entity[search_text,notes]"
    )


def test_only_neo4j_waits_for_background_index_builds() -> None:
    assert Neo4jDialect().after_schema() == [CypherStatement("CALL db.awaitIndexes(300)")]
    assert ArcadeDBDialect().after_schema() == []


def test_other_statements_pass_through_unchanged() -> None:
    constraint = (
        "CREATE CONSTRAINT entity_id_unique IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE"
    )
    assert ArcadeDBDialect().translate_schema(constraint) == [CypherStatement(constraint)]
    assert parse_fulltext_index(constraint) is None


def test_fulltext_properties_must_belong_to_the_indexed_variable() -> None:
    with pytest.raises(QueryDefinitionError):
        parse_fulltext_index(
            "CREATE FULLTEXT INDEX x IF NOT EXISTS FOR (n:Entity) ON EACH [m.name]"
        )


def test_schema_files_split_into_statements() -> None:
    text = "// comment\nCREATE INDEX a IF NOT EXISTS FOR (n:X) ON (n.a);\n\nCREATE INDEX b IF NOT EXISTS FOR (n:X) ON (n.b);\n"
    assert split_statements(text) == [
        "CREATE INDEX a IF NOT EXISTS FOR (n:X) ON (n.a)",
        "CREATE INDEX b IF NOT EXISTS FOR (n:X) ON (n.b)",
    ]


def test_search_text_folds_accents_case_and_punctuation() -> None:
    assert fold("La Santé") == "la sante"
    assert search_text("Mohamed Amra", ["The Fly", "“The Fly”"]) == "mohamed amra\nthe fly"


# What the store does with these translations on each engine (schema applied twice, search
# without accents, engine parameters filled by the store) is the store contract:
# tests/contract/test_store_contract.py.


class _SessionRecorder:
    """Stands in for a driver: records how the store opens its sessions."""

    def __init__(self) -> None:
        self.opened: list[dict[str, object]] = []

    def session(self, **config: object) -> object:
        self.opened.append(config)
        return object()


@pytest.mark.parametrize(("kind", "chained"), [("neo4j", True), ("arcadedb", False)])
def test_reads_follow_the_stores_own_writes_in_a_cluster(
    queries: QuerySet, kind: EngineKind, chained: bool
) -> None:
    """On Neo4j every session of a store, read or write, carries the store's one bookmark
    manager, so a cluster member serves a read only once it has the store's earlier writes;
    ArcadeDB (one machine) is sent none. The drivers connect lazily: no server is needed."""
    connection = Connection(kind, "neo4j://127.0.0.1:9", "neo4j", ("w", "x"), ("r", "y"))
    with Store(connection, queries, 1.0) as store:
        recorder = _SessionRecorder()
        store._session(recorder, neo4j.READ_ACCESS)  # type: ignore[arg-type]
        store._session(recorder, neo4j.WRITE_ACCESS)  # type: ignore[arg-type]
        managers = [config["bookmark_manager"] for config in recorder.opened]
        if chained:
            assert store.bookmarks is not None
            assert managers == [store.bookmarks, store.bookmarks]
        else:
            assert store.bookmarks is None and managers == [None, None]
        assert [c["default_access_mode"] for c in recorder.opened] == ["READ", "WRITE"]
