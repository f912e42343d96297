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
from typing import Any

from graph.errors import InvalidInput, ReadOnlyViolation
from graph.queries import strip_comments_and_strings, strip_non_code

# Clauses and commands that change data or schema, manage the server, or reach files.
_FORBIDDEN = re.compile(
    r"\b(CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|FOREACH|LOAD|CSV|PERIODIC|"
    r"GRANT|REVOKE|DENY|ALTER|RENAME|TERMINATE|START|STOP|USE|IMPORT|INSERT|FINISH|ENABLE|"
    r"TRANSACTIONS)\b",
    re.IGNORECASE,
)
_NAME_PART = r"(?:`[^`]*`|[A-Za-z_][\w]*)"
# What follows CALL: a subquery `{`, a scoped subquery `(a, b) {`, or a procedure name whose
# parts may be back-ticked (`apoc`.`cypher`.`runWrite` is apoc.cypher.runWrite).
_CALL = re.compile(
    rf"\bCALL\b\s*(?:(?P<subquery>\{{|\([^()]*\)\s*\{{)|(?P<name>{_NAME_PART}(?:\s*\.\s*{_NAME_PART})*))?",
    re.IGNORECASE,
)
# Functions of the admin and plugin namespaces, called without CALL (apoc.version()).
_NAMESPACED_FUNCTION = re.compile(r"\b(apoc|dbms|gds|db)\s*\.", re.IGNORECASE)
# Variable-length patterns must be bounded: `[*]` or `*..` without an end, or more hops than
# this, can run for ever (and ArcadeDB does not stop a query at its timeout).
MAX_VARIABLE_HOPS = 6
_VARIABLE_LENGTH = re.compile(r"\*\s*(?P<low>\d*)\s*(?P<range>\.\.)?\s*(?P<high>\d*)\s*[\]{]")
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

# System records that hold secrets, and their secret properties: an :ApiKey keeps the hash
# of its token's secret. Analysts never read them; the named-query routes never serve them
# either (graph.auth.SYSTEM_QUERIES).
SECRET_LABELS = frozenset({"ApiKey"})
SECRET_PROPERTIES = frozenset({"hash"})
_SECRET_NAME = re.compile(
    r"\b(" + "|".join(sorted(SECRET_LABELS | SECRET_PROPERTIES)) + r")\b", re.IGNORECASE
)
_STRING_LITERAL = re.compile(r"'((?:\\.|[^'\\])*)'|\"((?:\\.|[^\"\\])*)\"")


def _check_secret_names(text: str, names: str) -> None:
    """Refuse a query that names a secret-holding label or property, as a name (`:ApiKey`,
    `.hash`, back-ticked or not) or as a whole string (`'ApiKey' IN labels(n)`, `n['hash']`)."""
    found = {m.group(1) for m in _SECRET_NAME.finditer(names)}
    without_comments = re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.DOTALL)
    for match in _STRING_LITERAL.finditer(without_comments):
        literal = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if literal.lower() in {n.lower() for n in SECRET_LABELS | SECRET_PROPERTIES}:
            found.add(literal)
    if found:
        raise ReadOnlyViolation(
            "read-only endpoint: API key records and their hashes are not readable here",
            details=[{"field": "body.query", "message": f"refused: {', '.join(sorted(found))}"}],
        )


def check_no_secrets(rows: list[list[Any]]) -> None:
    """The second look, at the result: a query that reached a key record without naming it
    (`MATCH (n) RETURN n`, `properties(n)`) is refused whole, not trimmed."""

    def walk(value: Any) -> bool:
        if isinstance(value, dict):
            labels = value.get("labels")
            if isinstance(labels, list) and SECRET_LABELS & set(map(str, labels)):
                return True
            if SECRET_PROPERTIES & set(value):
                return True
            return any(walk(v) for v in value.values())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return False

    if any(walk(cell) for row in rows for cell in row):
        raise ReadOnlyViolation(
            "read-only endpoint: the result holds API key records, which are not readable "
            "here; match a label, e.g. (n:Entity)"
        )


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
    forbidden = list(dict.fromkeys(m.group(1).upper() for m in _FORBIDDEN.finditer(code)))
    if forbidden:
        raise ReadOnlyViolation(
            f"read-only endpoint: not allowed here: {' '.join(forbidden)}",
            details=[{"field": "body.query", "message": f"refused: {', '.join(forbidden)}"}],
        )
    if _SHOW.search(code):
        raise ReadOnlyViolation("read-only endpoint: SHOW commands are administration")
    # Names as the database reads them: `apoc`.`cypher` is apoc.cypher.
    names = re.sub(r"`([^`]*)`", r"\1", strip_comments_and_strings(text))
    _check_secret_names(text, names)
    for match in _CALL.finditer(names):
        if match.group("subquery"):
            continue  # a subquery: its clauses were checked with the rest of the text
        if not match.group("name"):
            raise ReadOnlyViolation("read-only endpoint: CALL must name a read-only procedure")
        target = re.sub(r"\s", "", match.group("name")).lower()
        if target not in READ_PROCEDURES:
            raise ReadOnlyViolation(
                f"read-only endpoint: procedure {target} is not on the read-only list",
                details=[
                    {
                        "field": "body.query",
                        "message": f"allowed: {', '.join(sorted(READ_PROCEDURES))}",
                    }
                ],
            )
    functions = _NAMESPACED_FUNCTION.search(_CALL.sub("CALL ", names))
    if functions:
        raise ReadOnlyViolation(
            f"read-only endpoint: {functions.group(1).lower()}.* functions are not allowed here"
        )
    # Hops multiply: two patterns of 6 hops each are a 12-hop search. The budget is shared.
    budget = 0
    for match in _VARIABLE_LENGTH.finditer(code):
        high = match.group("high")
        if not high and (match.group("range") or not match.group("low")):
            raise ReadOnlyViolation(
                "read-only endpoint: variable-length patterns need an upper bound, e.g. [*1..3]"
            )
        budget += int(high or match.group("low"))
    if budget > MAX_VARIABLE_HOPS:
        raise ReadOnlyViolation(
            f"read-only endpoint: variable-length patterns may span {MAX_VARIABLE_HOPS} hops in "
            f"all; this query asks for {budget}"
        )
