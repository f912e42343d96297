"""A runaway analyst query is stopped by the engine, and analysts have slots of their own.

Asserts the mechanism, not the timing (benchmarks/runaway.py measures what viewers feel):
ArcadeDB runs a query to its end whatever the Bolt timeout, so the store has the engine
terminate it; the engine's own list of running queries must lose it.
"""

from __future__ import annotations

import concurrent.futures
import json
import time

import pytest
from fastapi.testclient import TestClient

from graph.core.errors import AnalystsBusy, QueryTimeout
from graph.db.arcadedb_server import QUERY_MAX_RANGE
from graph.db.dialect import _engine_server_command
from graph.db.store import Store
from tests.conftest import arcadedb_only
from tests.test_api import assert_error_shape

# Accepted by the text guard (six hops); on the seed graph it runs for minutes.
RUNAWAY = "MATCH p=(a:Person)-[*1..6]-(b)-[*1..4]-(c) RETURN count(p) AS paths"


def _running(store: Store, fragment: str) -> list[dict[str, object]]:
    listed = _engine_server_command(store.connection, "list queries")
    result = listed.get("result")
    assert isinstance(result, list)
    return [q for q in result if isinstance(q, dict) and fragment in str(q.get("text", ""))]


def _wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@arcadedb_only
def test_a_runaway_analyst_query_is_terminated_in_the_engine(seeded_store: Store) -> None:
    quick = Store(seeded_store.connection, seeded_store.queries, timeout=1.0, retry_time=0)
    try:
        with pytest.raises(QueryTimeout):
            quick.run_analyst_text(RUNAWAY, {}, 10)
        # Abandoned by the API: the engine must not keep working on it.
        assert _wait_until(lambda: not _running(seeded_store, RUNAWAY), 15), json.dumps(
            _running(seeded_store, RUNAWAY)
        )
        # Its slot is free again: the next analyst query runs.
        assert quick.run_analyst_text("RETURN 1 AS one", {}, 10)[1] == [[1]]
    finally:
        quick.close()


@arcadedb_only
def test_analysts_beyond_their_slots_are_refused_at_once(seeded_store: Store) -> None:
    store = Store(
        seeded_store.connection, seeded_store.queries, 3.0, retry_time=0, analyst_concurrency=1
    )
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            first = pool.submit(store.run_analyst_text, RUNAWAY, {}, 10)
            assert _wait_until(lambda: _running(seeded_store, RUNAWAY), 10)
            started = time.monotonic()
            with pytest.raises(AnalystsBusy):
                store.run_analyst_text("RETURN 1 AS one", {}, 10)
            assert time.monotonic() - started < 1.0  # refused, not queued behind the runaway
            # Named reads (viewers) do not wait for the analysts' slot.
            assert store.run("graph_totals")[0]["nodes"] > 0
            with pytest.raises(QueryTimeout):
                first.result()
        assert _wait_until(lambda: not _running(seeded_store, RUNAWAY), 15)
    finally:
        store.close()


def test_a_busy_analyst_answer_is_503_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*args: object) -> None:
        raise AnalystsBusy("every slot for analysts' queries is taken; try again shortly")

    store = client.app.state.graph.store  # type: ignore[attr-defined]
    monkeypatch.setattr(store, "run_analyst_text", busy)
    response = client.post("/api/v1/cypher", json={"query": "RETURN 1 AS one"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json()["error"]["code"] == "analysts_busy"


@arcadedb_only
def test_the_engine_caps_range_so_one_expression_cannot_run_for_an_hour(
    client: TestClient,
) -> None:
    """ArcadeDB stops a query only between rows, never inside one expression, so the engine
    itself refuses the lists a quadratic `reduce` would need (graph.db.arcadedb_server)."""
    at_cap = client.post(
        "/api/v1/cypher", json={"query": f"RETURN size(range(1, {QUERY_MAX_RANGE})) AS n"}
    )
    assert at_cap.status_code == 200, at_cap.text
    assert at_cap.json()["rows"] == [[QUERY_MAX_RANGE]]
    over = client.post(
        "/api/v1/cypher", json={"query": f"RETURN size(range(0, {QUERY_MAX_RANGE})) AS n"}
    )
    assert_error_shape(over, 422, "invalid_input")
    # Quadratic: minutes of one core without the cap (the engine's own default cap is a
    # sixth of the heap in elements, millions), refused at once with it.
    runaway = "RETURN reduce(s = '', x IN range(1, 1000000) | s + 'a') AS s"
    assert_error_shape(client.post("/api/v1/cypher", json={"query": runaway}), 422, "invalid_input")
