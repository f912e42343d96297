"""Hostile input through every string parameter of every documented route.

A corpus of Cypher-injection and encoding hazards (quotes, back-ticks, unicode escapes,
comments, `}` and `)` breakouts, stacked statements, file access, procedures, label and
relationship-type names, sort keys, very long strings, NUL and control characters, RTL
overrides, emoji, lone surrogates) is sent through each string slot of each operation of
the app's OpenAPI document: path parameters, query parameters and JSON body fields, found
by walking the document, so a new route or field is covered without editing this file.

Each request carries one corpus string in one slot; the other required inputs are valid,
so the request reaches the code behind the slot. For every response:

- no 5xx, and the status is one the operation documents;
- an error has the one error shape, `{"error": {status, code, message, details}}`;
- afterwards the canary (the seed graph and a snapshot: every node and relationship with
  all its properties, as `canonical_dump` returns them) is still there, its counts and
  content hash unchanged. A read route adds nothing either (snapshots aside: freezing one
  is a read's legitimate record); the documented write routes (ingesting a document,
  deciding a candidate, an import) may add records, never alter the canary's.

The analysts' endpoint (`POST /api/v1/cypher`) must also answer 403 for every corpus
string that would write.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.store import Store


@dataclass(frozen=True)
class Hostile:
    name: str
    value: str
    writes: bool = False  # as Cypher text, would write, reach files or run a procedure


CORPUS: tuple[Hostile, ...] = (
    Hostile("single quote", "'"),
    Hostile("double quote", '"'),
    Hostile("backtick", "`"),
    Hostile("unicode-escaped quote", "\\u0027 OR 1=1 //"),
    Hostile("unicode-escaped backtick and quote", "\\u0060\\u0022\\U00000027"),
    Hostile("escaped quote", "\\' OR 1=1 //"),
    Hostile("line comment", "x // trailing comment"),
    Hostile("block comment", "x /* block */ y"),
    Hostile("unterminated block comment", "x /* never closed"),
    Hostile("map breakout", "x'}) DETACH DELETE n //", writes=True),
    Hostile("pattern breakout", "x') MATCH (m) DETACH DELETE m //", writes=True),
    Hostile("stacked statement", "; MATCH (n) DETACH DELETE n", writes=True),
    Hostile("quoted stacked statement", "'; MATCH (n) DETACH DELETE n; //", writes=True),
    Hostile("tautology", "' OR 1=1 //"),
    Hostile("double-quoted tautology", '" OR ""="'),
    Hostile("load csv", "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", writes=True),
    Hostile(
        "apoc runWrite",
        "CALL apoc.cypher.runWrite('MATCH (n) DETACH DELETE n', {})",
        writes=True,
    ),
    Hostile(
        "apoc runWrite, back-ticked",
        "CALL `apoc`.`cypher`.`runWrite`('MATCH (n) DETACH DELETE n', {})",
        writes=True,
    ),
    Hostile(
        "create user", "CALL dbms.security.createUser('mallory', 'secret', false)", writes=True
    ),
    Hostile("set", "MATCH (n:Entity) SET n.name = 'pwned' RETURN n", writes=True),
    Hostile("create", "CREATE (:Entity:Person {id: 'injected', name: 'Injected'})", writes=True),
    Hostile("merge", "MERGE (n:Entity {id: 'injected'}) RETURN n", writes=True),
    Hostile("label breakout", "Person) DETACH DELETE (n", writes=True),
    Hostile("relationship type alternation", "MENTIONS|FOO"),
    Hostile("relationship breakout", "MENTIONS]->(m) DETACH DELETE m //", writes=True),
    Hostile("sort key", "name DESC; DROP", writes=True),
    Hostile("sort key with index drop", "n.name DESC; DROP INDEX entity_id_unique", writes=True),
    Hostile("parameter name", "$id"),
    Hostile("map literal", "{id: 'x', `y`: $z}"),
    Hostile("lucene syntax", '*:* OR amra~1^9 AND ("'),
    Hostile("path traversal", "../../../etc/passwd"),
    Hostile("percent escapes", "%00%2F%27%ZZ"),
    Hostile("format string", "{0}{1}%s%n%x"),
    Hostile("json operator", '{"$ne": null}'),
    Hostile("markup", "<script>alert(1)</script>"),
    Hostile("header injection", "x\r\nSet-Cookie: a=b"),
    Hostile("very long", "A" * 10_000),
    Hostile("very long quotes", "'\"`" * 2_000),
    Hostile("NUL", "a\x00b"),
    Hostile("control characters", "\x01\x07\x08\x0b\x0c\x1b[31m\x7f\t\r\n"),
    Hostile("RTL override", "\u202egnp.exe\u202c \u2066x\u2069 \u200f"),
    Hostile("zero-width inside a keyword", "DE\u200bTACH DELETE"),
    Hostile(
        "fullwidth keywords",
        "\uff2d\uff21\uff34\uff23\uff28 (n) \uff24\uff25\uff34\uff21\uff23\uff28 \uff24\uff25\uff2c\uff25\uff34\uff25 n",
    ),
    Hostile("emoji", "\U0001f600\U0001f525\U0001f468\u200d\U0001f469\u200d\U0001f467"),
    Hostile("lone surrogate", "\ud800"),
    Hostile("empty", ""),
    Hostile("blank", "   "),
    Hostile("not a date", "2024-13-45"),
)

# The app's own OpenAPI document, built by the same factory the server uses (this starts
# nothing; the database opens in the lifespan).
OPENAPI: dict[str, Any] = create_app(Settings()).openapi()
METHODS = ("get", "post", "put", "patch", "delete")

# A template an analyst's tool might fill with text it did not write: breakouts from the
# string literal must still be refused, and nothing may write.
ANALYST_TEMPLATE = "MATCH (n:Entity) WHERE n.name = '{}' RETURN n.id AS id LIMIT 1"


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = OPENAPI["components"]["schemas"][name]
    return schema


def _string_slots(schema: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The places in a JSON schema where a string goes: `[]` is an array's item, `*` a
    free-form object's value."""
    schema = _resolve(schema)
    seen: set[tuple[str, ...]] = set()
    for alternative in schema.get("anyOf", []) + schema.get("oneOf", []):
        for slot in _string_slots(alternative, path):
            if slot not in seen:
                seen.add(slot)
                yield slot
    kind = schema.get("type")
    if kind == "string":
        yield path
    elif kind == "array":
        items = _resolve(schema.get("items", {}))
        if items.get("type") == "string" or any(
            _resolve(a).get("type") == "string" for a in items.get("anyOf", [])
        ):
            yield (*path, "[]")
    elif kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        for name, sub in properties.items():
            yield from _string_slots(sub, (*path, name))
        if not properties and schema.get("additionalProperties", True) is not False:
            yield (*path, "*")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def statuses(self) -> set[int]:
        return {int(code) for code in self.spec["responses"]}

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    @property
    def body_schema(self) -> dict[str, Any] | None:
        body = self.spec.get("requestBody")
        if body is None:
            return None
        schema: dict[str, Any] = body["content"]["application/json"]["schema"]
        return schema

    def slots(self) -> list[tuple[str, tuple[str, ...]]]:
        """(location, path) of every string slot: ("path", (name,)), ("query", (name,)) or
        ("query", (name, "[]")) and ("body", (field, ...))."""
        found: list[tuple[str, tuple[str, ...]]] = []
        for where in ("path", "query"):
            for param in self.parameters(where):
                found += [(where, (param["name"], *s)) for s in _string_slots(param["schema"])]
        if self.body_schema is not None:
            found += [("body", slot) for slot in _string_slots(self.body_schema)]
        return found


