"""docs/api.md cannot drift from the server: every curl command in it runs against the seeded
app, and the answer shown under it must match the answer the server gives.

The command is run by bash (so `$KEY`, `$TYPES` and quoting work as a reader's shell does them)
with `curl` replaced by a function that records its arguments; the request is then sent as curl
would send it (`-d` without a Content-Type header is form data, as with the real curl). In a
documented answer `…` stands for what was left out: in an object, other keys; in a list, other
items (the shown ones must appear in order); in a text, any characters.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from graph.access.auth import KeyStore, Role
from graph.core.settings import REPO_ROOT, Settings
from graph.db.store import Store

DOCS = [REPO_ROOT / "docs" / "api.md"]
BASE_URL = "http://127.0.0.1:8000"
GAP = "\x00gap"  # what `…` outside a text becomes in a parsed documented answer
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    show_headers: bool = False


@dataclass
class Example:
    where: str  # file:line, for the failure message
    commands: str  # the shell block
    answers: list[str]  # the blocks right after it, one per curl (fewer when not shown)


def examples(path: Path) -> Iterator[Example]:
    """Each ```sh block with a curl, and the answer blocks that follow it directly."""
    text = path.read_text(encoding="utf-8")
    blocks = list(FENCE.finditer(text))
    for i, block in enumerate(blocks):
        if block.group(1) != "sh" or "curl" not in block.group(2):
            continue
        answers, end = [], block.end()
        for following in blocks[i + 1 :]:
            if text[end : following.start()].strip() or following.group(1) == "sh":
                break
            answers.append(following.group(2))
            end = following.end()
        line = text.count("\n", 0, block.start()) + 1
        yield Example(f"{path.name}:{line}", block.group(2), answers)


def curl_requests(commands: str, env: dict[str, str]) -> list[Request]:
    """The requests a shell block's curl commands send, in order."""
    recorder = "curl() { printf '%s\\0' \"$@\"; printf '\\x1e\\0'; }\n"
    run = subprocess.run(
        ["bash", "-c", recorder + commands],
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=30,
        check=True,
    )
    calls = run.stdout.decode().split("\x1e\0")[:-1]
    return [parse_curl([a for a in call.split("\0") if a != ""]) for call in calls]


def parse_curl(args: list[str]) -> Request:
    request = Request("GET", "")
    data: str | None = None
    it = iter(args)
    for arg in it:
        if arg in ("-s", "--silent"):
            continue
        if arg in ("-i", "-si", "-is"):
            request.show_headers = True
        elif arg in ("-X", "--request"):
            request.method = next(it)
        elif arg in ("-H", "--header"):
            name, _, value = next(it).partition(":")
            request.headers[name.strip().lower()] = value.strip()
        elif arg in ("-d", "--data", "--data-binary", "--data-raw"):
            data = next(it)
        elif arg.startswith("http"):
            request.url = arg
        else:
            raise AssertionError(f"the docs test does not know curl's {arg!r}: teach it")
    if data is not None:
        request.body = data.encode()
        request.method = "POST" if request.method == "GET" else request.method
        # What curl does: -d is a form unless the command says otherwise.
        request.headers.setdefault("content-type", "application/x-www-form-urlencoded")
    assert request.url.startswith(BASE_URL), request.url
    request.url = request.url[len(BASE_URL) :]
    return request


def documented(answer: str) -> Any:
    """A documented JSON answer, `…` outside texts turned into GAP markers."""
    out: list[str] = []
    stack: list[str] = []
    in_text = escaped = False
    for char in answer:
        if in_text:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_text = False
            continue
        if char == '"':
            in_text = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}":
            stack.pop()
        elif char == "…":
            last = "".join(out).rstrip()[-1:]
            in_value = stack[-1] == "[" or last == ":"
            out.append(json.dumps(GAP) if in_value else f"{json.dumps(GAP)}: null")
            continue
        out.append(char)
    return json.loads("".join(out))


def mismatches(shown: Any, actual: Any, where: str = "$") -> list[str]:
    """How a documented answer differs from the real one (empty when it matches)."""
    if shown == GAP:
        return []
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: documented an object, got {actual!r}"]
        keys = set(shown) - {GAP}
        problems = [f"{where}.{k}: documented, not in the answer" for k in keys - set(actual)]
        if GAP not in shown:
            problems += [f"{where}.{k}: in the answer, not documented" for k in set(actual) - keys]
        for k in sorted(keys & set(actual)):
            problems += mismatches(shown[k], actual[k], f"{where}.{k}")
        return problems
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return [f"{where}: documented a list, got {actual!r}"]
        items = [x for x in shown if x != GAP]
        if GAP not in shown and len(items) != len(actual):
            return [f"{where}: documented {len(items)} items, the answer has {len(actual)}"]
        position = 0
        for n, item in enumerate(items):
            first: list[str] | None = None
            while position < len(actual):
                found = mismatches(item, actual[position], f"{where}[{position}]")
                position += 1
                if not found:
                    break
                first = first or found
                if GAP not in shown:  # without a gap, the items pair up one to one
                    return found
            else:
                return first or [f"{where}: documented item {n} is not in the answer"]
        return []
    if isinstance(shown, str) and isinstance(actual, str) and "…" in shown:
        pattern = ".*".join(re.escape(part) for part in shown.split("…"))
        return [] if re.fullmatch(pattern, actual, re.DOTALL) else [f"{where}: {actual!r}"]
    if isinstance(shown, float) and isinstance(actual, int | float):
        return [] if math.isclose(shown, actual, rel_tol=1e-6) else [f"{where}: {actual!r}"]
    if type(shown) is not type(actual) or shown != actual:
        return [f"{where}: documented {shown!r}, the server says {actual!r}"]
    return []


def check(example: Example, request: Request, answer: str | None, response: Response) -> None:
    where = f"{example.where}: {request.method} {request.url}"
    if answer is None:  # no answer shown: it must at least succeed
        assert response.status_code < 300, f"{where}: {response.status_code} {response.text}"
        return
    if request.show_headers:  # the status line, headers, then the body, as curl -i shows them
        head, _, body = answer.partition("\n\n")
        status_line, *header_lines = head.splitlines()
        assert int(status_line.split()[1]) == response.status_code, f"{where}: {response.text}"
        for line in header_lines:
            name, _, value = line.partition(":")
            assert response.headers.get(name.strip()) == value.strip(), f"{where}: {name}"
        answer = body
    shown = documented(answer)
    status = shown["error"]["status"] if isinstance(shown, dict) and "error" in shown else None
    if status is None:
        assert response.status_code < 300, f"{where}: {response.status_code} {response.text}"
    else:
        assert response.status_code == status, f"{where}: {response.status_code} {response.text}"
    problems = mismatches(shown, response.json())
    assert not problems, f"{where}: the documented answer drifted:\n" + "\n".join(problems[:10])


@pytest.fixture(scope="module")
def keys(seeded_module: Store) -> dict[str, str]:
    """The shell variables the examples use: an admin key and a viewer key."""
    made = KeyStore(seeded_module, ttl=0)
    return {
        "KEY": made.create("docs admin", Role.ADMIN, created_by="tests")[1],
        "VIEWER_KEY": made.create("docs viewer", Role.VIEWER, created_by="tests")[1],
    }


@pytest.fixture(scope="module")
def server(seeded_module: Store, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:  # no default key: the docs send theirs
        yield client


@pytest.fixture(scope="module")
def server_without_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    down = Settings(
        data_dir=tmp_path_factory.mktemp("down"),
        neo4j_uri="bolt://127.0.0.1:9",
        neo4j_password="x",
    )
    with TestClient(create_app(down)) as client:
        yield client


ALL = [e for path in DOCS for e in examples(path)]


def test_the_docs_have_examples_to_check() -> None:
    assert len(ALL) > 20
    assert sum(len(e.answers) for e in ALL) > 20


@pytest.mark.parametrize("example", ALL, ids=[e.where for e in ALL])
def test_each_documented_command_gives_the_documented_answer(
    example: Example,
    server: TestClient,
    server_without_database: TestClient,
    keys: dict[str, str],
) -> None:
    requests = curl_requests(example.commands, keys)
    assert len(example.answers) <= len(requests), f"{example.where}: more answers than commands"
    # A command shown "while the database is down" is sent to a server without one.
    target = server_without_database if "database is down" in example.commands else server
    for request, answer in zip(requests, example.answers + [None] * len(requests), strict=False):
        response = target.request(
            request.method, request.url, headers=request.headers, content=request.body
        )
        check(example, request, answer, response)


TABLE_START = (
    "<!-- pages table: generated from /openapi.json by tests/test_api_docs.py; do not edit -->\n"
)
TABLE_END = "<!-- end of pages table -->"


def pages_table(document: dict[str, Any]) -> str:
    """Every GET route that takes a `limit`: what it lists, the bounds, how to go on."""
    schemas = document["components"]["schemas"]
    rows = [
        "| route | lists | `limit` | default | next page |",
        "|---|---|---|---|---|",
    ]
    for path, item in sorted(document["paths"].items()):
        operation = item.get("get")
        params = {p["name"]: p for p in (operation or {}).get("parameters", [])}
        if "limit" not in params:
            continue
        bounds = params["limit"]["schema"]
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        if "$ref" in answer:
            properties = schemas[answer["$ref"].rsplit("/", 1)[1]]["properties"]
            lists = ", ".join(f"`{k}`" for k, v in properties.items() if v.get("type") == "array")
        else:
            lists = "the answer (an array)"
        go_on = "`cursor`" if "cursor" in params else "`offset`" if "offset" in params else "none"
        rows.append(
            f"| `GET {path}` | {lists} | {bounds['minimum']}-{bounds['maximum']} "
            f"| {bounds['default']} | {go_on} |"
        )
    return "\n".join(rows) + "\n"


def test_the_pages_table_is_the_servers(server: TestClient) -> None:
    path = DOCS[0]
    text = path.read_text(encoding="utf-8")
    start = text.index(TABLE_START) + len(TABLE_START)
    end = text.index(TABLE_END)
    table = pages_table(server.app.openapi())  # type: ignore[attr-defined]
    if os.environ.get("CRIMEGRAPH_WRITE_DOCS") == "1":
        path.write_text(text[:start] + table + text[end:], encoding="utf-8")
        end = start + len(table)
        text = path.read_text(encoding="utf-8")
    assert text[start:end] == table, (
        "docs/api.md's pages table is not the server's: CRIMEGRAPH_WRITE_DOCS=1 writes it again"
    )


def test_the_answer_parser_sees_gaps_and_can_fail() -> None:
    shown = documented('{"a": [1, …], "b": "x…z", …}')
    assert mismatches(shown, {"a": [1, 2], "b": "xyz", "c": 0}) == []
    assert mismatches(shown, {"a": [2], "b": "xyz"}) != []
    assert mismatches(shown, {"a": [1], "b": "xy"}) != []
    assert mismatches(documented('{"a": 1}'), {"a": 1, "b": 2}) != []  # no gap: all keys
    assert mismatches(documented('["x", "y"]'), ["x"]) != []
