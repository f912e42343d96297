"""The API restarts the embedded engine when it dies, says so on /ready and in the audit log,
and leaves alone an engine someone stopped on purpose (graph.db.supervisor)."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from graph.access import audit
from graph.access.auth import KeyStore, Role
from graph.core.errors import EngineError
from graph.core.settings import Settings
from graph.db.engine import Connection, EmbeddedEngine, _process_alive
from graph.db.supervisor import EngineSupervisor
from tests.conftest import arcadedb_only
from tests.test_api import assert_error_shape

CONNECTION = Connection("arcadedb", "bolt://127.0.0.1:1", "crimegraph", ("r", "p"), ("u", "p"))


class FakeEngine:
    def __init__(self) -> None:
        self.dead = False
        self.data_dir = Path("/nowhere")

    def died(self) -> bool:
        return self.dead


class FakeHandle:
    """An engine that dies when told and whose restarts fail while `failures` lasts."""

    connection = CONNECTION
    started_here = True

    def __init__(self, engine: FakeEngine, failures: int = 0) -> None:
        self.engine = engine
        self.failures = failures
        self.starts = 0

    @property
    def embedded(self) -> Any:
        return self.engine

    def restart(self) -> Connection | None:
        if self.failures:
            self.failures -= 1
            raise EngineError("the embedded engine exited with code 1 while starting\nlog tail")
        self.starts += 1
        self.engine.dead = False
        return CONNECTION


def supervised(handle: FakeHandle) -> tuple[EngineSupervisor, list[tuple[str, dict[str, object]]]]:
    events: list[tuple[str, dict[str, object]]] = []
    supervisor = EngineSupervisor.for_handle(
        handle, lambda event, message, facts: events.append((event, facts)), 1.0, 8.0
    )
    assert supervisor is not None
    return supervisor, events


def test_a_live_engine_is_left_alone() -> None:
    handle = FakeHandle(FakeEngine())
    supervisor, events = supervised(handle)
    assert supervisor.check() == 1.0
    assert (handle.starts, events, supervisor.status().state) == (0, [], "running")


def test_a_dead_engine_is_restarted_and_each_step_reported() -> None:
    engine = FakeEngine()
    handle = FakeHandle(engine)
    supervisor, events = supervised(handle)
    engine.dead = True
    assert supervisor.check() == 1.0
    status = supervisor.status()
    assert handle.starts == 1
    assert (status.state, status.restarts, status.last_error) == ("running", 1, None)
    assert status.last_death is not None and status.last_restart is not None
    assert [event for event, _ in events] == ["engine_died", "engine_restarted"]
    assert events[-1][1]["restarts"] == 1


def test_failed_restarts_back_off_and_say_why_until_one_succeeds() -> None:
    engine = FakeEngine()
    handle = FakeHandle(engine, failures=4)
    supervisor, events = supervised(handle)
    engine.dead = True
    waits = [supervisor.check() for _ in range(4)]
    assert waits == [2.0, 4.0, 8.0, 8.0]  # doubling, capped at max_backoff
    status = supervisor.status()
    assert status.state == "failed"
    assert status.last_error == "the embedded engine exited with code 1 while starting"
    assert "could not be restarted" in status.describe() and "next attempt in 8 s" in (
        status.describe()
    )
    # A death is reported once; each failed attempt on its own.
    assert [e for e, _ in events] == ["engine_died"] + ["engine_restart_failed"] * 4
    assert supervisor.check() == 1.0
    assert (supervisor.status().state, supervisor.status().restarts) == ("running", 1)
    assert events[-1][0] == "engine_restarted"


def test_no_supervisor_on_neo4j() -> None:
    class Neo4jHandle(FakeHandle):
        @property
        def embedded(self) -> Any:
            return None

    assert EngineSupervisor.for_handle(Neo4jHandle(FakeEngine()), print, 1.0, 8.0) is None


def _engine_pid(data_dir: Path) -> int:
    return int(json.loads((data_dir / "engine.json").read_text())["pid"])


def _wait_ready(api: TestClient, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.get("/ready")
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        # While the engine is down /ready says why, in the one error shape.
        code = response.json()["error"]["code"]
        assert code in ("database_unavailable", "query_timeout"), response.text
        assert_error_shape(response, 503, code)
        time.sleep(0.5)
    raise AssertionError(f"/ready not 200 within {timeout} s: {api.get('/ready').text}")


@arcadedb_only
def test_the_api_restarts_its_engine_after_kill_9(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        neo4j_uri=None,
        engine_heap="256m",
        key_cache_seconds=0,
        engine_watch_seconds=0.2,
    )
    engine = EmbeddedEngine.from_settings(settings)
    with TestClient(create_app(settings)) as api:
        assert _wait_ready(api, 60)["supervision"]["restarts"] == 0
        store = api.app.state.graph.store  # type: ignore[attr-defined]
        _, token = KeyStore(store, ttl=0).create("survivor", Role.ADMIN)
        api.headers["X-API-Key"] = token
        first = _engine_pid(settings.data_dir)

        os.kill(first, signal.SIGKILL)
        ready = _wait_ready(api, 120)

        second = _engine_pid(settings.data_dir)
        assert second != first and _process_alive(second)
        assert ready["supervision"]["restarts"] == 1
        assert ready["supervision"]["last_death"] and ready["supervision"]["last_restart"]
        # Nothing acknowledged before the kill is lost: the key made before it still works.
        assert api.get("/api/v1/stats").status_code == 200
        # Admins read the service's own records with the requests, in one shape.
        page = api.get("/api/v1/audit", params={"limit": 500})
        assert page.status_code == 200, page.text
        served = [r for r in page.json()["records"] if r["event"]]
        assert [(r["event"], r["status"], r["key_id"]) for r in reversed(served)] == [
            ("engine_died", 0, None),
            ("engine_restarted", 0, None),
        ]
    # The API owned the engine it restarted, so stopping the API stopped it.
    assert not _process_alive(second)
    assert engine.running_state() is None

    records = audit.read_records(settings.audit_path, limit=1000)[0]
    events = [r["event"] for r in reversed(records) if r.get("event")]
    assert events == ["engine_died", "engine_restarted"]
    assert audit.verify(settings.audit_path).ok


@arcadedb_only
def test_an_engine_stopped_on_purpose_is_not_restarted(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", neo4j_uri=None, engine_heap="256m")
    engine = EmbeddedEngine.from_settings(settings)
    with TestClient(create_app(settings)) as api:
        _wait_ready(api, 60)
        supervisor: EngineSupervisor = api.app.state.supervisor  # type: ignore[attr-defined]
        assert engine.stop()  # as `crimegraph engine stop` does
        assert supervisor.check() == settings.engine_watch_seconds
        assert supervisor.status().restarts == 0
        assert engine.running_state() is None


@arcadedb_only
def test_the_api_follows_its_engine_to_new_ports(tmp_path: Path) -> None:
    """When the old ports are taken by the time the engine comes back, it starts on others,
    and the API's drivers follow it there (they used to dial the old ports for ever)."""
    settings = Settings(
        data_dir=tmp_path / "data",
        neo4j_uri=None,
        engine_heap="256m",
        key_cache_seconds=0,
        engine_watch_seconds=2.0,
    )
    with TestClient(create_app(settings)) as api:
        _wait_ready(api, 60)
        store = api.app.state.graph.store  # type: ignore[attr-defined]
        _, token = KeyStore(store, ttl=0).create("mover", Role.VIEWER)
        api.headers["X-API-Key"] = token
        old_uri = store.connection.uri
        state = json.loads((settings.data_dir / "engine.json").read_text())
        with socket.socket() as squatter:  # someone else takes the Bolt port meanwhile
            # (past the connections the dead engine left in TIME_WAIT, as servers bind)
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            os.kill(state["pid"], signal.SIGKILL)
            deadline = time.monotonic() + 10
            while True:
                try:
                    squatter.bind(("127.0.0.1", state["bolt_port"]))
                    break
                except OSError:  # the dying engine still listens on it
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            squatter.listen()
            ready = _wait_ready(api, 120)
        assert ready["supervision"]["restarts"] == 1
        assert store.connection.uri != old_uri
        assert store.security.connection.uri == store.connection.uri
        assert api.get("/api/v1/stats").status_code == 200  # keys and graph, on the new ports
