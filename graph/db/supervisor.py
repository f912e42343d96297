"""Keeps the embedded engine alive for the API: restarts it when it dies.

crimegraph starts the embedded ArcadeDB engine itself, so nothing else (no systemd unit, no
container runtime) would bring it back after a `kill -9`, an out-of-memory kill or a crash.
The API's supervisor notices a death within `engine_watch_seconds` (the engine's state file
names a process that is gone; a deliberate `crimegraph engine stop` removes the file, so it
is left alone), starts the engine again under the data dir's lock (so two API processes never
start two engines), and backs off exponentially while starts fail. Each death, restart and
failed restart is logged and handed to `on_event` (the API writes it to the audit log), and
`status()` is what `/ready` reports.

The engine comes back on the ports it had while they are free (graph.db.engine), and the
driver's pool replaces its dead connections by itself. When they were taken, it comes back on
others, and `on_moved` (the API's Store.reconnect) points the process at them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from graph.core.errors import CrimegraphError
from graph.db.engine import Connection, EmbeddedEngine

log = logging.getLogger("crimegraph.engine")

EngineState = Literal["running", "restarting", "failed"]
EngineEvent = Literal["engine_died", "engine_restarted", "engine_restart_failed"]
# (event, message, facts): what on_event receives.
EventSink = Callable[[EngineEvent, str, dict[str, object]], None]


class SupervisedHandle(Protocol):
    """What the supervisor needs of graph.db.engine.EngineHandle."""

    connection: Connection

    @property
    def embedded(self) -> EmbeddedEngine | None: ...

    def restart(self) -> Connection | None: ...


@dataclass(frozen=True)
class EngineStatus:
    """What happened to the engine since this process started."""

    state: EngineState
    restarts: int = 0
    last_death: str | None = None
    last_restart: str | None = None
    last_error: str | None = None
    next_attempt_in: float | None = None  # seconds, while restarts fail

    def describe(self) -> str:
        """A sentence for /ready's 503 while the engine is not back."""
        if self.state == "failed":
            return (
                f"the embedded engine died at {self.last_death} and could not be restarted "
                f"({self.last_error}); next attempt in {self.next_attempt_in:g} s"
            )
        return f"the embedded engine died at {self.last_death}; restarting it"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class EngineSupervisor:
    """Watches the embedded engine of one handle from a daemon thread."""

    def __init__(
        self,
        handle: SupervisedHandle,
        engine: EmbeddedEngine,
        on_event: EventSink,
        *,
        interval: float = 1.0,
        max_backoff: float = 60.0,
        on_moved: Callable[[Connection], None] | None = None,
    ) -> None:
        self._handle = handle
        self._on_moved = on_moved
        self._followed_uri = handle.connection.uri  # where this process's drivers point
        self._engine = engine
        self._on_event = on_event
        self._interval = interval
        self._max_backoff = max_backoff
        self._status = EngineStatus(state="running")
        self._failures = 0
        self._stopping = threading.Event()
        self._checking = threading.Lock()  # one look at a time: never two restarts at once
        self._thread: threading.Thread | None = None

    @classmethod
    def for_handle(
        cls,
        handle: SupervisedHandle,
        on_event: EventSink,
        interval: float,
        max_backoff: float,
        on_moved: Callable[[Connection], None] | None = None,
    ) -> EngineSupervisor | None:
        """A supervisor for an embedded engine; None on Neo4j, which runs on its own."""
        engine = handle.embedded
        if engine is None:
            return None
        return cls(
            handle, engine, on_event, interval=interval, max_backoff=max_backoff, on_moved=on_moved
        )

    def status(self) -> EngineStatus:
        return self._status

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="engine-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self._max_backoff + 5)

    def _run(self) -> None:
        wait = self._interval
        while not self._stopping.wait(wait):
            wait = self.check()

    def check(self) -> float:
        """One look at the engine, restarting it if it died (or a restart is owed); returns
        the seconds to wait before the next look."""
        with self._checking:
            return self._check()

    def _check(self) -> float:
        if self._status.state == "running":
            if not self._engine.died():
                return self._interval
            self._status = EngineStatus(
                state="restarting",
                restarts=self._status.restarts,
                last_death=_now(),
                last_restart=self._status.last_restart,
            )
            log.error("the embedded engine died (%s); restarting it", self._engine.data_dir)
            self._emit("engine_died", "the embedded engine died; restarting it")
        return self._restart()

    def _restart(self) -> float:
        try:
            connection = self._handle.restart()
            current = self._handle.connection  # whoever started it, this is where it serves
            if current.uri != self._followed_uri:
                if self._on_moved is None:
                    raise OSError(
                        f"the engine came back on {current.uri}, not {self._followed_uri}"
                    )
                self._on_moved(current)
                self._followed_uri = current.uri
        except (CrimegraphError, OSError) as exc:
            self._failures += 1
            backoff = min(self._interval * 2.0**self._failures, self._max_backoff)
            message = exc.message if isinstance(exc, CrimegraphError) else str(exc)
            first_line = message.splitlines()[0] if message else type(exc).__name__
            self._status = replace(
                self._status, state="failed", last_error=first_line, next_attempt_in=backoff
            )
            log.error("restarting the embedded engine failed: %s (again in %g s)", message, backoff)
            self._emit("engine_restart_failed", first_line, attempt=self._failures)
            return backoff
        self._failures = 0
        if connection is None:
            # Someone else (another API process, `crimegraph engine start`) brought it back.
            self._status = replace(self._status, state="running", next_attempt_in=None)
            return self._interval
        self._status = EngineStatus(
            state="running",
            restarts=self._status.restarts + 1,
            last_death=self._status.last_death,
            last_restart=_now(),
        )
        log.warning("the embedded engine was restarted: %s", connection.uri)
        self._emit("engine_restarted", f"the embedded engine was restarted on {connection.uri}")
        return self._interval

    def _emit(self, event: EngineEvent, message: str, **facts: object) -> None:
        status = self._status
        facts = {"state": status.state, "restarts": status.restarts, **facts}
        try:
            self._on_event(event, message, facts)
        except Exception:  # the supervisor outlives a failing sink (e.g. a full disk)
            log.exception("could not record the engine event %s", event)
