"""An analyst query bound by one expression, which ArcadeDB cannot terminate, is ended by
restarting the engine: the store reports it after a grace period, the supervisor restarts
the engine it started (at most once per interval), audits it and says so on /ready."""

from __future__ import annotations

import concurrent.futures
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import graph.db.store
from api.app import create_app
from graph.access import audit
from graph.access.auth import KeyStore, Role
from graph.core.settings import Settings
from graph.db.dialect import _engine_server_command
from graph.db.engine import Connection, _process_alive
from graph.db.queries import QuerySet
from graph.db.readonly import check_read_only
from graph.db.store import Store
from graph.db.supervisor import EngineSupervisor
from tests.conftest import arcadedb_only
from tests.test_api import assert_error_shape
from tests.test_supervisor import FakeEngine, FakeHandle

# 40**7 (1.6e14) additions inside one RETURN expression, from a short literal list (no
# range(), whose size the engine caps): accepted by the text guard; ArcadeDB's
# `terminate query` marks it "terminating" and it runs on, a core busy, for days.
_LEVELS = 7
_LIST = "[" + ",".join(str(i) for i in range(1, 41)) + "]"
EXPRESSION_RUNAWAY = (
    f"WITH {_LIST} AS l RETURN "
    + "".join(f"reduce(a{i} = 0, x{i} IN l | a{i} + " for i in range(_LEVELS))
    + "1"
    + ")" * _LEVELS
    + " AS n"
)


class StoppableEngine(FakeEngine):
    def __init__(self) -> None:
        super().__init__()
        self.stops = 0

    def stop(self, timeout: float = 60.0, only_pid: int | None = None) -> bool:
        self.stops += 1
        return True


def runaway_supervisor(
    handle: FakeHandle, *, enabled: bool = True, interval: float = 600.0
) -> tuple[EngineSupervisor, list[tuple[str, dict[str, object]]]]:
    events: list[tuple[str, dict[str, object]]] = []
    supervisor = EngineSupervisor.for_handle(
        handle,
        lambda event, message, facts: events.append((event, facts)),
        1.0,
        8.0,
        runaway_restart=enabled,
        runaway_interval=interval,
    )
    assert supervisor is not None
    return supervisor, events


def test_the_expression_runaway_passes_the_text_guard() -> None:
    check_read_only(EXPRESSION_RUNAWAY)  # so only the engine can bound it


def test_a_runaway_query_restarts_the_engine_once_per_interval() -> None:
    engine = StoppableEngine()
    handle = FakeHandle(engine)
    supervisor, events = runaway_supervisor(handle, interval=600.0)
    assert supervisor.restart_for_runaway(["q1"]) is True
    assert (engine.stops, handle.starts) == (1, 1)
    status = supervisor.status()
    assert (status.state, status.restarts, status.runaway_restarts) == ("running", 1, 1)
    assert status.last_runaway_restart is not None
    assert [e for e, _ in events] == ["engine_runaway_restart", "engine_restarted"]
    assert events[0][1]["queries"] == ["q1"]
    # A second runaway within the interval is reported and left running: a query an
    # attacker repeats cannot keep the engine restarting.
    assert supervisor.restart_for_runaway(["q2"]) is False
    assert (engine.stops, handle.starts, supervisor.status().runaway_restarts) == (1, 1, 1)
    assert events[-1][0] == "engine_runaway_left_running"
    assert events[-1][1]["queries"] == ["q2"]


def test_runaways_reported_together_restart_the_engine_once() -> None:
    """Two analysts' runaways are found at once: the second report waits for the first
    restart, which has ended its query too, and is neither restarted again nor reported
    as left running."""

    class SlowEngine(StoppableEngine):
        def stop(self, timeout: float = 60.0, only_pid: int | None = None) -> bool:
            time.sleep(0.5)
            return super().stop(timeout, only_pid)

    engine = SlowEngine()
    handle = FakeHandle(engine)
    supervisor, events = runaway_supervisor(handle)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(supervisor.restart_for_runaway, ["q1"])
        time.sleep(0.2)  # the first one is stopping the engine
        second = pool.submit(supervisor.restart_for_runaway, ["q2"])
        assert first.result() is True and second.result() is True
    assert (engine.stops, handle.starts, supervisor.status().runaway_restarts) == (1, 1, 1)
    assert [e for e, _ in events] == ["engine_runaway_restart", "engine_restarted"]


def test_no_runaway_restart_when_off_or_when_the_engine_is_not_ours() -> None:
    engine = StoppableEngine()
    supervisor, events = runaway_supervisor(FakeHandle(engine), enabled=False)
    assert supervisor.restart_for_runaway(["q1"]) is False
    assert engine.stops == 0 and [e for e, _ in events] == ["engine_runaway_left_running"]

    class Borrowed(FakeHandle):
        started_here = False  # `crimegraph engine start` started it, not this API

    engine = StoppableEngine()
    supervisor, events = runaway_supervisor(Borrowed(engine))
    assert supervisor.restart_for_runaway(["q1"]) is False
    assert engine.stops == 0 and [e for e, _ in events] == ["engine_runaway_left_running"]


