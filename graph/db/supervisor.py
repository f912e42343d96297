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

The supervisor also ends what the engine cannot: ArcadeDB stops a query only between rows,
so one bound by a single expression (`reduce` over nested lists) runs on after `terminate
query`. When the store reports such a runaway (graph.db.store, after a grace period), the
supervisor restarts the engine (`restart_for_runaway`), if this API started it, the setting
allows it and the last such restart is older than the interval; otherwise it reports the
runaway and leaves it running. Either way it is an event, and `/ready` counts the restarts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from graph.core.errors import CrimegraphError
from graph.db.engine import Connection, EmbeddedEngine

log = logging.getLogger("crimegraph.engine")

EngineState = Literal["running", "restarting", "failed"]
EngineEvent = Literal[
    "engine_died",
    "engine_restarted",
    "engine_restart_failed",
    "engine_runaway_restart",
    "engine_runaway_left_running",
]
RUNAWAY_STOP_TIMEOUT = 10.0  # seconds the engine gets to stop cleanly before SIGKILL
# (event, message, facts): what on_event receives.
EventSink = Callable[[EngineEvent, str, dict[str, object]], None]


class SupervisedHandle(Protocol):
    """What the supervisor needs of graph.db.engine.EngineHandle."""

    connection: Connection

    @property
    def embedded(self) -> EmbeddedEngine | None: ...

    @property
    def started_here(self) -> bool: ...

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
    runaway_restarts: int = 0  # of `restarts`, those that ended a runaway analyst query
    last_runaway_restart: str | None = None
    cause: Literal["died", "runaway"] = "died"  # why the engine is (being) restarted

    def describe(self) -> str:
        """A sentence for /ready's 503 while the engine is not back."""
        if self.cause == "runaway":
            stopped = (
                f"the embedded engine was stopped at {self.last_runaway_restart} to end an "
                "analyst query it could not terminate"
            )
            if self.state == "failed":
                return (
                    f"{stopped}, and could not be restarted ({self.last_error}); next "
                    f"attempt in {self.next_attempt_in:g} s"
                )
            return f"{stopped}; restarting it"
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
        runaway_restart: bool = False,
        runaway_interval: float = 600.0,
    ) -> None:
        self._handle = handle
        self._runaway_restart = runaway_restart
        self._runaway_interval = runaway_interval
        self._last_runaway_at: float | None = None  # time.monotonic() of the last one
        self._last_start_done: float | None = None  # when a restart last brought it back
        # Whether this process started the engine that runs now: only then may it stop it.
        self._owns_engine = handle.started_here
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
        runaway_restart: bool = False,
        runaway_interval: float = 600.0,
    ) -> EngineSupervisor | None:
        """A supervisor for an embedded engine; None on Neo4j, which runs on its own."""
        engine = handle.embedded
        if engine is None:
            return None
        return cls(
            handle,
            engine,
            on_event,
            interval=interval,
            max_backoff=max_backoff,
            on_moved=on_moved,
            runaway_restart=runaway_restart,
            runaway_interval=runaway_interval,
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
            self._status = replace(
                self._status,
                state="restarting",
                last_death=_now(),
                last_error=None,
                next_attempt_in=None,
                cause="died",
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
            self._owns_engine = False
            self._status = replace(self._status, state="running", next_attempt_in=None)
            return self._interval
        self._owns_engine = True
        self._last_start_done = time.monotonic()
        self._status = replace(
            self._status,
            state="running",
            restarts=self._status.restarts + 1,
            last_restart=_now(),
            last_error=None,
            next_attempt_in=None,
        )
        log.warning("the embedded engine was restarted: %s", connection.uri)
        self._emit("engine_restarted", f"the embedded engine was restarted on {connection.uri}")
        return self._interval

    def restart_for_runaway(self, query_ids: Sequence[str]) -> bool:
        """The engine still runs the analyst queries `query_ids` after it was told to
        terminate them: restart it if this process started it, `runaway_restart` is on and
        no such restart happened within `runaway_interval` seconds. Returns whether it was
        restarted; either way the runaway is reported (on_event). The restart ends every
        query the engine runs; viewers' requests meanwhile get 503 and may be retried."""
        ids = list(query_ids)
        reported = time.monotonic()
        with self._checking:
            if self._last_start_done is not None and self._last_start_done >= reported:
                # A restart that ran while this report waited (another runaway's, say) has
                # ended every query of the old engine, this one too.
                log.info("analyst queries %s ended with the engine's restart", ids)
                return True
            refusal = self._runaway_refusal()
            if refusal is not None:
                log.error("analyst queries %s run on in the engine: %s", ids, refusal)
                self._emit(
                    "engine_runaway_left_running",
                    f"an analyst query runs on after it was terminated; not restarting the "
                    f"engine: {refusal}",
                    queries=ids,
                )
                return False
            self._last_runaway_at = time.monotonic()
            self._status = replace(
                self._status,
                state="restarting",
                cause="runaway",
                runaway_restarts=self._status.runaway_restarts + 1,
                last_runaway_restart=_now(),
                last_error=None,
                next_attempt_in=None,
            )
            log.error("analyst queries %s run on after terminate: restarting the engine", ids)
            self._emit(
                "engine_runaway_restart",
                "an analyst query ran on after it was terminated (ArcadeDB cannot stop one "
                "inside an expression): restarting the embedded engine",
                queries=ids,
            )
            try:
                self._engine.stop(timeout=RUNAWAY_STOP_TIMEOUT)
            except OSError as exc:  # gone already: the restart below brings it back
                log.warning("stopping the engine for a runaway query: %s", exc)
            self._restart()
            return True

    def _runaway_refusal(self) -> str | None:
        """Why a runaway query may not restart the engine now (None: it may)."""
        if not self._runaway_restart:
            return "CRIMEGRAPH_ANALYST_RUNAWAY_RESTART is off"
        if not self._owns_engine:
            return "this API did not start the engine (`crimegraph engine stop`/`start` ends it)"
        if self._status.state != "running":
            return "the engine is being restarted already"
        if self._last_runaway_at is not None:
            since = time.monotonic() - self._last_runaway_at
            if since < self._runaway_interval:
                return (
                    f"the last such restart was {since:.0f} s ago, and there is at most one per "
                    f"{self._runaway_interval:g} s (CRIMEGRAPH_ANALYST_RUNAWAY_RESTART_INTERVAL)"
                )
        return None

    def _emit(self, event: EngineEvent, message: str, **facts: object) -> None:
        status = self._status
        facts = {"state": status.state, "restarts": status.restarts, **facts}
        try:
            self._on_event(event, message, facts)
        except Exception:  # the supervisor outlives a failing sink (e.g. a full disk)
            log.exception("could not record the engine event %s", event)
