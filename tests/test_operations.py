"""Operations a team needs (docs/operations.md): backup and restore of the embedded engine,
schema versions and migrations, several API processes on one database."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.access.auth import KeyStore, Role
from graph.cli.main import main
from graph.core.errors import BackupError, QueryDefinitionError, SchemaTooNew
from graph.core.settings import REPO_ROOT, Settings
from graph.db.backup import backup, restore
from graph.db.engine import EmbeddedEngine, EngineHandle
from graph.db.migrations import load_migrations, migrate, python_migration, stored_version
from graph.db.queries import QuerySet
from graph.db.store import Store, WriteStep
from tests.conftest import arcadedb_only

MIGRATIONS = REPO_ROOT / "cypher" / "migrations"
LATEST = len(load_migrations(MIGRATIONS))
# The last commit before schema versions existed: its databases have no :SchemaVersion node.
PREVIOUS_RELEASE = "161aa8e"


def store_on(settings: Settings, queries: QuerySet) -> Store:
    """A store (test queries included) on the running engine of another data dir."""
    connection = EmbeddedEngine.from_settings(settings).expected_connection()
    return Store(connection, queries, timeout=30)


# ---------------------------------------------------------------------------------------------
# Schema versions and migrations


def test_a_fresh_database_is_at_the_latest_version_and_migrating_again_does_nothing(
    store: Store,
) -> None:
    assert LATEST >= 1
    assert stored_version(store) == LATEST
    assert migrate(store, MIGRATIONS) == []


def test_a_database_without_a_version_is_migrated_and_its_data_kept(
    seeded_store: Store, settings: Settings
) -> None:
    """The simulation of a database made before versions: the seed graph without its
    :SchemaVersion node (the next test builds one with the previous release's own code)."""
    seeded_store.run("forget_schema_version")
    assert stored_version(seeded_store) == 0
    before = seeded_store.run("canonical_dump")
    seeded_store.apply_schema(settings.cypher_dir / "schema")
    assert stored_version(seeded_store) == LATEST
    assert seeded_store.run("canonical_dump") == before


def _previous_release_source(tmp_path: Path) -> Path:
    probe = subprocess.run(
        ["git", "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"commit {PREVIOUS_RELEASE} (the previous release) is not in this clone")
    archive = subprocess.run(
        ["git", "archive", "--format=tar", PREVIOUS_RELEASE],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    source = tmp_path / "previous-release"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(source, filter="data")
    return source


@arcadedb_only
def test_a_database_seeded_by_the_previous_release_is_migrated_at_start_up(
    tmp_path: Path, queries: QuerySet
) -> None:
    """`crimegraph seed` of the previous release's code (git archive of its commit) makes
    the database; this release's start-up migrates it and keeps every record."""
    source = _previous_release_source(tmp_path)
    data_dir = tmp_path / "data"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(source),
        "CRIMEGRAPH_DATA_DIR": str(data_dir),
        "CRIMEGRAPH_ENGINE_HEAP": "256m",
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "graph.cli", "seed"],  # the previous release's layout
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    assert not (source / "graph" / "migrations.py").exists(), "not the previous release"

    settings = Settings(data_dir=data_dir, neo4j_uri=None, engine_heap="256m")
    with (
        EngineHandle(settings) as engine,
        Store(engine.connection, queries, timeout=30) as store,
    ):
        assert store.run("schema_version") == [], "the previous release recorded a version"
        before = store.run("canonical_dump")
        assert len(before) > 100  # the seed graph
        store.apply_schema(settings.cypher_dir / "schema")  # what every start-up does
        assert stored_version(store) == LATEST
        assert store.run("canonical_dump") == before
        assert store.run("graph_totals")[0]["nodes"] > 0


def test_a_database_of_a_newer_release_is_refused_by_the_store_the_cli_and_the_api(
    store: Store, settings: Settings, cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    store.run("record_schema_version", {"version": LATEST + 1, "migration": "999_from_future"})
    try:
        with pytest.raises(SchemaTooNew, match=f"schema version {LATEST + 1}"):
            store.apply_schema(settings.cypher_dir / "schema")
        assert main(["keys", "list"]) == 1
        assert "newer release" in capsys.readouterr().err
        with pytest.raises(SchemaTooNew), TestClient(create_app(settings)):
            pass  # the lifespan refuses to start the API
    finally:
        store.run("record_schema_version", {"version": LATEST, "migration": "reset by test"})


def test_python_migrations_get_the_store_and_run_once_in_order(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph.db import migrations

    monkeypatch.setattr(migrations, "_PYTHON_MIGRATIONS", {})
    calls: list[Store] = []

    @python_migration(LATEST + 1, "move_something")
    def move_something(target: Store) -> None:
        calls.append(target)
        target.run("create_person", {"id": "moved-1", "name": "Moved"})

    try:
        assert migrate(store, MIGRATIONS) == [f"{LATEST + 1:03d}_move_something"]
        assert migrate(store, MIGRATIONS) == []
        assert calls == [store]
        assert stored_version(store) == LATEST + 1
        assert store.run("entity_by_id", {"id": "moved-1"})
        with pytest.raises(QueryDefinitionError, match="twice"):
            python_migration(LATEST + 1, "again")(move_something)
    finally:
        store.run("record_schema_version", {"version": LATEST, "migration": "reset by test"})


def test_migrations_are_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "001_first.cypher").write_text("RETURN 1;\n")
    (tmp_path / "003_third.cypher").write_text("RETURN 1;\n")
    with pytest.raises(QueryDefinitionError, match="without gaps"):
        load_migrations(tmp_path)
    (tmp_path / "2_bad.cypher").write_text("RETURN 1;\n")
    with pytest.raises(QueryDefinitionError, match="NNN_snake_case"):
        load_migrations(tmp_path)


# ---------------------------------------------------------------------------------------------
# Backup and restore


@arcadedb_only
def test_backup_while_serving_and_restore_into_a_stopped_then_a_running_engine(
    seeded_store: Store,
    settings: Settings,
    queries: QuerySet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = seeded_store.run("canonical_dump")
    revoked, _ = KeyStore(seeded_store, ttl=0).create("revoked after the backup", Role.VIEWER)
    made = backup(settings, tmp_path)  # the session engine keeps serving meanwhile
    KeyStore(seeded_store, ttl=0).revoke(revoked.id)
    assert made.path.parent == tmp_path and made.path.suffix == ".zip"
    assert zipfile.ZipFile(made.path).testzip() is None
    assert seeded_store.run("canonical_dump") == before, "a backup changes nothing"
    with pytest.raises(BackupError, match="never overwrites"):
        backup(settings, made.path)

    # A machine being rebuilt: a new data dir, its engine not running.
    other = Settings(data_dir=tmp_path / "other", neo4j_uri=None, engine_heap="256m")
    engine = EmbeddedEngine.from_settings(other)
    first = restore(other, made.path)
    assert (first.replaced_nodes, first.engine_left_running) == (0, False)
    seed_nodes = sum(1 for row in before if row["kind"] == "node")
    assert first.schema_version == LATEST and first.nodes >= seed_nodes > 50
    assert engine.running_state() is None, "restore leaves a stopped engine stopped"

    engine.ensure_running()  # `crimegraph engine start`
    try:
        with store_on(other, queries) as restored:
            assert restored.run("canonical_dump") == before
            restored.run("clear_graph")  # wipe, then new work: a database that holds data
            restored.run("create_person", {"id": "after-wipe", "name": "New work"})
            kept = restored.run("canonical_dump")
            monkeypatch.setenv("CRIMEGRAPH_DATA_DIR", str(other.data_dir))
            monkeypatch.setenv("CRIMEGRAPH_ENGINE_HEAP", "256m")
            err = io.StringIO()
            with redirect_stderr(err):
                assert main(["restore", str(made.path)]) == 4  # refused
            assert "--force" in err.getvalue()
            assert restored.run("canonical_dump") == kept, "a refused restore changed the data"

            # Keys are not data: a restore leaves the data dir's own keys as they are.
            keys = KeyStore(restored, ttl=0)
            keys.create("made on the rebuilt machine", Role.VIEWER)
            again = restore(other, made.path, force=True)
            names = {info.name: info.revoked for info in keys.list()}
            assert names == {"made on the rebuilt machine": False}, names
            assert again.engine_left_running and engine.running_state() is not None
            # The same driver reconnects: the restarted engine keeps its ports.
            assert restored.run("canonical_dump") == before
            restored.apply_schema(other.cypher_dir / "schema")  # fulltext index names
            found = restored.run("search_entities", {"q": "amra", "label": "Person", "limit": 5})
            assert found, "the fulltext index was not restored"
    finally:
        engine.stop()


@arcadedb_only
def test_a_backup_taken_under_writes_holds_whole_transactions_up_to_a_point(
    store: Store, settings: Settings, queries: QuerySet, tmp_path: Path
) -> None:
    """One writer commits transaction after transaction (two nodes and their link each)
    while the backup runs: the backup holds transactions 1..k, each whole, and none after."""
    stop = threading.Event()
    committed: list[int] = []

    def person(id_: str) -> dict[str, object]:
        return {"id": id_, "label": "Person", "props": {"name": id_}}

    def write() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            link = {"id": f"w{number}-r", "type": "ASSOCIATE", "props": {}}
            store.write_transaction(
                [
                    WriteStep(
                        "upsert_nodes", {"rows": [person(f"w{number}-a"), person(f"w{number}-b")]}
                    ),
                    WriteStep(
                        "upsert_relationships",
                        {"rows": [{**link, "from": f"w{number}-a", "to": f"w{number}-b"}]},
                    ),
                ]
            )
            committed.append(number)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(committed) < 5:
            assert writer.is_alive()
            time.sleep(0.05)
        made = backup(settings, tmp_path)
        after_backup = len(committed)
        while len(committed) < after_backup + 3:
            assert writer.is_alive()
            time.sleep(0.05)
    finally:
        stop.set()
        writer.join()

    other = Settings(data_dir=tmp_path / "other", neo4j_uri=None, engine_heap="256m")
    restore(other, made.path)
    engine = EmbeddedEngine.from_settings(other)
    engine.ensure_running()
    try:
        with store_on(other, queries) as restored:
            ids = {row["id"] for row in restored.run("canonical_dump")}
    finally:
        engine.stop()
    in_backup = sorted({int(id_[1:].split("-")[0]) for id_ in ids if id_.startswith("w")})
    assert in_backup == list(range(1, len(in_backup) + 1)), "a gap: not one point in time"
    assert 5 <= len(in_backup) <= after_backup, "transactions from after the backup"
    for number in in_backup:
        assert {f"w{number}-a", f"w{number}-b", f"w{number}-r"} <= ids, f"part of {number}"


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", neo4j_uri=None)
    bogus = tmp_path / "notes.zip"
    with zipfile.ZipFile(bogus, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(BackupError, match="no ArcadeDB database"):
        restore(settings, bogus)
    with pytest.raises(BackupError, match="no such backup"):
        restore(settings, tmp_path / "missing.zip")
    with pytest.raises(BackupError, match="neo4j-admin database dump"):
        backup(Settings(neo4j_uri="bolt://db.example:7687"), tmp_path)


# ---------------------------------------------------------------------------------------------
# Several API processes on one database


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(port: int, path: str, token: str | None = None) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"X-API-Key": token} if token else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server on {port} exited"
        if _get(port, "/ready") == 200:
            return
        time.sleep(0.5)
    raise AssertionError(f"the server on {port} was not ready in {timeout} s")


@pytest.fixture
def api_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    data_dir = tmp_path / "data"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CRIMEGRAPH_DATA_DIR": str(data_dir),
        "CRIMEGRAPH_ENGINE_HEAP": "256m",
        "CRIMEGRAPH_KEY_CACHE_SECONDS": "1",
    }
    yield env
    EmbeddedEngine(data_dir, "crimegraph", "256m", 60).stop()


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "graph.cli.main", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def _serve(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "graph.cli.main", "serve", "--port", str(port), *extra],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@arcadedb_only
def test_two_api_processes_share_keys_and_one_audit_chain(api_env: dict[str, str]) -> None:
    """Two `crimegraph serve` on two ports, one data dir (so one embedded engine): both
    serve; a key revoked with the CLI is refused by both within key_cache_seconds; both
    append to one audit chain that verifies."""
    first_port, second_port = _free_port(), _free_port()
    first = _serve(api_env, first_port)
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait_ready(first_port, first)
        second = _serve(api_env, second_port)
        _wait_ready(second_port, second)
        token = _cli(api_env, "keys", "create", "--name", "analyst", "--role", "viewer").strip()
        key_id = token.split("_")[1]
        for port in (first_port, second_port):
            assert _get(port, "/api/v1/stats", token) == 200  # now in both processes' caches

        _cli(api_env, "keys", "revoke", key_id)
        revoked_at = time.monotonic()
        refused: dict[int, float] = {}
        while len(refused) < 2 and time.monotonic() - revoked_at < 10:
            for port in (first_port, second_port):
                if port not in refused and _get(port, "/api/v1/stats", token) == 401:
                    refused[port] = time.monotonic() - revoked_at
            time.sleep(0.1)
        assert set(refused) == {first_port, second_port}, "a revoked key was still accepted"
        # key_cache_seconds is 1; the rest is this loaded machine's slack.
        assert max(refused.values()) < 1 + 3

        audit_dir = Path(api_env["CRIMEGRAPH_DATA_DIR"]) / "audit"
        verified = _cli(api_env, "audit", "verify")
        assert verified.startswith("audit log OK")
        records = [json.loads(line) for line in (audit_dir / "audit.jsonl").open()]
        statuses = [r["status"] for r in records if r.get("path") == "/api/v1/stats"]
        assert statuses.count(200) >= 2 and statuses.count(401) >= 2
    finally:
        for process in (first, second):
            if process is not None:
                _stop(process)


def _worker_processes(parent: int) -> list[int]:
    """Children of `parent` spawned by multiprocessing: uvicorn's workers (not the engine,
    nor multiprocessing's resource tracker)."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmdline:
            workers.append(int(stat.parent.name))
    return workers


@arcadedb_only
def test_serve_with_workers_answers_and_keeps_one_audit_chain(api_env: dict[str, str]) -> None:
    port = _free_port()
    server = _serve(api_env, port, "--workers", "2")
    try:
        _wait_ready(port, server)
        assert len(_worker_processes(server.pid)) == 2
        token = (Path(api_env["CRIMEGRAPH_DATA_DIR"]) / "bootstrap-key").read_text().strip()
        assert all(_get(port, "/api/v1/stats", token) == 200 for _ in range(20))
        assert _cli(api_env, "audit", "verify").startswith("audit log OK")
    finally:
        _stop(server)
    engine = EmbeddedEngine(Path(api_env["CRIMEGRAPH_DATA_DIR"]), "crimegraph", "256m", 60)
    assert engine.running_state() is None, "the server's engine outlived it"
