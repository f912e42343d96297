"""Requests the HTTP layer could refuse on its own (a 1 MB URL, a huge header), sent over a
real socket to the server `crimegraph serve` configures: answered in the one JSON error shape
and audited, not with the parser's plain-text 400."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from graph.cli.serve import server_config
from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.store import Store

MEGABYTE = 1_000_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(engine: EngineHandle, session_store: Store, settings: Settings) -> Iterator[Settings]:
    """The app under uvicorn with `crimegraph serve`'s own configuration, in a thread."""
    served = settings.model_copy(update={"port": _free_port()})
    app_server = uvicorn.Server(server_config(create_app(served), served))
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not app_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield served
    app_server.should_exit = True
    thread.join(timeout=30)


def raw_request(settings: Settings, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `head` as is; return the status, headers and body of the answer."""
    with socket.create_connection((settings.host, settings.port), timeout=30) as sock:
        sock.sendall(head)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
            top, _, body = received.partition(b"\r\n\r\n")
            length = [
                int(line.split(b":")[1])
                for line in top.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if length and len(body) >= length[0]:
                break
    top, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def audit_record(settings: Settings, marker: str) -> dict[str, Any]:
    """The audit record whose path starts with `marker` (written once the response is sent)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = settings.audit_path.read_text("utf-8") if settings.audit_path.exists() else ""
        for line in text.splitlines():
            record = json.loads(line)
            if str(record.get("path", "")).startswith(marker):
                return record  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"no audit record for {marker}")


def assert_json_error(
    status: int, headers: dict[str, str], body: bytes, expected: int, code: str
) -> None:
    assert status == expected
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == expected and error["code"] == code


def test_a_1_mb_url_is_a_414_in_the_json_shape_and_audited(server: Settings) -> None:
    marker = "/api/v1/stats/long-url-414"
    target = f"{marker}?q=" + "a" * MEGABYTE
    head = f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    assert_json_error(*raw_request(server, head), 414, "uri_too_long")
    record = audit_record(server, marker)
    assert record["status"] == 414 and record["outcome"] == "denied"
    assert "URL of" in record["reason"]
    assert len(record["path"]) < 4096 and len(json.dumps(record)) < 10_000, "not copied whole"


def test_a_huge_header_is_a_431_in_the_json_shape_and_audited(server: Settings) -> None:
    marker = "/api/v1/stats/huge-header-431"
    head = (
        f"GET {marker} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        f"X-Filler: {'b' * (MEGABYTE // 2)}\r\n\r\n"
    ).encode()
    assert_json_error(*raw_request(server, head), 431, "request_header_fields_too_large")
    record = audit_record(server, marker)
    assert record["status"] == 431 and record["outcome"] == "denied"
    assert "headers of" in record["reason"]


def test_past_the_parser_s_buffer_h11_answers_a_plain_400_as_documented(
    server: Settings,
) -> None:
    """docs/security.md: a request head larger than http_head_buffer_bytes never reaches the
    app; h11 refuses it. This is the one answer not in the JSON shape and not audited."""
    target = "/health?q=" + "a" * (2 * server.http_head_buffer_bytes)
    head = f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    status, headers, _ = raw_request(server, head)
    assert status == 400 and headers["content-type"].startswith("text/plain")