OPERATIONS = [
    Operation(method, path, spec)
    for path, item in OPENAPI["paths"].items()
    for method, spec in item.items()
    if method in METHODS
]


def _example(schema: dict[str, Any]) -> Any:
    schema = _resolve(schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    return None


@dataclass
class Seeded:
    """What a valid request needs: real ids from the seed graph and a stored snapshot."""

    ids: dict[str, str]
    snapshot_id: str


def _valid_value(param: dict[str, Any], seeded: Seeded) -> Any:
    """A value that makes a required parameter valid, so the hostile one is the only
    problem in the request."""
    by_name = {
        "entity_id": seeded.ids["Person"],
        "network_id": seeded.ids["CriminalNetwork"],
        "facility_id": seeded.ids["Facility"],
        "source_id": seeded.ids["Document"],
        "snapshot_id": seeded.snapshot_id,
        "format_name": "json",
        "from": seeded.ids["Person"],
        "to": seeded.ids["CriminalNetwork"],
    }
    if param["name"] in by_name:
        return by_name[param["name"]]
    example = param.get("example", _example(param["schema"]))
    if example is None:
        example = next(iter(param.get("examples", {}).values()), {}).get("value")
    return example if example is not None else "x"


def _bodies(op: Operation, seeded: Seeded) -> list[dict[str, Any]]:
    """Valid request bodies, from the document's examples and defaults; more than one
    where a body takes alternative shapes (snapshots: entity ids, or a named query)."""
    if op.label == "POST /api/v1/snapshots":
        person = seeded.ids["Person"]
        return [
            {"entity_ids": [person], "depth": 1},
            {"query": {"name": "entity_links", "params": {"id": person, "limit": 100}}},
        ]
    schema = _resolve(op.body_schema or {})
    if "properties" not in schema:
        example = _example(schema)
        return [dict(example) if isinstance(example, dict) else {}]
    body: dict[str, Any] = {}
    for name, sub in schema["properties"].items():
        value = _example(sub)
        if value is not None or name in schema.get("required", []):
            body[name] = value if value is not None else "x"
    return [body]


def _set(body: dict[str, Any], slot: tuple[str, ...], value: str) -> None:
    target: Any = body
    for key in slot[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    last = slot[-1]
    if last == "[]":
        raise AssertionError("array slots are set by their parent")
    if last == "*":
        strings = [k for k, v in target.items() if isinstance(v, str)]
        target[strings[0] if strings else "x"] = value
    else:
        target[last] = value


def _body_with(op: Operation, seeded: Seeded, slot: tuple[str, ...], value: str) -> Any:
    bodies = _bodies(op, seeded)
    body = next((b for b in bodies if slot[0] in b), bodies[0])
    if slot[-1] == "[]":
        _set(body, slot[:-1], "placeholder")
        parent: Any = body
        for key in slot[:-2]:
            parent = parent[key]
        parent[slot[-2]] = [value]
    else:
        _set(body, slot, value)
    return body


def _quote(value: Any) -> str:
    """Percent-encode as a client would; a lone surrogate goes as the bytes it would be."""
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def _request(
    op: Operation, seeded: Seeded, where: str, slot: tuple[str, ...], value: str
) -> tuple[str, str, bytes | None]:
    path = op.path
    for param in op.parameters("path"):
        given = value if (where, slot[0]) == ("path", param["name"]) else None
        actual = given if given is not None else _valid_value(param, seeded)
        path = path.replace("{" + param["name"] + "}", _quote(actual))
    query: list[tuple[str, Any]] = []
    for param in op.parameters("query"):
        if (where, slot[0]) == ("query", param["name"]):
            query.append((param["name"], value))
        elif param.get("required"):
            query.append((param["name"], _valid_value(param, seeded)))
    url = path + ("?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query) if query else "")
    body = None
    if op.body_schema is not None:
        data = _body_with(op, seeded, slot, value) if where == "body" else _bodies(op, seeded)[0]
        # ensure_ascii keeps a lone surrogate as the JSON escape \ud800: valid JSON text.
        body = json.dumps(data).encode()
    return op.method.upper(), url, body


def check_error_shape(response: Response) -> None:
    """The one error shape of tests/test_api.py, whatever the status and code."""
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, error
    assert error["status"] == response.status_code, error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], list), error


# --- the canary: the whole graph, hashed -------------------------------------------------


Records = dict[tuple[str, str], dict[str, Any]]

# Routes whose purpose is to add records to the graph (each adds, never alters).
WRITE_ROUTES = frozenset(
    {
        "POST /api/v1/documents",
        "POST /api/v1/imports",
        "POST /api/v1/review/candidates/{candidate_id}/accept",
        "POST /api/v1/review/candidates/{candidate_id}/reject",
        "POST /api/v1/resolution/decisions",
        "POST /api/v1/resolution/decisions/{decision_id}/undo",
    }
)


def graph_records(store: Store) -> Records:
    """Every node and relationship, keyed by kind and id."""
    return {(r["kind"], r["id"]): r for r in store.run("canonical_dump")}


def digest(records: Records) -> tuple[int, int, str]:
    """(nodes, relationships, sha256) of a set of records."""
    rows = [records[key] for key in sorted(records)]
    text = json.dumps(rows, sort_keys=True, default=str, ensure_ascii=False)
    nodes = sum(1 for kind, _ in records if kind == "node")
    return nodes, len(records) - nodes, hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Harness:
    client: TestClient
    store: Store
    seeded: Seeded
    canary: Records
    canary_digest: tuple[int, int, str]
    sent: dict[str, int]

    def assert_graph_unchanged(
        self, op_label: str | None = None, before: Records | None = None
    ) -> None:
        """The canary is intact; after a read route (op_label not a write route), nothing
        but snapshots was added since `before`."""
        now = graph_records(self.store)
        still = {key: now[key] for key in self.canary if key in now}
        assert digest(still) == self.canary_digest, "the canary subgraph changed"
        if before is not None and op_label not in WRITE_ROUTES:
            added = [
                key
                for key in now.keys() - before.keys()
                if "Snapshot" not in (now[key]["labels"] or [])
            ]
            assert not added, f"{op_label} added records: {sorted(added)[:5]}"


@pytest.fixture(scope="module")
def harness(
    engine: EngineHandle, settings: Settings, seeded_module: Store, auth_headers: dict[str, str]
) -> Iterator[Harness]:
    # As an admin: every route is reached, so the hostile string meets the code behind it.
    with TestClient(create_app(settings)) as lifespan:
        client = TestClient(lifespan.app, raise_server_exceptions=False, headers=auth_headers)
        rows = seeded_module.run("canonical_dump")
        ids: dict[str, str] = {}
        for row in rows:
            for label in row["labels"] if row["kind"] == "node" else ():
                ids.setdefault(label, row["id"])
        created = client.post("/api/v1/snapshots", json={"entity_ids": [ids["Person"]]})
        assert created.status_code == 201, created.text
        canary = graph_records(seeded_module)
        sent: dict[str, int] = {}
        yield Harness(
            client, seeded_module, Seeded(ids, created.json()["id"]), canary, digest(canary), sent
        )
        print(f"\nhostile input: {len(CORPUS)} corpus strings, {sum(sent.values())} requests")


def test_every_operation_has_its_string_slots_found() -> None:
    """The walk finds the slots this file was written against (so it keeps finding them)."""
    slots = {op.label: op.slots() for op in OPERATIONS}
    assert ("path", ("entity_id",)) in slots["GET /api/v1/entities/{entity_id}"]
    assert ("query", ("types", "[]")) in slots["GET /api/v1/paths"]
    assert ("body", ("query",)) in slots["POST /api/v1/cypher"]
    assert ("body", ("params", "*")) in slots["POST /api/v1/cypher"]
    assert ("body", ("*",)) in slots["POST /api/v1/queries/{name}/graph"]
    assert {("body", ("entity_ids", "[]")), ("body", ("query", "name"))} <= set(
        slots["POST /api/v1/snapshots"]
    )
    assert sum(len(s) for s in slots.values()) >= 50


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.slots()], ids=lambda op: op.label)
def test_hostile_strings_in_every_slot(harness: Harness, op: Operation) -> None:
    problems: list[str] = []
    before = graph_records(harness.store)
    for where, slot in op.slots():
        variants = [(entry, entry.value) for entry in CORPUS]
        if op.label == "POST /api/v1/cypher" and slot == ("query",):
            variants += [(entry, ANALYST_TEMPLATE.format(entry.value)) for entry in CORPUS]
        for entry, value in variants:
            method, url, body = _request(op, harness.seeded, where, slot, value)
            headers = {"content-type": "application/json"} if body is not None else {}
            response = harness.client.request(method, url, content=body, headers=headers)
            harness.sent[op.label] = harness.sent.get(op.label, 0) + 1
            where_slot = f"{where}.{'.'.join(slot)}"
            request = f"{method} {url[:200]} {(body or b'')[:300]!r}"
            answer = f"{response.status_code} {response.text[:300]}"
            if response.status_code >= 500 or response.status_code not in op.statuses:
                problems.append(f"[{entry.name} in {where_slot}] {request} -> {answer}")
                continue
            if response.status_code >= 400:
                try:
                    check_error_shape(response)
                except AssertionError as exc:
                    problems.append(f"[{entry.name} in {where_slot}] error shape: {exc}")
    harness.assert_graph_unchanged(op.label, before)
    assert not problems, f"{len(problems)} bad answer(s):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "entry", [entry for entry in CORPUS if entry.writes], ids=lambda entry: entry.name
)
def test_the_analysts_endpoint_refuses_every_writing_string(
    harness: Harness, entry: Hostile
) -> None:
    before = graph_records(harness.store)
    response = harness.client.post("/api/v1/cypher", json={"query": entry.value})
    harness.sent["POST /api/v1/cypher (writes)"] = (
        harness.sent.get("POST /api/v1/cypher (writes)", 0) + 1
    )
    assert response.status_code == 403, response.text
    check_error_shape(response)
    assert response.json()["error"]["code"] == "forbidden"
    harness.assert_graph_unchanged("POST /api/v1/cypher", before)


