"""The analysts' guard against a corpus of hostile queries, read the way the engine reads them.

Every query of HOSTILE is sent as an analyst through POST /api/v1/cypher and must be refused
with 403 before the database sees it, leaving the graph and the API keys as they were. They
are the bypasses of issue 13 (B1: a `//` comment ended by `\\r`; B3: unbounded quantified
path patterns) and their variants: every line terminator and look-alike, nested and
unterminated comments and strings, escapes, back-ticks, unicode escapes, unicode dashes,
unbounded or long path searches, procedures, functions, administration and several
statements. LEGITIMATE queries, and every named read query, must still pass.

B2 (key records reached without naming them: `'Api'+'Key' IN labels(k)`, `n.role = 'admin'`)
is no text's to stop: the lock is the database's (the analysts' user cannot read key
records). Those queries must get a 403 OR an answer that holds no key material; where the
engine still lets the analysts' user read key records (before that lock is in place), they
are expected failures, said so by the test.

The lexer's reading is also checked against two outside readers: the embedded engine itself
(which characters end a `//` comment, which are whitespace) and Neo4j's own Cypher language
library (@neo4j-cypher/language-support, from the CI's Cypher lint) on where comments,
strings and back-ticked names begin and end.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.access.auth import SYSTEM_QUERIES, KeyStore, Role
from graph.core.errors import CrimegraphError
from graph.core.settings import REPO_ROOT, Settings
from graph.db.cypher_lexer import CypherLexError, Token, tokenize
from graph.db.queries import QuerySet
from graph.db.readonly import check_read_only
from graph.db.store import Store
from tests.conftest import totals
from tests.test_api import assert_error_shape

SECRET_READ = "MATCH (k:ApiKey) RETURN k.hash, k.name"
UNBOUNDED = "MATCH p = (a)-[*]-(b) RETURN count(p)"
SCHEMA_WRITE = "DROP INDEX foo IF EXISTS"
DATA_WRITE = "MATCH (n) DETACH DELETE n"
# Characters that end a `//` comment in the engines (\n, \r, \r\n), and those some reader
# might take for a line break (the lexer refuses them inside a comment).
TERMINATORS = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "VT": "\x0b",
    "FF": "\x0c",
    "FS": "\x1c",
    "GS": "\x1d",
    "RS": "\x1e",
    "US": "\x1f",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
}


PAYLOADS = {"secret": SECRET_READ, "unbounded": UNBOUNDED, "schema": SCHEMA_WRITE}
PAYLOADS["delete"] = DATA_WRITE


HOSTILE: dict[str, str] = dict(
    [
        # B1 and its variants: what follows a comment's end is code, whichever line break
        # ends it; a comment holding a line-break look-alike is refused whole.
        *(
            (f"comment-{name}-{what}", f"// x{terminator}{payload}")
            for name, terminator in TERMINATORS.items()
            for what, payload in PAYLOADS.items()
        ),
        ("comment-cr-then-comment", "// a\r// b\rMATCH (k:ApiKey) RETURN k.hash"),
        ("comment-trailing-cr", "MATCH (n:Entity) RETURN n.id // x\r, n.hash"),
        ("comment-cr-create", "MATCH (n:Entity) // x\rCREATE (:Entity {id: 'x'}) RETURN 1"),
        # Block comments: they do not nest, and an unterminated one is refused.
        ("block-nested", "RETURN 1 AS x /* a /* b */ UNION MATCH (k:ApiKey) RETURN k.hash AS x"),
        ("block-nested-closed-twice", "RETURN 1 /* a /* b */ */ DETACH DELETE n"),
        ("block-unterminated", "MATCH (k:ApiKey) /* RETURN k.hash"),
        ("block-then-secret", "/* x */ MATCH (k:ApiKey) RETURN k.hash"),
        ("block-star-slash", "RETURN 1 /* a */ */ CREATE (n) RETURN n"),
        ("block-unicode-escape-end", "RETURN 1 /* \\u002a/ MATCH (k:ApiKey) RETURN k.hash */"),
        (
            "line-unicode-escape-lf",
            "RETURN 1 AS x //\\u000a UNION MATCH (k:ApiKey) RETURN k.hash AS x",
        ),
        ("line-unicode-escape-cr", "RETURN 1 AS x //\\u000d UNION MATCH (n) DETACH DELETE n"),
        # Strings: escapes, unterminated strings, escapes that end a string if decoded first.
        ("string-escaped-backslash", "RETURN 'a\\\\' CREATE (n:Entity {id: 'x'}) RETURN 'b'"),
        ("string-double-escaped-backslash", 'RETURN "a\\\\" CREATE (n) RETURN "b"'),
        ("string-unterminated", "MATCH (n) RETURN 'abc"),
        ("string-unterminated-double", 'MATCH (n) RETURN "abc'),
        ("string-unicode-quote", "RETURN '\\u0027 UNION MATCH (k:ApiKey) RETURN k.hash AS x //'"),
        ("string-unicode-dquote", 'RETURN "\\u0022 UNION MATCH (n) DETACH DELETE n //"'),
        ("string-unicode-backslash", "RETURN '\\u005c' UNION MATCH (k:ApiKey) RETURN k.hash //'"),
        ("string-escaped-unicode-quote", "RETURN '\\\\u0027' AS x"),
        ("string-many-u", "RETURN '\\uuuu0027 MATCH (k:ApiKey) RETURN k //'"),
        ("string-bad-unicode", "RETURN '\\uZZZZ' AS x"),
        # Back-ticked names: doubled back-ticks, unterminated, escapes.
        ("backtick-label", "MATCH (k:`ApiKey`) RETURN k.name"),
        ("backtick-property", "MATCH (k) RETURN k.`hash`"),
        ("backtick-unterminated", "MATCH (n:`Entity) RETURN n"),
        ("backtick-doubled-then-write", "MATCH (n:`a``b`) DETACH DELETE n"),
        ("backtick-unicode-escape", "MATCH (k:`Api\\u004bey`) RETURN k.name"),
        ("backtick-unicode-escape-tick", "MATCH (n:`x\\u0060) DETACH DELETE n //`) RETURN n"),
        # Unicode escapes outside strings (Neo4j 5 decodes them before lexing).
        ("unicode-keyword", "M\\u0041TCH (k:ApiKey) RETURN k.hash"),
        ("unicode-create", "CR\\u0045ATE (n:Entity {id: 'x'})"),
        ("unicode-label", "MATCH (k:Api\\u004bey) RETURN k.name"),
        ("unicode-big-u", "RETURN \\U00000041 AS x"),
        ("backslash-in-code", "MATCH (n) RETURN n \\ DETACH DELETE n"),
        # Characters some engine reads as whitespace or arrows, others not.
        ("nel-whitespace", "MATCH\x85(k:ApiKey) RETURN k.hash"),
        ("em-dash-unbounded", "MATCH p = (a)\u2014[*]\u2014(b) RETURN count(p)"),
        ("fullwidth-hyphen-unbounded", "MATCH p = (a)\uff0d[*]\uff0d(b) RETURN count(p)"),
        ("soft-hyphen-unbounded", "MATCH p = (a)\u00ad[*]\u00ad(b) RETURN count(p)"),
        ("arrow-head", "MATCH p = (a)-[*]-\u27e9(b) RETURN count(p)"),
        ("zero-width-space", "MATCH (n)\u200bDETACH DELETE n"),
        ("bom", "\ufeffMATCH (n) DETACH DELETE n"),
        ("nul", "MATCH (n)\x00DETACH DELETE n"),
        # Variable-length relationships: bounded, within the shared budget.
        ("var-star", "MATCH p = (a)-[*]-(b) RETURN count(p)"),
        ("var-open-end", "MATCH p = (a)-[*2..]-(b) RETURN count(p)"),
        ("var-dots", "MATCH p = (a)-[*..]-(b) RETURN count(p)"),
        ("var-typed", "MATCH p = (a)-[:PART_OF*]->(b) RETURN count(p)"),
        ("var-named", "MATCH p = (a)-[r*]->(b) RETURN count(p)"),
        ("var-spaces", "MATCH p = (a)-[ * 1 .. ]-(b) RETURN count(p)"),
        ("var-too-long", "MATCH p = (a)-[*1..12]-(b) RETURN count(p)"),
        ("var-too-long-exact", "MATCH p = (a)-[*7]-(b) RETURN count(p)"),
        ("var-hex-bound", "MATCH p = (a)-[*1..0x10]-(b) RETURN count(p)"),
        ("var-underscore-bound", "MATCH p = (a)-[*1..1_0]-(b) RETURN count(p)"),
        ("var-param-bound", "MATCH p = (a)-[*1..$n]-(b) RETURN count(p)"),
        ("var-then-where", "MATCH p = (a)-[r* WHERE r.w > 1]-(b) RETURN count(p)"),
        ("var-sum", "MATCH (a)-[*1..6]-(b)-[*1..6]-(c) RETURN count(*) AS c"),
        ("var-sum-two-matches", "MATCH (a)-[*..4]-(b) MATCH (c)-[*..4]-(d) RETURN count(*)"),
        ("var-in-exists", "MATCH (a) WHERE EXISTS { (a)-[*]-(b) } RETURN a.id"),
        ("var-in-comprehension", "MATCH (a) RETURN [(a)-[*]-(b) | b.id] AS ids"),
        ("var-commented-out-bound", "MATCH p = (a)-[*1../* 3 */]-(b) RETURN count(p)"),
        ("var-after-comment-cr", "// bounded [*1..2]\rMATCH p = (a)-[*]-(b) RETURN count(p)"),
        ("shortest-unbounded", "MATCH p = shortestPath((a:Person)-[*]-(b:Person)) RETURN p"),
        ("all-shortest-unbounded", "MATCH p = allShortestPaths((a)-[*]-(b)) RETURN p"),
        # B3, quantified path patterns and relationships.
        ("qpp-plus", "MATCH (a:Person) ((x)--(y))+ (b) RETURN count(*)"),
        ("qpp-star", "MATCH (a:Person) ((x)--(y))* (b) RETURN count(*)"),
        ("qpp-open-end", "MATCH (a:Person) ((x)--(y)){1,} (b) RETURN count(*)"),
        ("qpp-open-end-2", "MATCH (a:Person) ((x)-[:PART_OF]->(y)){2,} (b) RETURN count(*)"),
        ("qpp-too-long", "MATCH (a:Person) ((x)--(y)){1,7} (b) RETURN count(*)"),
        ("qpp-exact-too-long", "MATCH (a:Person) ((x)--(y)){9} (b) RETURN count(*)"),
        ("qpp-inner-hops", "MATCH (a) ((x)--(y)--(z)){1,4} (b) RETURN count(*)"),
        ("qpp-inner-variable", "MATCH (a) ((x)-[*1..3]-(y)){3} (b) RETURN count(*)"),
        ("qpp-where", "MATCH (a) ((x)--(y) WHERE y.id <> x.id)+ (b) RETURN count(*)"),
        ("qpp-spaced", "MATCH (a) ( (x) -- (y) ) + (b) RETURN count(*)"),
        ("qpp-commented", "MATCH (a) ((x)--(y)) /* {1,3} */ + (b) RETURN count(*)"),
        ("qpp-shortest", "MATCH p = SHORTEST 1 (a:Person) ((x)--(y))+ (b) RETURN p"),
        ("qpp-any", "MATCH p = ANY (a:Person)((x)--(y))+(b) RETURN p"),
        ("qpp-path-variable", "MATCH (a) (p = (x)--(y))+ (b) RETURN count(*)"),
        ("qpp-bad-quantifier", "MATCH (a) ((x)--(y)){1,$n} (b) RETURN count(*)"),
        ("qrel-plus", "MATCH (a)-[r]->+(b) RETURN count(*)"),
        ("qrel-star", "MATCH (a)-->*(b) RETURN count(*)"),
        ("qrel-open-end", "MATCH (a)-[:PART_OF]->{1,}(b) RETURN count(*)"),
        ("qrel-undirected-open", "MATCH (a)-[r]-{2,}(b) RETURN count(*)"),
        ("qrel-bare-plus", "MATCH (a)--+(b) RETURN count(*)"),
        ("qrel-too-long", "MATCH (a)-[r]->{1,7}(b) RETURN count(*)"),
        ("qrel-left", "MATCH (a)<-[r]-{1,}(b) RETURN count(*)"),
        # Subqueries in transactions, files, procedures, functions and administration.
        ("in-transactions", "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS RETURN 1"),
        (
            "in-transactions-of-rows",
            "UNWIND range(1, 3) AS i CALL { WITH i RETURN i AS j } IN TRANSACTIONS OF 1 ROW RETURN j",
        ),
        ("load-csv", "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line"),
        ("load-csv-lower", "load csv with headers from 'http://example.invalid/x' as l return l"),
        ("load-csv-commented", "LOAD/* x */CSV FROM 'file:///etc/passwd' AS line RETURN line"),
        ("file-function", "RETURN file() AS f"),
        ("linenumber-function", "RETURN linenumber() AS n"),
        ("apoc-call", "CALL apoc.cypher.runWrite('MATCH (n) DETACH DELETE n', {})"),
        ("apoc-call-spaced", "CALL apoc . cypher . runWrite('MATCH (n) DETACH DELETE n', {})"),
        ("apoc-call-commented", "CALL apoc/**/.cypher.runWrite('MATCH (n) DETACH DELETE n', {})"),
        ("apoc-call-backticks", "CALL `apoc`.`cypher`.`runWrite`('MATCH (n) DETACH DELETE n', {})"),
        ("apoc-call-one-backtick", "CALL `apoc.cypher.runWrite`('MATCH (n) DETACH DELETE n', {})"),
        ("apoc-function", "RETURN apoc.version() AS version"),
        ("apoc-function-backticks", "RETURN `apoc`.`version`() AS version"),
        ("apoc-load", "CALL apoc.load.json('http://example.invalid') YIELD value RETURN value"),
        (
            "apoc-after-read-call",
            "CALL db.labels() YIELD label CALL apoc.help('x') YIELD name RETURN name",
        ),
        ("dbms-call", "CALL dbms.security.createUser('mallory', 'pw', false)"),
        ("dbms-components", "CALL dbms.components() YIELD name RETURN name"),
        ("dbms-function", "RETURN dbms.procedures() AS p"),
        ("db-create-label", "CALL db.createLabel('Evil')"),
        ("db-function", "RETURN db.nameFromElementId('x') AS n"),
        ("gds-function", "RETURN gds.version() AS v"),
        ("graph-function", "RETURN graph.names() AS g"),
        ("unknown-function", "RETURN custom.evil() AS x"),
        ("call-without-name", "CALL"),
        ("call-param", "CALL $proc() YIELD x RETURN x"),
        ("call-no-parens", "CALL dbms.killQueries"),
        ("show-users", "SHOW USERS"),
        ("show-procedures", "SHOW PROCEDURES YIELD name RETURN name"),
        ("show-after-comment", "// x\rSHOW TRANSACTIONS"),
        ("terminate", "TERMINATE TRANSACTIONS 'neo4j-transaction-1'"),
        ("use-database", "USE system MATCH (n) RETURN n"),
        ("cypher-version", "CYPHER 5 MATCH (n) RETURN n"),
        ("cypher-options", "CYPHER runtime=slotted MATCH (n) RETURN n"),
        ("create-index", "CREATE INDEX evil FOR (n:Person) ON (n.x)"),
        ("drop-constraint", "DROP CONSTRAINT entity_id_unique"),
        ("alter-user", "ALTER USER neo4j SET PASSWORD 'x'"),
        ("grant", "GRANT ALL ON DATABASE * TO reader"),
        ("start-database", "START DATABASE neo4j"),
        # Writes, as clauses of a read.
        ("create", "CREATE (n:Entity:Person {id: 'x', name: 'Intruder'})"),
        ("merge", "MERGE (n:Entity:Person {id: 'x'})"),
        ("set", "MATCH (n:Person) SET n.name = 'changed'"),
        ("set-plus-equals", "MATCH (n:Person) SET n += {name: 'changed'}"),
        ("remove", "MATCH (n) REMOVE n.name"),
        ("delete-lower", "match (n) detach delete n"),
        ("foreach", "MATCH (n) FOREACH (x IN [1] | CREATE (:Entity {id: 'y'}))"),
        ("write-in-subquery", "MATCH (n) CALL (n) { DETACH DELETE n } RETURN 1"),
        ("write-after-union", "MATCH (n) RETURN n.id AS x UNION CREATE (m) RETURN 1 AS x"),
        ("insert", "INSERT (:Entity {id: 'x'})"),
        ("finish", "MATCH (n) DETACH DELETE n FINISH"),
        ("parameter-then-create", "RETURN $ CREATE (n)"),
        ("property-then-create", "MATCH (n) RETURN n. CREATE (m)"),
        # Several statements.
        ("two-statements", "MATCH (n) RETURN n; MATCH (m) DETACH DELETE m"),
        ("two-statements-comment", "RETURN 1 /* ; */; MATCH (m) DETACH DELETE m"),
        ("two-statements-cr", "RETURN 1 // x\r; MATCH (m) DETACH DELETE m"),
        ("two-reads", "RETURN 1; RETURN 2"),
        # Secret names, however spelt.
        ("secret-label", "MATCH (k:ApiKey) RETURN k.name"),
        ("secret-label-lower", "MATCH (k:apikey) RETURN k.name"),
        ("secret-label-string", "MATCH (k) WHERE 'ApiKey' IN labels(k) RETURN k.name"),
        ("secret-label-string-spaced", "MATCH (k) WHERE ' ApiKey ' IN labels(k) RETURN k.name"),
        ("secret-label-string-escape", "MATCH (k) WHERE 'Api\\u004bey' IN labels(k) RETURN k.name"),
        ("secret-label-string-u-escape-2", 'MATCH (k) WHERE "\\u0041piKey" IN labels(k) RETURN k'),
        ("secret-property-subscript", "MATCH (k) RETURN k['hash']"),
        ("secret-property-subscript-double", 'MATCH (k) RETURN k["hash"]'),
        ("secret-property", "MATCH (k) WHERE k.hash IS NOT NULL RETURN k.hash"),
        ("secret-property-upper", "MATCH (k) RETURN k.HASH"),
        ("secret-map-projection", "MATCH (k) RETURN k {.hash}"),
        (
            "secret-after-cr",
            "MATCH (n:Entity) RETURN n.id AS x // \rUNION MATCH (k:ApiKey) RETURN k.id AS x",
        ),
    ]
)

# B2: key records reached without naming them. The text guard cannot see these; the engine's
# lock (the analysts' user cannot read key records) must. 403, or no key material.
B2_QUERIES = {
    "computed-label": "MATCH (k) WHERE 'Api'+'Key' IN labels(k) RETURN k['ha'+'sh'] AS h",
    "computed-label-any": "MATCH (k) WHERE any(l IN labels(k) WHERE l STARTS WITH 'Api') "
    "RETURN k.name AS name, k.id AS id",
    "role-property": "MATCH (n) WHERE n.role = 'admin' RETURN n.name, n.id, n.created_by",
    "properties": "MATCH (n) WHERE NOT n:Entity RETURN properties(n) AS p",
    "keys-then-values": "MATCH (n) WHERE NOT n:Entity UNWIND keys(n) AS key "
    "RETURN key, n[key] AS value",
    "whole-nodes": "MATCH (n) WHERE NOT n:Entity RETURN n",
    "labels-of-all": "MATCH (n) WHERE NOT n:Entity RETURN labels(n) AS l, n.name AS name",
}

# Queries analysts write, which must keep working.
LEGITIMATE = [
    "MATCH (p:Person {name: $name})-[r]-(e:Event) RETURN e.name AS event, r.quote AS quote",
    "// a comment\r\nMATCH (n:Entity) RETURN n.id LIMIT 1",
    "// a comment\rMATCH (n:Entity) RETURN n.id LIMIT 1",
    "MATCH (n:Entity) /* block\ncomment */ RETURN n.id LIMIT 1",
    "MATCH (n:Entity) WHERE n.name <> 'DELETE me' RETURN n.`set` AS x LIMIT 1",
    "MATCH (n:Entity) RETURN n.set AS a, n.start AS b, n.use AS c, n.call AS d LIMIT 1",
    'MATCH (n:Entity) WHERE n.name CONTAINS \'it\\\'s\' OR n.name = "say \\"hi\\"" RETURN n.id',
    "MATCH (n:Entity) WHERE n.name CONTAINS '\\u00e9' RETURN n.id LIMIT 3",
    "MATCH (n:Entity) WHERE n.name = 'Montr\u00e9al\u2028' RETURN n.id",
    "MATCH (n:`Entity`) RETURN n.`id` AS `the ``id```, n.name LIMIT 2",
    "MATCH p = (:Person)-[*1..2]-(m) RETURN count(p) AS paths",
    "MATCH p = (:Person)-[:MEMBERSHIP*..3]->(m) RETURN count(p) AS paths",
    "MATCH (a:Person)-[*1..3]-(b)-[*1..3]-(c) RETURN count(*) AS c",
    "MATCH (a:Person) ((x)--(y)){1,3} (b) RETURN count(*) AS c",
    "MATCH (a:Person) ((x)-[:MEMBERSHIP]->(y)){,2} (b) RETURN count(*) AS c",
    "MATCH (a:Person)-[r]->{1,3}(b) RETURN count(*) AS c",
    "MATCH (a:Person)-->{2}(b) RETURN count(*) AS c",
    "MATCH (a:Person)-[r WHERE r.confidence * 2 > 1]->(b) RETURN count(*) AS c",
    "MATCH p = shortestPath((a:Person)-[*..4]-(b:CriminalNetwork)) RETURN length(p) AS l",
    "CALL db.labels() YIELD label RETURN label ORDER BY label",
    "CALL `db`.`labels`() YIELD label RETURN label",
    "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType",
    "MATCH (n:Entity) CALL (n) { RETURN n.id AS x } RETURN x LIMIT 1",
    "MATCH (n:Entity) CALL { WITH n RETURN n.name AS y } RETURN y LIMIT 1",
    "MATCH (n:Person) WHERE EXISTS { (n)-[:MEMBERSHIP]->(:CriminalNetwork) } RETURN n.name",
    "MATCH (n:Person) RETURN n.name, COUNT { (n)--() } AS degree ORDER BY degree DESC LIMIT 5",
    "MATCH (n:Person) RETURN n {.id, .name} AS person LIMIT 2",
    "MATCH (n:Entity) RETURN labels(n) AS l, keys(n) AS k, size(keys(n)) * 2 + 1 AS x LIMIT 2",
    "MATCH (n:Entity) WITH count(n) AS c, (1 + 2) * 3 AS nine RETURN c + nine AS total",
    "MATCH (n:Entity) WHERE n.date >= date('2020-01-01') RETURN n.id LIMIT 1",
    "RETURN date.truncate('month', date()) AS m, duration.between(date(), date()) AS d",
    "RETURN toUpper('x') AS a, coalesce(null, 1) AS b, [x IN range(1, 3) | x * 2] AS c",
    "RETURN reduce(s = 0, x IN [1, 2, 3] | s + x) AS total, 1.5e-3 AS f, 0x1F AS h",
    "MATCH (n:Entity) RETURN n.id ORDER BY n.id SKIP 1 LIMIT 2",
    "MATCH (n:Entity) RETURN n.id AS x UNION MATCH (m:Person) RETURN m.id AS x",
    "MATCH (n:Entity) RETURN n.id LIMIT 1;",
    "EXPLAIN MATCH (n:Entity) RETURN n.id",
    "MATCH (n:Entity)\u00a0RETURN\u3000n.id LIMIT 1",
]


def _named_read_queries() -> list[tuple[str, str]]:
    queries = QuerySet.load(REPO_ROOT / "cypher" / "queries")
    return [
        (name, query.body)
        for name, query in sorted(queries.items())
        if query.mode == "read" and name not in SYSTEM_QUERIES
    ]


# ---------------------------------------------------------------------------------------------
# Through the HTTP API, as an analyst


@pytest.fixture(scope="module")
def analyst(seeded_module: Store, client_module: TestClient) -> TestClient:
    _, token = KeyStore(seeded_module, ttl=0).create(
        "corpus analyst", Role.ANALYST, created_by="tests"
    )
    return TestClient(client_module.app, headers={"X-API-Key": token})


@pytest.fixture(scope="module")
def client_module(
    seeded_module: Store, settings: Settings, auth_headers: dict[str, str]
) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=auth_headers) as test_client:
        yield test_client


def _state(store: Store) -> tuple[tuple[int, int], list[str]]:
    keys = sorted(key.id for key in KeyStore(store, ttl=0).list())
    return totals(store), keys


@pytest.fixture(scope="module")
def baseline(seeded_module: Store, analyst: TestClient) -> tuple[tuple[int, int], list[str]]:
    return _state(seeded_module)


def test_the_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 100, len(HOSTILE)


@pytest.mark.parametrize("query", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_queries_are_refused_with_403_and_change_nothing(
    analyst: TestClient,
    seeded_module: Store,
    baseline: tuple[tuple[int, int], list[str]],
    query: str,
) -> None:
    response = analyst.post("/api/v1/cypher", json={"query": query})
    assert_error_shape(response, 403, "forbidden")
    assert _state(seeded_module) == baseline


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (a)-[*1..2]-(b RETURN count(*)",
        "MATCH (a)-[*1..2)-(b) RETURN count(*)",
        "MATCH (a)-[*1..2]-(b)) RETURN count(*)",
    ],
)
def test_brackets_that_do_not_pair_are_syntax_errors_refused_before_the_database(
    analyst: TestClient,
    seeded_module: Store,
    baseline: tuple[tuple[int, int], list[str]],
    query: str,
) -> None:
    assert_error_shape(analyst.post("/api/v1/cypher", json={"query": query}), 422, "invalid_input")
    assert _state(seeded_module) == baseline


@pytest.mark.parametrize("query", LEGITIMATE)
def test_legitimate_analyst_queries_still_pass(analyst: TestClient, query: str) -> None:
    response = analyst.post(
        "/api/v1/cypher", json={"query": query, "params": {"name": "Mohamed Amra"}}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("name", "body"), _named_read_queries())
def test_every_named_read_query_passes_the_guard(name: str, body: str) -> None:
    check_read_only(body)


@pytest.mark.parametrize("name", ["api_keys", "api_key_by_id"])
def test_the_named_key_queries_do_not(name: str) -> None:
    body = QuerySet.load(REPO_ROOT / "cypher" / "queries")[name].body
    with pytest.raises(CrimegraphError) as raised:
        check_read_only(body)
    assert raised.value.status == 403


@pytest.mark.parametrize("query", B2_QUERIES.values(), ids=B2_QUERIES.keys())
def test_key_records_reached_without_naming_them_are_refused_or_absent(
    analyst: TestClient,
    seeded_module: Store,
    baseline: tuple[tuple[int, int], list[str]],
    query: str,
) -> None:
    """403, or an answer without any key's id, name or hash. The text guard lets these
    through by design: the engine's lock keeps the promise (the analysts' database user
    cannot open the database the keys are in, tests/test_security_db.py)."""
    keys = KeyStore(seeded_module, ttl=0)
    secrets: set[str] = set()
    for info in keys.list():
        row = seeded_module.security.run("api_key_by_id", {"key": info.id})[0]
        secrets |= {info.id, info.name, str(row["hash"])}
    assert secrets, "the session has keys to leak"
    response = analyst.post("/api/v1/cypher", json={"query": query})
    assert response.status_code in (200, 403), response.text
    assert sorted(s for s in secrets if s in response.text) == []
    assert not _analysts_can_read_keys(seeded_module)
    assert _state(seeded_module) == baseline


def _analysts_can_read_keys(store: Store) -> bool:
    """Past the guard, straight to the engine as the analysts' user."""
    try:
        _, rows, _ = store.run_analyst_text("MATCH (k:ApiKey) RETURN count(k) AS c", {}, 1)
    except CrimegraphError:
        return False
    return bool(rows and rows[0][0])


