"""Which database crimegraph talks to, and starting the embedded one when none is configured.

With CRIMEGRAPH_NEO4J_URI set, crimegraph connects to that Neo4j and starts nothing. Without
it, crimegraph runs ArcadeDB (the `arcadedb-embedded` package, Java bundled) in a process of
its own, Bolt on 127.0.0.1 only, data under CRIMEGRAPH_DATA_DIR. That directory also holds
the engine's port (`engine.json`) and generated credentials (`credentials.json`, mode 0600),
so every crimegraph process (the API, `crimegraph seed` run beside it, the tests) finds the
engine already running for the data dir, or starts it under a file lock: two commands never
fight over one database. The process that started the engine stops it when it is done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from graph.core.errors import EngineError
from graph.core.settings import Settings

EngineKind = Literal["arcadedb", "neo4j"]
READER_USER = "crimegraph_reader"


@dataclass(frozen=True)
class Connection:
    """Everything needed to reach a database over Bolt."""

    kind: EngineKind
    uri: str
    database: str
    write_auth: tuple[str, str]
    read_auth: tuple[str, str]
    # ArcadeDB only: its HTTP endpoint, for the schema DDL Cypher cannot express there.
    admin_http: str | None = None
    # Where API keys live (graph.access.auth): a database the read user cannot open. None: the main
    # database (Neo4j Community, which has one), where nothing but text keeps them from
    # analysts' queries (api/analyst.py refuses to serve that unless told to).
    security_database: str | None = None

    @property
    def separate_security_database(self) -> bool:
        return self.security_database not in (None, self.database)

    def security(self) -> Connection:
        """The connection to the security database: the service user only, for reads too."""
        return dataclasses.replace(
            self,
            database=self.security_database or self.database,
            read_auth=self.write_auth,
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # An exited engine whose parent is gone can linger as a zombie where nothing reaps it.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


AUTO_HEAP_MIN_MB = 1024
AUTO_HEAP_MAX_MB = 8192


def machine_memory_mb() -> int:
    """Physical memory, or the cgroup (container) limit when that is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with contextlib.suppress(OSError, ValueError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            total = min(total, int(limit))
    return total // (1024 * 1024)


def resolve_heap(heap: str, memory_mb: int | None = None) -> str:
    """The -Xmx of the engine: `auto` is a quarter of the machine's memory, within
    AUTO_HEAP_MIN_MB..AUTO_HEAP_MAX_MB (the JVM's own default is also a quarter)."""
    if heap != "auto":
        return heap
    quarter = (machine_memory_mb() if memory_mb is None else memory_mb) // 4
    return f"{min(max(quarter, AUTO_HEAP_MIN_MB), AUTO_HEAP_MAX_MB)}m"


class EmbeddedEngine:
    """The ArcadeDB server process that belongs to one data dir."""

    def __init__(
        self,
        data_dir: Path,
        database: str,
        heap: str,
        start_timeout: float,
        security_database: str | None = None,
        reader_timeout: float | None = None,
    ) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.database = database
        self.security_database = security_database or f"{database}_security"
        # The reader group's readTimeout (ms): the engine fails a reader's type scan past it.
        self.reader_timeout_ms = -1 if reader_timeout is None else int(reader_timeout * 1000)
        self.heap = resolve_heap(heap)
        self.start_timeout = start_timeout
        self.state_file = self.data_dir / "engine.json"
        self.credentials_file = self.data_dir / "credentials.json"
        self.log_file = self.data_dir / "engine.log"

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddedEngine:
        return cls(
            settings.data_dir,
            settings.engine_database,
            settings.engine_heap,
            settings.engine_start_timeout,
            settings.engine_security_database,
            settings.query_timeout,
        )

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with (self.data_dir / "engine.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _credentials(self) -> dict[str, str]:
        if not self.credentials_file.exists():
            creds = {
                "root_password": secrets.token_urlsafe(24),
                "reader_user": READER_USER,
                "reader_password": secrets.token_urlsafe(24),
            }
            # Created 0600 from the start, never readable by others even for a moment.
            fd = os.open(self.credentials_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(creds, handle)
        data: dict[str, str] = json.loads(self.credentials_file.read_text(encoding="utf-8"))
        return data

    def running_state(self) -> dict[str, int] | None:
        """The engine's state if a live engine serves this data dir, else None."""
        try:
            state: dict[str, int] = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if _process_alive(state["pid"]) and _port_open(state["bolt_port"]):
            return state
        return None

    def connection(self, state: dict[str, int]) -> Connection:
        creds = self._credentials()
        return Connection(
            kind="arcadedb",
            uri=f"bolt://127.0.0.1:{state['bolt_port']}",
            database=self.database,
            write_auth=("root", creds["root_password"]),
            read_auth=(creds["reader_user"], creds["reader_password"]),
            admin_http=f"http://127.0.0.1:{state['http_port']}",
            security_database=self.security_database,
        )

    def died(self) -> bool:
        """True when this data dir's engine was serving and is gone without being stopped
        (kill -9, out of memory, a crash): its state file names a process that no longer
        runs. A stopped engine removes its state file, so a deliberate stop is not a death."""
        try:
            pid = int(json.loads(self.state_file.read_text(encoding="utf-8"))["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return False
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it was our child
        return not _process_alive(pid)

    def expected_connection(self) -> Connection:
        """The connection the engine of this data dir serves once started (it keeps these
        ports while they are free): for a client that is up before its database."""
        with self._lock():
            state = self.running_state()
            if state is None:
                self._credentials()
                bolt_port, http_port = self._ports()
                state = {"bolt_port": bolt_port, "http_port": http_port}
        return self.connection(state)

    def ensure_running(self) -> tuple[Connection, bool]:
        """Reuse the engine of this data dir or start it. Returns (connection, started_here)."""
        connection, started_pid = self.ensure_running_pid()
        return connection, started_pid is not None

    def ensure_running_pid(self) -> tuple[Connection, int | None]:
        """Like ensure_running, with the pid of the engine if this call started it."""
        with self._lock():
            state = self.running_state()
            if state is not None:
                return self.connection(state), None
            self.state_file.unlink(missing_ok=True)
            self._credentials()
            state = self._start()
            return self.connection(state), state["pid"]

    def _ports(self) -> tuple[int, int]:
        """The ports of the last run when they are free, so clients that still hold the old
        address reconnect by themselves after a restart; fresh ones otherwise."""
        ports_file = self.data_dir / "ports.json"
        try:
            last = json.loads(ports_file.read_text(encoding="utf-8"))
            bolt_port, http_port = int(last["bolt_port"]), int(last["http_port"])
            if not (_port_open(bolt_port) or _port_open(http_port)):
                return bolt_port, http_port
        except (OSError, ValueError, KeyError):
            pass
        bolt_port, http_port = _free_port(), _free_port()
        ports_file.write_text(
            json.dumps({"bolt_port": bolt_port, "http_port": http_port}), encoding="utf-8"
        )
        return bolt_port, http_port

    def _start(self) -> dict[str, int]:
        bolt_port, http_port = self._ports()
        command = [
            sys.executable,
            "-m",
            "graph.db.arcadedb_server",
            "--data-dir",
            str(self.data_dir),
            "--database",
            self.database,
            "--bolt-port",
            str(bolt_port),
            "--http-port",
            str(http_port),
            "--heap",
            self.heap,
            "--security-database",
            self.security_database,
            "--reader-timeout-ms",
            str(self.reader_timeout_ms),
        ]
        log = self.log_file.open("ab")
        # Own session: a Ctrl-C in the terminal reaches the owner, which then stops the
        # engine after it has closed its connections, rather than both at once.
        process = subprocess.Popen(
            command,
            cwd=self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": _package_root()},
        )
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EngineError(
                    f"the embedded engine exited with code {process.returncode} while starting; "
                    f"last lines of {self.log_file}:\n{self._log_tail()}"
                )
            state = self.running_state()
            if state is not None and state["pid"] == process.pid:
                return state
            time.sleep(0.2)
        process.kill()
        raise EngineError(
            f"the embedded engine did not answer within {self.start_timeout:.0f} s; "
            f"last lines of {self.log_file}:\n{self._log_tail()}"
        )

    def stop(self, timeout: float = 60.0, only_pid: int | None = None) -> bool:
        """Stop the engine of this data dir if one runs (and, with only_pid, only if it is
        that process: an owner never stops an engine someone else started since)."""
        with self._lock():
            state = self.running_state()
            if state is None or (only_pid is not None and state["pid"] != only_pid):
                return False
            pid = state["pid"]
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _process_alive(pid) and time.monotonic() < deadline:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
                time.sleep(0.1)
            if _process_alive(pid):
                os.kill(pid, signal.SIGKILL)
            self.state_file.unlink(missing_ok=True)
            return True

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _package_root() -> str:
    """Where `graph` is importable from, for the engine's child interpreter."""
    root = str(Path(__file__).resolve().parents[2])
    existing = os.environ.get("PYTHONPATH")
    return f"{root}{os.pathsep}{existing}" if existing else root


def neo4j_connection(settings: Settings) -> Connection:
    if settings.neo4j_uri is None:
        raise EngineError("CRIMEGRAPH_NEO4J_URI is not set")
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
    read_user = settings.neo4j_read_user or settings.neo4j_user
    read_password = (
        settings.neo4j_read_password.get_secret_value()
        if settings.neo4j_read_password is not None
        else password
    )
    return Connection(
        kind="neo4j",
        uri=settings.neo4j_uri,
        database=settings.neo4j_database,
        write_auth=(settings.neo4j_user, password),
        read_auth=(read_user, read_password),
        security_database=settings.neo4j_security_database,
    )


class EngineHandle:
    """The database of this process: connects to Neo4j, or reuses or starts the embedded
    engine, and on close stops the embedded engine only if this handle started it."""

    def __init__(self, settings: Settings) -> None:
        self._engine: EmbeddedEngine | None = None
        self._started_pid: int | None = None
        if settings.neo4j_uri is not None:
            self.connection = neo4j_connection(settings)
        else:
            self._engine = EmbeddedEngine.from_settings(settings)
            self.connection, self._started_pid = self._engine.ensure_running_pid()

    @property
    def started_here(self) -> bool:
        return self._started_pid is not None

    @property
    def embedded(self) -> EmbeddedEngine | None:
        """The embedded engine this handle uses (None on Neo4j)."""
        return self._engine

    def restart(self) -> Connection | None:
        """Start the embedded engine again unless it runs (someone else may have restarted
        it first): for graph.db.supervisor after a death. This handle then owns the new engine
        and stops it on close. Returns the connection, or None when nothing was started."""
        if self._engine is None:
            return None
        connection, pid = self._engine.ensure_running_pid()
        # Its ports may differ from before, when the old ones were taken.
        self.connection = connection
        if pid is None:
            return None
        self._started_pid = pid
        return connection

    def close(self) -> None:
        if self._engine is not None and self._started_pid is not None:
            self._engine.stop(only_pid=self._started_pid)
            self._started_pid = None

    def __enter__(self) -> EngineHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
