"""Property-based tests of the whole API against its own OpenAPI document (Schemathesis).

Every operation the app documents is exercised in-process (ASGI, no network) over the seed
graph, with positive and negative inputs (examples, coverage and fuzzing phases), and each
response must pass Schemathesis' standard checks: no 5xx, a documented status code, a
documented content type, and a body that conforms to the documented response schema.

Bounded and deterministic for CI: a fixed seed, derandomized generation, no example
database, and MAX_EXAMPLES fuzzed cases per operation (the coverage phase adds its own,
deterministic, boundary and negative cases).

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
from graph.engine import EngineHandle
from graph.settings import Settings
from graph.store import Store

MAX_EXAMPLES = 100
SEED = 20_261_122
REQUEST_TIMEOUT = 30

# The app's own OpenAPI document, from the same factory the server uses. Building it starts
# nothing (the database opens in the lifespan), so it can be read at import time, which
# gives one pytest item per operation. `from_asgi("/openapi.json", app)` would serve the
# same document but start the app's lifespan at collection (before the session's engine and
# data dir exist) and keep it until the interpreter exits, so the document is loaded with
# `from_dict` and the requests go in-process through Schemathesis' ASGI client below.
OPENAPI: dict[str, Any] = create_app(Settings()).openapi()

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",  # positive and negative inputs
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
    }
)
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)


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
    case.call_and_validate(
        base_url="http://testserver",
        headers=auth_headers,
        timeout=REQUEST_TIMEOUT,
    )