def test_a_failed_runaway_restart_says_why_on_ready() -> None:
    engine = StoppableEngine()
    supervisor, _ = runaway_supervisor(FakeHandle(engine, failures=1))
    assert supervisor.restart_for_runaway(["q1"]) is True
    status = supervisor.status()
    assert status.state == "failed"
    assert "to end an analyst query it could not terminate" in status.describe()
    assert supervisor.check() == 1.0  # the watcher's next look brings it back
    assert supervisor.status().state == "running"


CONNECTION = Connection("arcadedb", "bolt://127.0.0.1:1", "crimegraph", ("r", "p"), ("u", "p"))


def _abandoned_store(grace: float) -> tuple[Store, concurrent.futures.Future[Any]]:
    store = Store(CONNECTION, QuerySet.load(), 1.0, analyst_runaway_grace=grace)
    return store, concurrent.futures.Future()  # a worker that never returns


def test_the_store_reports_a_query_the_engine_lists_after_the_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def still_running(connection: Connection, marker: str) -> list[str]:
        asked.append(marker)
        return ["q7-abc"]  # the engine lists it however often it is told to terminate it

    monkeypatch.setattr(graph.db.store, "terminate_queries", still_running)
    store, future = _abandoned_store(grace=1.5)
    reported: list[list[str]] = []
    store.on_runaway = reported.append
    try:
        store._stop_analyst_query("crimegraph-analyst-x", future)
    finally:
        store.close()
    assert reported == [["q7-abc"]]
    assert len(asked) >= 2  # told again until the grace was over


def test_a_query_the_engine_stops_is_no_runaway(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([["q8-abc"]])

    def stopped_after_one(connection: Connection, marker: str) -> list[str]:
        return next(answers, [])

    monkeypatch.setattr(graph.db.store, "terminate_queries", stopped_after_one)
    store, future = _abandoned_store(grace=0.5)
    reported: list[list[str]] = []
    store.on_runaway = reported.append
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        stopper = pool.submit(store._stop_analyst_query, "crimegraph-analyst-y", future)
        time.sleep(3.0)  # past the grace: only a query still listed would be reported
        future.set_result(None)  # the worker returns: the engine ended the query
        stopper.result(timeout=5)
    finally:
        pool.shutdown()
        store.close()
    assert reported == []


def _engine_pid(data_dir: Path) -> int:
    return int(json.loads((data_dir / "engine.json").read_text())["pid"])


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@arcadedb_only
def test_an_expression_bound_runaway_is_ended_by_restarting_the_engine(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        neo4j_uri=None,
        engine_heap="256m",
        key_cache_seconds=0,
        engine_watch_seconds=0.5,
        query_timeout=2.0,
        analyst_runaway_grace=3.0,
    )
    with TestClient(create_app(settings)) as api:
        store = api.app.state.graph.store  # type: ignore[attr-defined]
        _, token = KeyStore(store, ttl=0).create("analyst", Role.ANALYST)
        api.headers["X-API-Key"] = token
        first = _engine_pid(settings.data_dir)

        answer = api.post("/api/v1/cypher", json={"query": EXPRESSION_RUNAWAY})
        assert_error_shape(answer, 503, "query_timeout")
        # Told to terminate it, the engine works on (the failure this test is about).
        busy_at = _cpu_seconds(first)
        time.sleep(0.5)
        assert _cpu_seconds(first) > busy_at
        deadline = time.monotonic() + 120
        ready: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = api.get("/ready")
            if response.status_code == 200:
                ready = response.json()
                if ready["supervision"].get("runaway_restarts") == 1:
                    break
            time.sleep(0.5)
        assert ready.get("supervision", {}).get("runaway_restarts") == 1, ready
        assert ready["supervision"]["last_runaway_restart"]
        # The engine that was burning a core on the query is gone, and the new one was not
        # sent it again (graph.db.store: no retry): the work stopped, where it used to run on
        # for days.
        assert not _process_alive(first)
        assert _engine_pid(settings.data_dir) != first
        listed = _engine_server_command(store.connection, "list queries")["result"]
        assert isinstance(listed, list)
        assert not [q for q in listed if "reduce(a0" in str(q.get("text", ""))], listed
        assert store.run_analyst_text("RETURN 1 AS one", {}, 10)[1] == [[1]]

    records = audit.read_records(settings.audit_path, limit=1000)[0]
    events = [r["event"] for r in reversed(records) if r.get("event")]
    assert events == ["engine_runaway_restart", "engine_restarted"]
    assert audit.verify(settings.audit_path).ok
