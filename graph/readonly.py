"""The guard of the analysts' read-only Cypher endpoint: the first of two locks.

Analysts may send Cypher text; nothing else in crimegraph accepts it. Before it reaches the
database, this guard refuses anything that is not a single read query: write and schema
clauses, administration, file access, and every procedure not on a short list of read-only
ones. The second lock is the database's own: the text then runs in a read transaction as the
read-only user (ArcadeDB) or in READ access mode (Neo4j), so a write the guard missed still
fails there. Both are tested (tests/test_analyst.py).
"""

from __future__ import annotations

import re

from graph.errors import InvalidInput, ReadOnlyViolation
from graph.queries import strip_non_code

# Clauses and commands that change data or schema, manage the server, or reach files.
_FORBIDDEN = re.compile(
    r"\b(CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|FOREACH|LOAD|CSV|PERIODIC|"
    r"GRANT|REVOKE|DENY|ALTER|RENAME|TERMINATE|START|STOP|USE|IMPORT|INSERT|FINISH|ENABLE|"
    r"TRANSACTIONS)\b",
    re.IGNORECASE,
)
_CALL = re.compile(r"\bCALL\s*(\{|[A-Za-z_][\w.]*)", re.IGNORECASE)
_SHOW = re.compile(r"\bSHOW\b", re.IGNORECASE)

# Procedures that only read. Everything else (dbms.*, apoc.*, db.create*, gds.*, ...) is refused.
READ_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.index.fulltext.querynodes",
        "db.index.fulltext.queryrelationships",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
    }
)
MAX_QUERY_LENGTH = 20_000


def check_read_only(text: str) -> None:
    """Raise ReadOnlyViolation (403) unless `text` is one read query, InvalidInput (422)
    if it is empty or too long."""
    if not text.strip():
        raise InvalidInput(
            "the query is empty", details=[{"field": "body.query", "message": "required"}]
        )
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    code = strip_non_code(text)
    if ";" in code.strip().rstrip(";"):
        raise ReadOnlyViolation("one query at a time: the text holds several statements")
    forbidden = sorted({m.group(1).upper() for m in _FORBIDDEN.finditer(code)})
    if forbidden:
        raise ReadOnlyViolation(
            f"read-only endpoint: {', '.join(forbidden)} is not allowed here",
            details=[{"field": "body.query", "message": f"refused: {', '.join(forbidden)}"}],
        )
    if _SHOW.search(code):
        raise ReadOnlyViolation("read-only endpoint: SHOW commands are administration")
    for match in _CALL.finditer(code):
        target = match.group(1)
        if target == "{":
            continue  # a subquery: its clauses were checked with the rest of the text
        if target.lower() not in READ_PROCEDURES:
            raise ReadOnlyViolation(
                f"read-only endpoint: procedure {target} is not on the read-only list",
                details=[
                    {
                        "field": "body.query",
                        "message": f"allowed: {', '.join(sorted(READ_PROCEDURES))}",
                    }
                ],
            )
