"""What one analyst query may cost: it is sent to the database once, whatever happens to the
connection (no driver retry re-sends an abandoned query to a restarted engine), and its
result is bounded in bytes, not only in rows (graph.db.store.Store.run_analyst_text)."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.core.errors import DatabaseUnavailable, QueryTimeout
from graph.core.settings import Settings
from graph.db.dialect import terminate_queries
from graph.db.engine import EngineHandle
from graph.db.store import Store
from tests.conftest import arcadedb_only
from tests.test_api import assert_error_shape

MARKER = b"crimegraph-analyst-"  # the comment the store puts in each analyst query's text
# Accepted by the text guard; on the seed graph it runs for minutes (tests/test_runaway.py).
LONG_QUERY = "MATCH p=(a:Person)-[*1..6]-(b)-[*1..4]-(c) RETURN count(p) AS paths"


class BoltProxy:
    """A TCP relay in front of the engine's Bolt port that counts the analyst queries the
    driver sends through it and can cut every connection at once, as a dying engine does."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._sent: list[bytearray] = []  # what clients sent, per connection
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def analyst_queries_sent(self) -> int:
        with self._lock:
            return sum(bytes(sent).count(MARKER) for sent in self._sent)

    def cut(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def close(self) -> None:
        self._listener.close()
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self._upstream))
            sent = bytearray()
            with self._lock:
                self._sockets += [client, server]
                self._sent.append(sent)
            threading.Thread(target=self._pump, args=(client, server, sent), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, log: bytearray | None) -> None:
        try:
            while data := source.recv(65536):
                if log is not None:
                    with self._lock:
                        log.extend(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(seeded_store: Store) -> Iterator[BoltProxy]:
    port = int(seeded_store.connection.uri.rsplit(":", 1)[1])
    relay = BoltProxy(port)
    yield relay
    relay.close()
    # The cut connection does not stop the engine's work: end what the test left running.
    deadline = time.monotonic() + 15
    while terminate_queries(seeded_store.connection, MARKER.decode()) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.5)


def _wait_until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@arcadedb_only
def test_an_analyst_query_is_sent_once_even_when_the_connection_dies(
    seeded_store: Store, proxy: BoltProxy
) -> None:
    """A2: the driver's managed transactions retry on a lost connection, which re-sent an
    abandoned analyst query to the restarted engine. Analysts' text runs in an explicit
    transaction, never retried: the connection's death is a 503 for that request."""
    connection = dataclasses.replace(seeded_store.connection, uri=f"bolt://127.0.0.1:{proxy.port}")
    # A long retry window: a managed transaction would have every chance to send it again.
    store = Store(connection, seeded_store.queries, timeout=6.0, retry_time=10.0)
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            answer = pool.submit(store.run_analyst_text, LONG_QUERY, {}, 10)
            assert _wait_until(lambda: proxy.analyst_queries_sent() == 1, 10)
            time.sleep(0.3)
            proxy.cut()  # the engine's connections die (kill -9, a runaway restart)
            with pytest.raises((DatabaseUnavailable, QueryTimeout)):
                answer.result(timeout=30)
            time.sleep(2.5)  # past the driver's first retry delay (1 s, jittered)
        assert proxy.analyst_queries_sent() == 1
    finally:
        store.close()


# A result far over the byte budget: 1,000 rows of a 256 KiB string each (250 MiB of JSON;
# the probe's peak after start-up is ~150 MiB, which a smaller result would hide in).
HUGE_RESULT = (
    "UNWIND range(1, 1000) AS i RETURN i, reduce(s = 'x', k IN range(1, 18) | s + s) AS big"
)
RSS_BUDGET_KIB = 64 * 1024  # the 16 MiB answer, its JSON, and the records in flight

# Runs in a fresh interpreter: ru_maxrss is the process's peak, so the baseline is taken
# after a smaller analyst query has loaded every module and connection the big one needs.
RSS_PROBE = r"""
import json, resource, sys
from pathlib import Path
from graph.db.engine import EmbeddedEngine
from graph.core.errors import CrimegraphError
from graph.db.queries import QuerySet
from graph.db.store import Store

engine = EmbeddedEngine(Path(sys.argv[1]), sys.argv[2], "512m", 60)
connection = engine.connection(engine.running_state())
store = Store(connection, QuerySet.load(Path(sys.argv[3])), 120.0)
store.run_analyst_text("UNWIND range(1, 1000) AS i RETURN i, 'warm' AS w", {}, 10000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    columns, rows, truncated = store.run_analyst_text(sys.argv[4], {}, 10000)
    outcome = {"status": 200, "rows": len(rows)}
except CrimegraphError as exc:
    outcome = {"status": exc.status, "code": exc.code, "message": exc.message}
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
store.close()
print(json.dumps({**outcome, "rss_increase_kib": after - before}))
"""


@arcadedb_only
def test_a_huge_analyst_result_is_refused_within_bounded_memory(
    settings: Settings, engine: EngineHandle
) -> None:
    """A5: rows were capped, bytes were not: one request took the API to 1.3 GB. The answer
    is measured as it streams; past the budget the store stops reading, and the process's
    peak RSS grows by the budget's order, not by the result's."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RSS_PROBE,
            str(settings.data_dir),
            settings.engine_database,
            str(root / "cypher" / "queries"),
            HUGE_RESULT,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=root,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert (outcome["status"], outcome.get("code")) == (422, "result_too_large"), outcome
    assert outcome["rss_increase_kib"] < RSS_BUDGET_KIB, outcome


def test_the_byte_budget_is_a_setting_answered_in_the_error_shape(
    settings: Settings, auth_headers: dict[str, str], seeded_store: Store
) -> None:
    small = settings.model_copy(update={"analyst_max_result_bytes": 4096})
    with TestClient(create_app(small), headers=auth_headers) as api:
        query = "UNWIND range(1, 100) AS i RETURN i, 'a fairly long value to fill the budget' AS v"
        response = api.post("/api/v1/cypher", json={"query": query, "limit": 10000})
        assert_error_shape(response, 422, "result_too_large")
        assert "4,096 bytes" in response.json()["error"]["message"]
        # Under the budget, the same endpoint answers.
        fits = api.post("/api/v1/cypher", json={"query": "RETURN 1 AS one"})
        assert fits.status_code == 200 and fits.json()["rows"] == [[1]]
