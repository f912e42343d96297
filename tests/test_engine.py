"""The embedded engine: started on demand, shared by every process, stopped by its owner."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from pydantic import ValidationError

from graph.core.settings import REPO_ROOT, Settings
from graph.db.engine import EmbeddedEngine, EngineHandle, resolve_heap
from tests.conftest import arcadedb_only

pytestmark = arcadedb_only


def test_the_session_engine_is_local_bounded_and_its_secrets_private(
    engine: EngineHandle, settings: Settings
) -> None:
    assert engine.connection.uri.startswith("bolt://127.0.0.1:")
    credentials = settings.data_dir / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert engine.connection.read_auth[0] != engine.connection.write_auth[0]
    state = json.loads((settings.data_dir / "engine.json").read_text())
    assert f":{state['bolt_port']}" in engine.connection.uri
    assert "MAXRAM=512.00MB" in (settings.data_dir / "engine.log").read_text()


def test_the_automatic_heap_is_a_quarter_of_memory_within_bounds() -> None:
    assert resolve_heap("auto", memory_mb=16 * 1024) == "4096m"
    assert resolve_heap("auto", memory_mb=2 * 1024) == "1024m"  # small machines: still 1g
    assert resolve_heap("auto", memory_mb=256 * 1024) == "8192m"  # big ones: bounded
    assert resolve_heap("3g") == "3g"
    assert EmbeddedEngine(Path("/nonexistent"), "db", "auto", 1).heap.endswith("m")


def test_a_heap_setting_is_a_size_or_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRIMEGRAPH_ENGINE_HEAP", "lots")
    with pytest.raises(ValidationError, match="engine_heap"):
        Settings()


def test_a_second_process_reuses_the_running_engine(
    engine: EngineHandle, settings: Settings
) -> None:
    with EngineHandle(settings) as second:
        assert not second.started_here
        assert second.connection == engine.connection
    assert EmbeddedEngine.from_settings(settings).running_state() is not None, (
        "closing a user must not stop it"
    )
    result = subprocess.run(
        [sys.executable, "-m", "graph.cli.main", "engine", "status"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env={"CRIMEGRAPH_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.startswith(f"running: {engine.connection.uri}")


def count_nodes(uri: str, auth: tuple[str, str], database: str) -> int:
    with GraphDatabase.driver(uri, auth=auth) as driver:
        records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) AS c", database_=database)
        return int(records[0]["c"])


def test_data_survives_a_restart_and_concurrent_starts_share_one_engine(tmp_path: Path) -> None:
    data_dir = tmp_path / "engine"
    env = {
        "CRIMEGRAPH_DATA_DIR": str(data_dir),
        "CRIMEGRAPH_ENGINE_HEAP": "256m",
        "PATH": "/usr/bin:/bin",
    }
    starters = [
        subprocess.Popen(
            [sys.executable, "-m", "graph.cli.main", "engine", "start"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = sorted(p.communicate(timeout=180)[0] for p in starters)
    assert outputs[0].startswith("already running: ") and outputs[1].startswith("started: ")
    assert outputs[0].split()[2] == outputs[1].split()[1], "both commands must get the same engine"

    engine = EmbeddedEngine(data_dir, "crimegraph", "256m", 90)
    state = engine.running_state()
    assert state is not None
    connection = engine.connection(state)
    with GraphDatabase.driver(connection.uri, auth=connection.write_auth) as driver:
        driver.execute_query(
            "CREATE (:Entity:Person {id: 'kept', name: 'Kept'})", database_=connection.database
        )
    assert engine.stop()
    assert engine.running_state() is None and not (data_dir / "engine.json").exists()

    connection_again, started = engine.ensure_running()
    try:
        assert started
        assert connection_again.uri == connection.uri, "a restart keeps the address clients hold"
        assert (
            count_nodes(
                connection_again.uri, connection_again.write_auth, connection_again.database
            )
            == 1
        )
    finally:
        engine.stop()


def test_an_owner_never_stops_an_engine_someone_else_started(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "engine", neo4j_uri=None, engine_heap="256m")
    engine = EmbeddedEngine.from_settings(settings)
    owner = EngineHandle(settings)
    try:
        assert owner.started_here
        assert engine.stop()  # someone runs `crimegraph engine stop` ...
        _, started = engine.ensure_running()  # ... then `crimegraph engine start`
        assert started
        owner.close()  # the first owner exits
        assert engine.running_state() is not None, "the owner stopped an engine it did not start"
    finally:
        owner.close()
        engine.stop()
