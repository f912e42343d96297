"""Backup and restore of the embedded engine's database (docs/operations.md).

Backup uses ArcadeDB's own `BACKUP DATABASE` SQL command, sent to the running engine over
its loopback HTTP API: the engine writes a ZIP of the database from a snapshot taken when
the command starts, while it keeps serving reads and writes (transactions still open are
not in it). The engine can only write it under its own `backups/` directory, so the archive
is then moved to where the operator asked.

Restore uses ArcadeDB's own restore tool (`com.arcadedb.integration.restore.Restore`, run
by the Java bundled in arcadedb-embedded), which needs the database closed: the engine is
stopped, the archive restored beside the live database, the two swapped, and the engine
started again (then stopped if it was not running before). The schema and migrations are
applied to the restored database, as at any start-up. API processes on the data dir answer
503 while the engine is down and reconnect by themselves (the engine keeps its ports).

API keys are not in a backup: they live in the security database (graph.access.auth), and a
restore leaves it alone, so no key revoked since the backup comes back to life.

On Neo4j these are `neo4j-admin database dump` and `load`, run by the server's operator.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graph.core.errors import BackupError, RestoreRefused
from graph.core.settings import Settings
from graph.db.dialect import EngineStatement, run_engine_statement
from graph.db.engine import EmbeddedEngine, EngineHandle
from graph.db.migrations import stored_version
from graph.db.service import open_store

NEO4J_HINT = (
    "CRIMEGRAPH_NEO4J_URI is set: crimegraph backs up and restores only its embedded "
    "engine. On Neo4j 5 use `neo4j-admin database dump` / `neo4j-admin database load` "
    "(docs/operations.md)."
)
# Files every ArcadeDB database directory (and so every full backup) holds.
_DATABASE_MARKERS = ("schema.json", "configuration.json")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    nodes: int  # nodes in the restored database (the :SchemaVersion record excepted)
    replaced_nodes: int  # nodes the database held before
    restored_version: int  # the backup's schema version (0: made before versions existed)
    schema_version: int  # after the migrations this release ran on it
    engine_left_running: bool
    seconds: float


def _embedded(settings: Settings) -> EmbeddedEngine:
    if settings.neo4j_uri is not None:
        raise BackupError(NEO4J_HINT)
    return EmbeddedEngine.from_settings(settings)


def backup(settings: Settings, destination: Path) -> BackupResult:
    """Write a consistent backup of the database to `destination` (a file, or a directory
    to put a timestamped file in); never overwrites a file. Starts the engine if it is not
    running (and stops it again)."""
    engine = _embedded(settings)
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"crimegraph-{engine.database}-{stamp}-{secrets.token_hex(4)}.zip"
    target = destination / name if destination.is_dir() else destination
    if target.exists():
        raise BackupError(f"{target} exists: a backup never overwrites a file")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    with EngineHandle(settings) as handle:
        # The name is ours (a timestamp and hex): nothing from the caller reaches the SQL.
        run_engine_statement(handle.connection, EngineStatement(f"BACKUP DATABASE file://{name}"))
    produced = engine.data_dir / "arcadedb" / "backups" / engine.database / name
    if not produced.is_file():
        raise BackupError(f"the engine reported a backup but {produced} is missing")
    partial = target.with_name(f".{target.name}.partial")
    shutil.move(produced, partial)  # a copy across file systems: renamed only when complete
    partial.rename(target)
    return BackupResult(target, target.stat().st_size, time.monotonic() - started)


def check_archive(source: Path) -> None:
    """BackupError unless `source` is a ZIP holding an ArcadeDB database."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            damaged = archive.testzip()
    except zipfile.BadZipFile as exc:
        raise BackupError(f"{source} is not a backup made by `crimegraph backup`: {exc}") from exc
    missing = [m for m in _DATABASE_MARKERS if m not in names]
    if missing:
        raise BackupError(f"{source} holds no ArcadeDB database (no {', '.join(missing)})")
    if damaged is not None:
        raise BackupError(f"{source} is damaged: {damaged} fails its checksum")


def _java_restore(source: Path, directory: Path) -> None:
    """Unpack a backup into a new database directory with ArcadeDB's restore tool."""
    from arcadedb_embedded import jvm  # only where the embedded engine is installed

    java = Path(jvm.get_bundled_jre_lib_path()).parents[2] / "bin" / "java"
    command = [
        str(java),
        "-Xmx256m",
        "-cp",
        str(Path(jvm.get_jar_path()) / "*"),
        "com.arcadedb.integration.restore.Restore",
        "-f",
        source.resolve().as_uri(),
        "-d",
        str(directory),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (directory / "schema.json").is_file():
        output = (result.stdout + result.stderr).strip().splitlines()[-10:]
        raise BackupError(f"ArcadeDB's restore of {source} failed:\n" + "\n".join(output))


def _open_restored(settings: Settings) -> tuple[int, int, int]:
    """Open the restored database as every command does (schema, then migrations); return
    its node count and its schema version as restored and after the migrations."""

    with open_store(settings, apply_schema=False) as store:
        restored_version = stored_version(store)
        store.apply_schema(settings.cypher_dir / "schema")
        return (
            int(store.run("stored_node_count")[0]["nodes"]),
            restored_version,
            stored_version(store),
        )


def _count_nodes(settings: Settings) -> int:

    with open_store(settings, apply_schema=False) as store:
        return int(store.run("stored_node_count")[0]["nodes"])


def restore(settings: Settings, source: Path, *, force: bool = False) -> RestoreResult:
    """Replace the database with the backup `source`. Refuses (BackupError) when the
    database holds any node, unless `force`. Leaves the engine running if it was."""
    engine = _embedded(settings)
    check_archive(source)
    started = time.monotonic()
    was_running = engine.running_state() is not None
    engine.ensure_running()
    try:
        replaced = _count_nodes(settings)
        if replaced and not force:
            raise RestoreRefused(
                f"the database in {engine.data_dir} holds {replaced} nodes; restoring "
                f"{source} would replace them all. Back it up first (`crimegraph backup DIR`), "
                "then run restore again with --force"
            )
        # The restore tool needs the database closed: API processes answer 503 meanwhile.
        engine.stop()
        databases = engine.data_dir / "arcadedb" / "databases"
        live = databases / engine.database
        staging = databases / f".{engine.database}.restoring"
        shutil.rmtree(staging, ignore_errors=True)
        _java_restore(source, staging)
        replaced_dir = databases / f".{engine.database}.replaced"
        shutil.rmtree(replaced_dir, ignore_errors=True)
        if live.exists():
            live.rename(replaced_dir)
        staging.rename(live)
        shutil.rmtree(replaced_dir, ignore_errors=True)
        engine.ensure_running()
        nodes, restored_version, schema_version = _open_restored(settings)
    finally:
        if not was_running:
            engine.stop()
        elif engine.running_state() is None:
            engine.ensure_running()  # a refused or failed restore leaves it as it found it
    return RestoreResult(
        nodes,
        replaced,
        restored_version,
        schema_version,
        engine_left_running=was_running,
        seconds=time.monotonic() - started,
    )