# ---------------------------------------------------------------------------------------------
# The lexer against the engine itself


@pytest.mark.parametrize(("name", "char"), TERMINATORS.items())
def test_comments_end_exactly_where_the_engine_ends_them(
    seeded_module: Store, name: str, char: str
) -> None:
    """The engine (as the analysts' user, past the guard) ends a `//` comment at this
    character iff the lexer does; where the lexer is unsure, it refuses."""
    query = f"RETURN 1 AS x // c{char} UNION RETURN 2 AS x"
    _, rows, _ = seeded_module.run_analyst_text(query, {}, 10)
    engine_ends_comment = len(rows) == 2
    try:
        comment = tokenize(query)[4]
    except CypherLexError:
        assert not engine_ends_comment, f"the lexer refuses a comment the engine ends at {name}"
        return
    assert comment.kind == "comment"
    assert (comment.end == query.index(char)) == engine_ends_comment


WHITESPACE = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\xa0", "\u2003", "\u2028"]


@pytest.mark.parametrize("char", WHITESPACE, ids=[f"U+{ord(c):04X}" for c in WHITESPACE])
def test_what_the_lexer_skips_as_whitespace_the_engine_does_too(
    seeded_module: Store, char: str
) -> None:
    query = f"RETURN{char}1{char}AS{char}x"
    assert [t.text for t in tokenize(query)] == ["RETURN", "1", "AS", "x"]
    _, rows, _ = seeded_module.run_analyst_text(query, {}, 10)
    assert rows == [[1]]


