"""Property-based tests of the whole API against its own OpenAPI document (Schemathesis).

Every operation the app documents is exercised in-process (ASGI, no network) over the seed
graph, with positive and negative inputs (examples, coverage and fuzzing phases), and each
response must pass every check Schemathesis has: no 5xx, documented status codes, content
types, headers and bodies; every request the document allows is accepted (ST202 otherwise)
and every one it forbids is refused; a missing or dropped key is a 401; an undeclared method
is a 405 with `Allow`.

Bounded and deterministic for CI: a fixed seed, derandomized generation, no example
database, and MAX_EXAMPLES fuzzed cases per operation (the coverage phase adds its own,
deterministic, boundary and negative cases). About 2 min 40 s on 2 shared cores (38
operations, 100 examples each).

Nothing is excluded. The /explore pages are `include_in_schema=False`, so they are not in
the document and not tested here (tests/test_explore.py covers them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from api.app import create_app
from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.store import Store

MAX_EXAMPLES = 100
SEED = 20_261_122
REQUEST_TIMEOUT = 30

# The app's own OpenAPI document, from the same factory the server uses. Building it starts
# nothing (the database opens in the lifespan), so it can be read at import time, which
# gives one pytest item per operation. `from_asgi("/openapi.json", app)` would serve the
# same document but start the app's lifespan at collection (before the session's engine and
# data dir exist) and keep it until the interpreter exits, so the document is loaded with
# `from_dict` and the requests go in-process to the app below (`schema.app`).
OPENAPI: dict[str, Any] = create_app(Settings()).openapi()

# Bodies whose validity depends on more than their shape: a valid request of these may be a
# 422 that names the problem, so for them (only) a 422 to a schema-valid body is accepted.
VALIDATED_BEYOND_THE_SCHEMA = {
    "/api/v1/cypher": "the text must be Cypher the guard and the engine's parser accept",
    "/api/v1/snapshots": "a named query's parameters are those its .cypher header declares",
    "/api/v1/queries/{name}/graph": "the same: the body holds the named query's parameters",
    "/api/v1/imports": "the body is a file (FtM JSON lines or a zip of CSV) read by its format",
    "/api/v1/resolution/decisions": "canonical_id must be one of left_id and right_id",
}
SEMANTIC_422 = [
    {
        "include-name": f"POST {path}",
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
            }
        },
    }
    for path in VALIDATED_BEYOND_THE_SCHEMA
]

# An invalid request refused for its size is refused all the same: a generated query string
# past CRIMEGRAPH_MAX_URL_BYTES is a 414 before any parameter is read (documented on every
# operation), headers past the header limit a 431.
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429"]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "checks": {
            "negative_data_rejection": {"expected-statuses": [*REFUSALS, "431", "5xx"]},
        },
        "operations": SEMANTIC_422,
        "generation": {
            "mode": "all",  # positive and negative inputs
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
    }
)
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)


# What no schema can say about a valid request, applied to the generated valid ones (the
# invalid ones are sent as generated):
# - a cursor is opaque: only a `next_cursor` the same question returned is valid;
# - a date range must not end before it starts; a path joins two different entities.
RANGES = {
    "/api/v1/incidents": ("from", "to"),
    "/api/v1/entities/{entity_id}/neighbors": ("since", "until"),
}


def within_cross_field_rules(case: schemathesis.Case[Any]) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive or not case.query:
        return
    query, path = case.query, case.operation.path
    if isinstance(query.get("cursor"), str):  # every list's cursor (the audit's is a number)
        query.pop("cursor")
    if path == "/api/v1/paths" and query.get("from") == query.get("to"):
        query["to"] = f"{query['to']}-other"
    if path in RANGES:
        start, end = RANGES[path]
        first, last = query.get(start), query.get(end)
        if isinstance(first, str) and isinstance(last, str):
            shortest = min(len(first), len(last))
            if first[:shortest] > last[:shortest]:
                query[start], query[end] = last, first


class _SeededApp:
    """The app Schemathesis sends every request to, in-process: its own calls and the probes
    some checks send (without the key for `ignored_auth`, with an undeclared method for
    `unsupported_method`). The module's TestClient owns the real app's lifespan, so a
    lifespan scope here is declined (what an app without one does) instead of starting a
    second engine handle and store on the same app."""

    app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        assert self.app is not None, "the seeded_app fixture sets the app"
        await self.app(scope, receive, send)


SEEDED = _SeededApp()
schema.app = SEEDED


@pytest.fixture(scope="module")
def seeded_app(engine: EngineHandle, settings: Settings, seeded_module: Store) -> Iterator[FastAPI]:
    """One app over the seed graph for the module; its lifespan runs under a TestClient."""
    app = create_app(settings)
    with TestClient(app):
        yield app


@pytest.fixture(scope="module")
def seeded(seeded_app: FastAPI) -> Iterator[None]:
    SEEDED.app = seeded_app
    yield
    SEEDED.app = None


@schema.parametrize()
def test_every_operation_conforms_to_its_schema(
    case: schemathesis.Case, seeded: None, auth_headers: dict[str, str]
) -> None:
    # As an admin, so every operation is reached; a read is abandoned after the query
    # timeout (15 s); past REQUEST_TIMEOUT it is a hang.
    within_cross_field_rules(case)
    case.call_and_validate(
        base_url="http://testserver",
        headers=auth_headers,
        timeout=REQUEST_TIMEOUT,
    )
