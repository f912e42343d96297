"""The dialect module: each engine difference, translated in one place and pinned here
(without a database; the same behaviour on each engine: tests/contract)."""

from __future__ import annotations

import pytest

from graph.dialect import (
    ArcadeDBDialect,
    CypherStatement,
    EngineStatement,
    Neo4jDialect,
    parse_fulltext_index,
)
from graph.errors import QueryDefinitionError
from graph.store import split_statements
from graph.text import fold, search_text

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
