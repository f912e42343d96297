"""The embedded engine's own process: an ArcadeDB server with its Bolt listener on loopback.

Started by graph.db.engine (never imported by the API): ArcadeDB opens a database in one process
only, so the API, the CLI and the tests all talk to this process over Bolt. It reads its
secrets from the data dir (not from the command line, where `ps` would show them), writes
`engine.json` once it serves, and stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

READER_GROUP = "crimegraph_reader"
QUERY_MAX_RANGE = 100_000  # elements a Cypher range() may produce on the graph database


def server_groups(reader_timeout_ms: int = -1) -> dict[str, Any]:
    """ArcadeDB's security groups: `admin` is the engine default; the reader group may read
    records of every type and nothing else, which is how read-only is enforced on this
    engine (it ignores the driver's access mode). Which databases a user may open at all is
    the user's own `databases` map (see serve): the reader's names the graph only, never the
    security database. `readTimeout` bounds the reader's type scans (a scan past it fails);
    it does not stop a long expansion from a few start nodes, which is why the API also
    terminates an abandoned analyst query (graph.db.dialect, benchmarks/README.md)."""
    return {
        "databases": {
            "*": {
                "groups": {
                    "admin": {
                        "resultSetLimit": -1,
                        "readTimeout": -1,
                        "access": ["updateSecurity", "updateSchema", "updateDatabaseSettings"],
                        "types": {
                            "*": {
                                "access": [
                                    "createRecord",
                                    "readRecord",
                                    "updateRecord",
                                    "deleteRecord",
                                ]
                            }
                        },
                    },
                    READER_GROUP: {
                        "resultSetLimit": -1,
                        "readTimeout": reader_timeout_ms,
                        "access": [],
                        "types": {"*": {"access": ["readRecord"]}},
                    },
                    "*": {
                        "resultSetLimit": -1,
                        "readTimeout": -1,
                        "access": [],
                        "types": {"*": {"access": []}},
                    },
                }
            }
        },
        "version": 2,
    }


SERVER_GROUPS: dict[str, Any] = server_groups()


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def admin_request(
    base_url: str, path: str, auth: tuple[str, str], payload: dict[str, Any], timeout: float
) -> tuple[int, str]:
    """POST JSON to the engine's HTTP API (`/api/v1/server` for server commands,
    `/api/v1/command/<db>` for SQL) as `auth`; (status, body), an HTTP error included.
    OSError when the engine cannot be reached."""
    user, password = auth
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(payload).encode(),
        headers={
            "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _server_command(http_port: int, password: str, command: str) -> tuple[int, str]:
    return admin_request(
        f"http://127.0.0.1:{http_port}",
        "/api/v1/server",
        ("root", password),
        {"command": command},
        30,
    )


def serve(
    data_dir: Path,
    database: str,
    bolt_port: int,
    http_port: int,
    heap: str,
    security_database: str | None = None,
    reader_timeout_ms: int = -1,
) -> None:
    import arcadedb_embedded as arcadedb  # the JVM starts here, only in this process

    credentials = json.loads((data_dir / "credentials.json").read_text(encoding="utf-8"))
    root = data_dir / "arcadedb"
    (root / "config").mkdir(parents=True, exist_ok=True)
    _write_json_atomically(root / "config" / "server-groups.json", server_groups(reader_timeout_ms))

    server = arcadedb.ArcadeDBServer(
        str(root),
        credentials["root_password"],
        config={
            "host": "127.0.0.1",
            "http_port": http_port,
            "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt_port": bolt_port,
        },
        # txWalFlush=1: each commit's log reaches the disk (fdatasync) before it is
        # acknowledged, so an acknowledged write survives a power cut, not only a kill -9.
        jvm_kwargs={"heap_size": heap, "jvm_args": "-Darcadedb.txWalFlush=1"},
    )
    server.start()
    for name in (database, security_database):
        if name is not None and not (root / "databases" / name).exists():
            server.create_database(name)
    # The read-only user may open the graph and nothing else: API keys live in the security
    # database, which only root opens (graph.access.auth), so no query of the analysts' can reach
    # them, whatever its text.
    user = {
        "name": credentials["reader_user"],
        "password": credentials["reader_password"],
        "databases": {database: [READER_GROUP]},
    }
    status, body = _server_command(
        http_port, credentials["root_password"], "create user " + json.dumps(user)
    )
    if status >= 400 and "already exists" not in body:
        raise RuntimeError(f"cannot create the read-only user: {status} {body[:300]}")
    # ArcadeDB stops a query (terminate, timeouts) in its row loops only, never inside one
    # expression, so `reduce(s = '', x IN range(1, 10000000) | s + 'a')` would run for an
    # hour (docs/security.md). Capping the lists range() builds bounds the easiest such
    # query; crimegraph's own queries build none.
    status, body = _server_command(
        http_port,
        credentials["root_password"],
        f"set database setting {database} arcadedb.queryMaxRangeSize {QUERY_MAX_RANGE}",
    )
    if status >= 400:
        raise RuntimeError(f"cannot cap range() on {database}: {status} {body[:300]}")

    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    _write_json_atomically(
        data_dir / "engine.json",
        {
            "pid": os.getpid(),
            "bolt_port": bolt_port,
            "http_port": http_port,
            "database": database,
            "security_database": security_database,
        },
    )
    print(f"crimegraph engine: ArcadeDB serving Bolt on 127.0.0.1:{bolt_port}", flush=True)
    # Wake up regularly: a signal handler runs only between Python bytecodes, and a
    # wait without a timeout may never return to the interpreter while the JVM runs.
    while not stopping.wait(timeout=0.5):
        pass
    (data_dir / "engine.json").unlink(missing_ok=True)
    server.stop()
    print("crimegraph engine: stopped", flush=True)
    sys.stdout.flush()
    # Leave without running JPype's interpreter-exit hooks, which can crash after stop().
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--bolt-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--heap", required=True)
    parser.add_argument("--security-database")
    parser.add_argument("--reader-timeout-ms", type=int, default=-1)
    args = parser.parse_args()
    serve(
        args.data_dir,
        args.database,
        args.bolt_port,
        args.http_port,
        args.heap,
        args.security_database,
        args.reader_timeout_ms,
    )


if __name__ == "__main__":
    main()