def test_block_comments_do_not_nest_in_the_engine(seeded_module: Store) -> None:
    """Why the lexer refuses `/*` inside a comment: the engine ends it at the first `*/`."""
    query = "RETURN 1 AS x /* a /* b */ UNION RETURN 2 AS x"
    _, rows, _ = seeded_module.run_analyst_text(query, {}, 10)
    assert len(rows) == 2
    with pytest.raises(CypherLexError, match="nested"):
        tokenize(query)


# ---------------------------------------------------------------------------------------------
# The lexer's tokens


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("// x\rMATCH", ["comment", "name"]),
        ("// x\r\nMATCH", ["comment", "name"]),
        ("/* a\nb */ 'x\\'y' \"z\" `a``b` $p 1.5e-3 ..", None),
    ],
)
def test_tokens(text: str, kinds: list[str] | None) -> None:
    tokens = tokenize(text)
    if kinds is not None:
        assert [t.kind for t in tokens] == kinds
    else:
        assert [(t.kind, t.value) for t in tokens] == [
            ("comment", "/* a\nb */"),
            ("string", "x'y"),
            ("string", "z"),
            ("quoted_name", "a`b"),
            ("symbol", "$"),
            ("name", "p"),
            ("number", "1.5e-3"),
            ("symbol", ".."),
        ]