# --- found while probing: the same class of bug outside the string corpus ---------------


@pytest.mark.parametrize(
    "query",
    [
        "RETURN apoc.version() AS version",
        "MATCH (n:Entity) RETURN nosuch.function(n.name) AS x LIMIT 1",
    ],
)
def test_a_read_query_the_database_cannot_run_is_refused_not_a_500(
    harness: Harness, query: str
) -> None:
    """An unknown function passes the guard (it polices clauses and CALLs) and ArcadeDB
    answers Neo.DatabaseError.General.UnknownError, which nothing translates."""
    response = harness.client.post("/api/v1/cypher", json={"query": query})
    assert response.status_code in (403, 422), response.text
    check_error_shape(response)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/cypher", {"query": "RETURN $n AS n", "params": {"n": 2**63}}),
        ("/api/v1/queries/entity_links/graph", {"id": "x", "limit": 2**63}),
        (
            "/api/v1/snapshots",
            {"query": {"name": "entity_links", "params": {"id": "x", "limit": 2**63}}},
        ),
    ],
    ids=["cypher params", "named query params", "snapshot query params"],
)
def test_an_integer_beyond_64_bits_is_a_422_not_a_500(
    harness: Harness, path: str, body: dict[str, Any]
) -> None:
    """JSON integers are unbounded; Bolt's are 64-bit, and the driver raises OverflowError
    while packing the parameters."""
    before = graph_records(harness.store)
    response = harness.client.post(path, json=body)
    assert response.status_code == 422, response.text
    check_error_shape(response)
    harness.assert_graph_unchanged(f"POST {path}", before)


