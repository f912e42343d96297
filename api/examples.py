"""Response examples in the OpenAPI document: real answers of the seed graph.

They live in api/openapi_examples.json, written from a seeded app by
tests/test_openapi_examples.py (`CRIMEGRAPH_WRITE_EXAMPLES=1`), which also checks that every
operation has one and that each validates against the operation's declared schema.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from fastapi import FastAPI

EXAMPLES_FILE = "openapi_examples.json"


@cache
def load_examples() -> dict[str, dict[str, Any]]:
    """By operation ("GET /api/v1/stats"): the status, media type and example answer."""
    text = resources.files("api").joinpath(EXAMPLES_FILE).read_text(encoding="utf-8")
    examples: dict[str, dict[str, Any]] = json.loads(text)
    return examples


def add_response_examples(app: FastAPI) -> None:
    """Each operation's success response carries its example (call after every other hook
    that rebuilds the document)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        examples = load_examples()
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                found = examples.get(f"{method.upper()} {path}")
                if found is None or not isinstance(operation, dict):
                    continue
                response = operation["responses"].get(str(found["status"]))
                if response is None:
                    continue
                media = response.setdefault("content", {}).setdefault(found["media_type"], {})
                media["example"] = found["example"]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
