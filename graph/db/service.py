"""Opening the graph the same way from the CLI, the API and the tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.queries import QuerySet
from graph.db.store import Store


def load_queries(settings: Settings) -> QuerySet:
    return QuerySet.load(settings.cypher_dir / "queries")


@contextlib.contextmanager
def open_store(settings: Settings, *, apply_schema: bool = True) -> Iterator[Store]:
    """Reach the configured database (starting the embedded engine if needed), apply the
    schema, and yield a Store; on exit close it and stop the engine if this started it."""
    queries = load_queries(settings)
    with EngineHandle(settings) as engine:
        store = Store(engine.connection, queries, settings.query_timeout, settings.retry_time)
        try:
            if apply_schema:
                store.apply_schema(settings.cypher_dir / "schema")
            yield store
        finally:
            store.close()
