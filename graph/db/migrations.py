"""Schema versions: what a database has had done to it, and doing the rest, in order.

The version is stored in the database itself, on one system node
`(:SchemaVersion {id: 'crimegraph'})` (named queries `schema_version` and
`record_schema_version`). A database without that node was made before versions were
recorded (release 0.1.0): it is version 0.

A migration is either a file `cypher/migrations/NNN_name.cypher` (statements separated by
`;` at a line end, run like the schema files, engine differences translated by
graph.db.dialect) or a Python function registered here with `@python_migration(N, "name")`,
which gets the Store and may run named queries, transactions or engine statements. Both
share one numbering, 1, 2, 3... without gaps. Every start-up that applies the schema (the
API, every CLI command that opens the store) runs the migrations past the stored version in
order, recording the version after each, and refuses to run at all (SchemaTooNew) on a
database whose version is newer than the last migration this release knows.

Two processes starting at once may both run a pending migration: each must be idempotent
(MERGE, `IF NOT EXISTS`, a check before moving records).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from graph.core.errors import QueryDefinitionError, SchemaTooNew

if TYPE_CHECKING:
    from graph.db.store import Store

log = logging.getLogger("crimegraph.migrations")
_FILE_NAME = re.compile(r"^(?P<version>\d{3})_(?P<name>[a-z][a-z0-9_]*)\.cypher$")

MigrationFunction = Callable[["Store"], None]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # NNN_name, as recorded on the :SchemaVersion node
    run: Callable[[Store], None]


_PYTHON_MIGRATIONS: dict[int, Migration] = {}


def python_migration(version: int, name: str) -> Callable[[MigrationFunction], MigrationFunction]:
    """Register `function(store)` as migration `version` (a number no .cypher file uses)."""

    def register(function: MigrationFunction) -> MigrationFunction:
        if version in _PYTHON_MIGRATIONS:
            raise QueryDefinitionError(f"Python migration {version} is registered twice")
        _PYTHON_MIGRATIONS[version] = Migration(version, f"{version:03d}_{name}", function)
        return function

    return register


def _cypher_migration(version: int, path: Path) -> Migration:
    def run(store: Store) -> None:
        store.run_schema_file(path)

    return Migration(version, path.stem, run)


def load_migrations(directory: Path) -> list[Migration]:
    """The migrations of this release, in order: the directory's files and the Python ones.
    QueryDefinitionError on a badly named file, a number used twice or a gap."""
    found: dict[int, Migration] = dict(_PYTHON_MIGRATIONS)
    paths = sorted(directory.glob("*.cypher")) if directory.is_dir() else []
    for path in paths:
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise QueryDefinitionError(f"{path}: a migration file is named NNN_snake_case.cypher")
        version = int(match["version"])
        if version in found:
            raise QueryDefinitionError(f"{path}: migration {version} is defined twice")
        found[version] = _cypher_migration(version, path)
    ordered = [found[v] for v in sorted(found)]
    expected = list(range(1, len(ordered) + 1))
    if [m.version for m in ordered] != expected:
        raise QueryDefinitionError(
            f"migrations must be numbered 1..{len(ordered)} without gaps, found "
            f"{[m.version for m in ordered]}"
        )
    return ordered


def stored_version(store: Store) -> int:
    """The database's schema version; 0 for one made before versions were recorded."""
    rows = store.run("schema_version")
    return int(rows[0]["version"]) if rows else 0


def migrate(store: Store, directory: Path) -> list[str]:
    """Run the migrations the database has not had; return their names. SchemaTooNew when
    the database is past the last migration of this release."""
    migrations = load_migrations(directory)
    latest = migrations[-1].version if migrations else 0
    current = stored_version(store)
    if current > latest:
        raise SchemaTooNew(
            f"the database is at schema version {current}, but this release of crimegraph "
            f"knows versions up to {latest} only: it was opened by a newer release. Run that "
            "release (or newer), or restore a backup made by this one (docs/operations.md)."
        )
    done = []
    for migration in migrations[current:]:
        log.info(
            "migrating the database to schema version %d (%s)", migration.version, migration.name
        )
        migration.run(store)
        store.run(
            "record_schema_version", {"version": migration.version, "migration": migration.name}
        )
        done.append(migration.name)
    return done


def move_security_records(graph: Store, security: Store) -> int:
    """Move the API keys an older version kept in the graph database to the security
    database; return how many were moved. A one-off at start-up (Store.apply_schema), safe
    to run again: copied first (a key already there keeps its record), then deleted from
    the graph, so a run cut short in between is finished by the next one."""
    if graph.connection.database == security.connection.database:
        return 0
    legacy = graph.run("legacy_api_keys")
    if not legacy:
        return 0
    security.run("move_api_keys", {"keys": legacy})
    graph.run("delete_legacy_api_keys", {"ids": [str(row["id"]) for row in legacy]})
    return len(legacy)