# --- hostile files: an import stays within bounded memory and answers 422 -------------------

DEEP_JSON = b'{"a":' * 50000 + b"1" + b"}" * 50000  # 300 KB, the reported B5 body
BOMB_MEMBER = "Person.csv"
BOMB_BYTES = 300 * 1024 * 1024  # what the member unpacks to (the reported B6 zip)
RSS_BUDGET_KIB = 100 * 1024  # peak-RSS increase an import of the bomb may cost


def _error_with_detail(response: Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text[:500]
    check_error_shape(response)
    error: dict[str, Any] = response.json()["error"]
    return error


@pytest.mark.parametrize(
    ("query", "body", "line"),
    [
        ("", DEEP_JSON, 1),
        ("?format=ftm", DEEP_JSON, 1),
        ("?format=snapshot", DEEP_JSON, 1),
        ("?format=ftm", b'{"id": "x", "schema": "Person", "properties": {}}\n\n' + DEEP_JSON, 3),
        ("?format=ftm", b"[" * 100000, 1),  # never closed: the parser recursed all the same
        ("?format=snapshot", b'{\n  "nodes": [\n    ' + b"[" * 3000 + b"]" * 3000 + b"\n]}", 3),
        ("?file_name=deep.jsonl", b'{"properties": ' * 100 + b"{}" + b"}" * 100, 1),
    ],
    ids=["detected", "ftm", "snapshot", "ftm line 3", "unclosed", "snapshot line 3", "depth 101"],
)
def test_json_nested_too_deep_is_a_422_naming_the_line(
    store: Store, client: TestClient, query: str, body: bytes, line: int
) -> None:
    """B5: the parser recursed once per level and a 300 KB file was a 500 internal_error.
    The depth is checked before parsing, so the parser never recurses that deep."""
    error = _error_with_detail(client.post(f"/api/v1/imports{query}", content=body))
    deep = [d for d in error["details"] if "nested deeper than" in d["message"]]
    assert deep and deep[0]["line"] == line, error
    assert store.run("graph_totals")[0]["nodes"] == 0


def test_json_within_the_depth_limit_still_imports(store: Store, client: TestClient) -> None:
    nested = json.dumps({"id": "x", "schema": "Person", "properties": {"name": ["X"]}})
    response = client.post("/api/v1/imports?format=ftm", content=nested.encode())
    error = _error_with_detail(response)  # no source: refused for that, not for its depth
    assert not [d for d in error["details"] if "nested deeper" in d["message"]]


def _write_bomb(path: Path, size: int = BOMB_BYTES) -> None:
    """A zip (about 830 KB) whose one member unpacks to `size` bytes of rows of zeros,
    written in chunks so the test itself stays small."""
    row = b"0" * 1023 + b"\n"
    chunk = row * 1024
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(BOMB_MEMBER, "w") as member,
    ):
        member.write(b"id,name\n")
        for _ in range(size // len(chunk)):
            member.write(chunk)


def _lying_copy(path: Path, claimed: int) -> Path:
    """The same zip with its headers claiming the member is `claimed` bytes unpacked."""
    data = bytearray(path.read_bytes())
    # The unpacked size: 4 bytes at offset 22 of the local header, 24 of the central
    # directory's entry (zipfile reads the latter).
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        assert struct.unpack_from("<I", data, at)[0] > claimed
        struct.pack_into("<I", data, at, claimed)
    lying = path.with_name("lying.zip")
    lying.write_bytes(bytes(data))
    return lying


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    _write_bomb(path)
    assert path.stat().st_size < 1024 * 1024
    return path


# Runs in a fresh interpreter: ru_maxrss is the process's peak, so the baseline is taken
# after a small import has loaded every module the big one needs.
RSS_PROBE = r"""
import json, resource, sys
from graph.growth.imports import ImportSource, read_import
from graph.core.errors import CrimegraphError
from graph.model.schema import load_model

model = load_model()
small = open(sys.argv[2], "rb").read()
read_import(ImportSource("small.zip", small), model)
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    parsed = read_import(ImportSource("bomb.zip", data), model)
    problems = [p.detail() for p in parsed.problems]  # validation would reject with these
    message = "\n".join(f"{p['file']}: {p['message']}" for p in problems[:5])
    outcome = {"status": 422 if problems else None, "message": message, "details": problems[:5]}
except CrimegraphError as exc:
    outcome = {"status": exc.status, "message": exc.message[:2000], "details": exc.details[:5]}
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({**outcome, "rss_increase_kib": after - before}))
"""


def _import_in_a_subprocess(path: Path, tmp_path: Path) -> dict[str, Any]:
    """graph.growth.imports.read_import of the file in a new Python process: its outcome and the
    increase of the process's peak RSS (KiB) over the import."""
    small = tmp_path / "small.zip"
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Person.csv", "id,name\np-1,Small\n")
    done = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(path), str(small)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


@pytest.mark.parametrize("lies", [False, True], ids=["honest headers", "lying headers"])
def test_a_zip_bomb_is_refused_within_bounded_memory(
    zip_bomb: Path, tmp_path: Path, lies: bool
) -> None:
    """B6: a 300 KB zip whose Person.csv unpacks to 300 MB grew the API by 3 GB. Every
    member is read against an unpacked-size, a ratio and a total limit, streamed; a
    header that understates the size is caught while reading (zipfile stops at the size
    the header gives, and the CRC then disagrees)."""
    path = _lying_copy(zip_bomb, 1024 * 1024) if lies else zip_bomb
    outcome = _import_in_a_subprocess(path, tmp_path)
    assert outcome["status"] == 422, outcome
    assert f"bomb.zip/{BOMB_MEMBER}" in outcome["message"], outcome
    assert outcome["rss_increase_kib"] < RSS_BUDGET_KIB, outcome


def test_the_api_refuses_a_zip_bomb_naming_the_member(
    store: Store, client: TestClient, zip_bomb: Path
) -> None:
    response = client.post("/api/v1/imports?file_name=bomb.zip", content=zip_bomb.read_bytes())
    error = _error_with_detail(response)
    assert error["details"][0]["file"] == f"bomb.zip/{BOMB_MEMBER}", error
    assert "unpacks to" in error["details"][0]["message"], error
    assert store.run("graph_totals")[0]["nodes"] == 0


def test_a_zip_of_too_many_members_is_refused(store: Store, client: TestClient) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(1001):
            archive.writestr(f"part-{index}.txt", "")
    error = _error_with_detail(
        client.post("/api/v1/imports?file_name=many.zip", content=out.getvalue())
    )
    assert "members" in error["message"] and "1000" in error["message"], error