# ---------------------------------------------------------------------------------------------
# The lexer against Neo4j's own Cypher library (the CI's lint): comments, strings, names

ORACLE_SCRIPT = """
import { readFileSync } from 'node:fs';
import { highlightSyntax } from '@neo4j-cypher/language-support';
const queries = JSON.parse(readFileSync(0, 'utf8'));
const out = queries.map((q) => highlightSyntax(q).map((t) => [t.position.startOffset, t.length,
  t.tokenType === 'comment' ? 'c' : t.tokenType === 'stringLiteral' ? 's'
    : t.token.startsWith('`') ? 'q' : t.token === ';' ? ';' : '.']));
console.log(JSON.stringify(out));
"""
LINT_DIR = REPO_ROOT / "tools" / "cypher-lint"


def _mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """One character per UTF-16 unit of `text`: the class of the token over it, or `.` for
    other code; whitespace (where the library splits multi-line tokens) is left out."""
    units: list[str] = []
    for char in text:
        units.extend([char] * (2 if ord(char) > 0xFFFF else 1))
    mask = ["." for _ in units]
    for start, length, kind in spans:
        for i in range(start, min(start + length, len(mask))):
            mask[i] = kind
    return "".join(m for m, char in zip(mask, units, strict=True) if not char.isspace())


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def _our_spans(text: str, tokens: list[Token]) -> list[tuple[int, int, str]]:
    kinds = {"comment": "c", "string": "s", "quoted_name": "q"}
    return [
        (
            _utf16(text, t.start),
            _utf16(text, t.end) - _utf16(text, t.start),
            kinds.get(t.kind, ";" if t.is_symbol(";") else "."),
        )
        for t in tokens
    ]


def test_comments_strings_and_names_agree_with_neo4js_cypher_library() -> None:
    node = shutil.which("node")
    if node is None or not (LINT_DIR / "node_modules").is_dir():
        pytest.fail("needs node and tools/cypher-lint/node_modules (`make test` installs them)")
    corpus: list[tuple[str, list[Token]]] = []
    for text in [*HOSTILE.values(), *B2_QUERIES.values(), *LEGITIMATE]:
        try:
            corpus.append((text, tokenize(text)))
        except CypherLexError:
            continue  # refused: no reading to compare
    corpus += [(body, tokenize(body)) for _, body in _named_read_queries()]
    assert len(corpus) > 150
    # Run from the linter's folder, so that the library resolves from its node_modules.
    done = subprocess.run(
        [node, "--input-type=module", "--eval", ORACLE_SCRIPT],
        cwd=LINT_DIR,
        input=json.dumps([text for text, _ in corpus]),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    theirs = json.loads(done.stdout)
    disagreements = [
        text
        for (text, tokens), spans in zip(corpus, theirs, strict=True)
        if _mask(text, _our_spans(text, tokens)) != _mask(text, [tuple(s) for s in spans])
    ]
    assert disagreements == []
