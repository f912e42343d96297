"""Every difference between the engines crimegraph runs on, and nothing else.

Queries and schema are written once, in Neo4j 5 Cypher. What one engine cannot take as
written is translated here, so no other module needs to know which engine it talks to.
Differences met on ArcadeDB 26.10 over Bolt (tests/test_dialect.py pins each):

1. Fulltext indexes: `CREATE FULLTEXT INDEX ... ON EACH [...]` is refused; ArcadeDB SQL
   creates them (`CREATE INDEX IF NOT EXISTS ON Type (props) FULL_TEXT`, after declaring the
   property), sent over its HTTP API. Queries still use `db.index.fulltext.queryNodes`, under
   the engine's name for the index (`Entity[search_text]`), which `fulltext_index` gives.
2. Read-only access: ArcadeDB ignores the driver's READ access mode, so reads use a
   read-only database user (graph.db.engine creates it); on Neo4j the access mode is enforced.
3. Index builds: Neo4j populates new indexes in the background, so the schema step ends with
   `CALL db.awaitIndexes`; ArcadeDB has built the index when the statement returns.
4. Timeouts: ArcadeDB ignores the transaction timeout over Bolt (a query runs to its end), so
   the store also stops waiting for reads at the deadline; Neo4j cancels the query itself.
   Closing the session or the driver does not stop the engine's work either, nor does the
   reader group's `readTimeout` (it bounds type scans, not expansions); the per-database
   `arcadedb.command.timeout` does, but for every user and writes too (imports run longer).
   What stops one query is the server command `terminate query <id>`, the id found with
   `list queries` by a marker comment the store puts in the text: `terminate_queries`
   (measured in benchmarks/README.md, "Runaway analyst queries"). Neo4j needs nothing.
5. Labels are fixed when a node is created (`SET n:Label` on an existing node fails) and
   dynamic labels `$(...)` are silently ignored. Not translated: the model-generated upsert
   queries create every node with all its labels at once, which both engines accept.
6. Write conflicts: ArcadeDB checks concurrent transactions optimistically, at commit, and
   reports the loser in three ways (tests/test_faults.py meets each): a TransientError
   `Neo.TransientError.Transaction.DeadlockDetected` ("concurrent change to the same
   record"); a ConstraintError
   `Neo.ClientError.Schema.ConstraintValidationFailed` "Duplicated key [...] found on index"
   when two transactions MERGE or CREATE the same id (MERGE is not atomic there, unlike on
   Neo4j, which locks the key); and a bare ClientError `Neo.ClientError.Statement.SemanticError`
   "Error executing Cypher command: ..." when two transactions create the first node of a
   new label set at once (the engine log shows TypeAlreadyExistsException). `write_conflict`
   says which failures the store may retry; on Neo4j only `Neo.TransientError.Transaction.*`
   (deadlocks, lock timeouts).
7. Reading one's own writes: a Neo4j cluster (a `neo4j://` URI) may route a read to a member
   that has not applied the last write yet, so the store chains its sessions with one
   bookmark manager there (`causal_consistency`): a read waits for the writes the store has
   made. ArcadeDB runs on one machine and is not sent bookmarks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Protocol

from neo4j import exceptions as neo4j_errors

from graph.core.errors import DatabaseUnavailable, QueryDefinitionError
from graph.db.arcadedb_server import admin_request
from graph.db.engine import Connection, EngineKind

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
# ArcadeDB's wrapper for an internal failure during a statement; its own cause stays in the
# engine log. Met for concurrent creation of a label set's type (see 6. above).
_ARCADEDB_OPAQUE = "Error executing Cypher command"
_ARCADEDB_DUPLICATE_KEY = "Duplicated key"
_FULLTEXT_INDEX = re.compile(
    rf"^CREATE\s+FULLTEXT\s+INDEX\s+(?P<name>{_IDENTIFIER})\s+IF\s+NOT\s+EXISTS\s+"
    rf"FOR\s+\((?P<var>{_IDENTIFIER}):(?P<label>{_IDENTIFIER})\)\s+"
    rf"ON\s+EACH\s+\[(?P<props>[^\]]+)\]\s*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class CypherStatement:
    text: str


@dataclass(frozen=True)
class EngineStatement:
    """A statement in the engine's own language (ArcadeDB SQL), for what Cypher can't do."""

    text: str


SchemaStatement = CypherStatement | EngineStatement


@dataclass(frozen=True)
class FulltextIndex:
    name: str
    label: str
    properties: tuple[str, ...]


def parse_fulltext_index(statement: str) -> FulltextIndex | None:
    """Recognise a Neo4j `CREATE FULLTEXT INDEX` statement; None for anything else."""
    match = _FULLTEXT_INDEX.match(statement.strip())
    if match is None:
        return None
    var = match["var"]
    props = []
    for item in match["props"].split(","):
        prop = item.strip()
        if not re.fullmatch(rf"{var}\.{_IDENTIFIER}", prop):
            raise QueryDefinitionError(f"fulltext index property {prop!r} must be `{var}.name`")
        props.append(prop.split(".", 1)[1])
    return FulltextIndex(match["name"], match["label"], tuple(props))


class Dialect(Protocol):
    kind: EngineKind
    causal_consistency: bool  # chain sessions with bookmarks (7. above)

    def translate_schema(self, statement: str) -> list[SchemaStatement]: ...

    def after_schema(self) -> list[SchemaStatement]:
        """Statements to run once the schema is applied."""
        ...

    def fulltext_index(self, index: FulltextIndex) -> str:
        """The name queries pass to db.index.fulltext.queryNodes for this index."""
        ...

    def write_conflict(self, exc: Exception) -> bool:
        """True when a write transaction failed only because concurrent transactions touched
        the same records: it was rolled back, and running it again may succeed."""
        ...


class Neo4jDialect:
    kind: EngineKind = "neo4j"
    causal_consistency = True

    def translate_schema(self, statement: str) -> list[SchemaStatement]:
        return [CypherStatement(statement)]

    def after_schema(self) -> list[SchemaStatement]:
        # Neo4j builds new indexes in the background; queries must not meet one half-built.
        return [CypherStatement("CALL db.awaitIndexes(300)")]

    def fulltext_index(self, index: FulltextIndex) -> str:
        return index.name

    def write_conflict(self, exc: Exception) -> bool:
        # Deadlocks and lock timeouts. MERGE on a constrained key locks it, so a duplicate
        # key is a real conflict with stored data here, which running again cannot cure.
        return isinstance(exc, neo4j_errors.TransientError) and (exc.code or "").startswith(
            "Neo.TransientError.Transaction."
        )


class ArcadeDBDialect:
    kind: EngineKind = "arcadedb"
    causal_consistency = False

    def after_schema(self) -> list[SchemaStatement]:
        return []  # ArcadeDB builds an index inside the statement that creates it

    def translate_schema(self, statement: str) -> list[SchemaStatement]:
        index = parse_fulltext_index(statement)
        if index is None:
            return [CypherStatement(statement)]
        # Identifiers here matched _IDENTIFIER above: they come from the schema files, never
        # from a request. ArcadeDB indexes only declared properties, hence CREATE PROPERTY.
        statements: list[SchemaStatement] = [
            EngineStatement(f"CREATE PROPERTY {index.label}.{prop} IF NOT EXISTS STRING")
            for prop in index.properties
        ]
        columns = ", ".join(index.properties)
        statements.append(
            EngineStatement(f"CREATE INDEX IF NOT EXISTS ON {index.label} ({columns}) FULL_TEXT")
        )
        return statements

    def fulltext_index(self, index: FulltextIndex) -> str:
        return f"{index.label}[{','.join(index.properties)}]"

    def write_conflict(self, exc: Exception) -> bool:
        if isinstance(exc, neo4j_errors.TransientError):
            return True
        if not isinstance(exc, neo4j_errors.Neo4jError) or not exc.message:
            return False
        if isinstance(exc, neo4j_errors.ConstraintError):
            # A concurrent MERGE of the same id won; a retried MERGE finds its record.
            return exc.message.startswith(_ARCADEDB_DUPLICATE_KEY)
        return exc.code == "Neo.ClientError.Statement.SemanticError" and exc.message.startswith(
            _ARCADEDB_OPAQUE
        )


def dialect_for(kind: EngineKind) -> Dialect:
    return ArcadeDBDialect() if kind == "arcadedb" else Neo4jDialect()


def _engine_server_command(connection: Connection, command: str) -> dict[str, object]:
    """An ArcadeDB server command (`list queries`, `terminate query <id>`) over HTTP as root."""
    status, body = admin_request(
        str(connection.admin_http),
        "/api/v1/server",
        connection.write_auth,
        {"command": command},
        10,
    )
    if status >= 400:
        raise OSError(f"the engine refused {command!r}: {status} {body[:300]}")
    answer: dict[str, object] = json.loads(body)
    return answer


def terminate_queries(connection: Connection, marker: str) -> list[str]:
    """Stop, in the engine, the running queries whose text holds `marker` (a comment the
    store put there); return their ids. Neo4j ends a query at its transaction timeout by
    itself: nothing to do there. Raises OSError when the engine cannot be asked."""
    if connection.kind != "arcadedb" or connection.admin_http is None:
        return []
    listed = _engine_server_command(connection, f"list queries database {connection.database}")
    running = listed.get("result")
    ids = [
        str(query["id"])
        for query in (running if isinstance(running, list) else [])
        if isinstance(query, dict) and marker in str(query.get("text", ""))
    ]
    for query_id in ids:
        _engine_server_command(connection, f"terminate query {query_id}")
    return ids


def run_engine_statement(connection: Connection, statement: EngineStatement) -> None:
    """Send an ArcadeDB SQL command through the engine's HTTP API (loopback, admin user)."""
    if connection.admin_http is None:
        raise QueryDefinitionError(
            f"{connection.kind} takes no engine statements: {statement.text}"
        )
    try:
        status, body = admin_request(
            connection.admin_http,
            f"/api/v1/command/{connection.database}",
            connection.write_auth,
            {"language": "sql", "command": statement.text},
            60,
        )
    except OSError as exc:
        raise DatabaseUnavailable(f"engine HTTP endpoint unreachable: {exc}") from exc
    if status >= 400:
        raise QueryDefinitionError(f"engine refused {statement.text!r}: {body[:500]}")
