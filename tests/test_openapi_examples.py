"""Every operation of the OpenAPI document shows a real answer of the seed graph as its
response example, and each example validates against what the operation declares.

The examples live in api/openapi_examples.json. To write them again after a change to the
API or the seed: `CRIMEGRAPH_WRITE_EXAMPLES=1 .venv/bin/pytest tests/test_openapi_examples.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib import resources
from typing import Any

import jsonschema_rs
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import TypeAdapter

from api.examples import EXAMPLES_FILE, load_examples
from api.security import _api_routes
from graph.db.store import Store
from tests.test_imports import plain_dataset

AMRA = "person-mohamed-amra-2da800b3"
NETWORK = "criminalnetwork-organized-crime-networks-d2d233f5"
LA_SANTE = "facility-la-sante-prison-c278fec2"
OPORTIK = "company-oportik-34ffa123"
OPERATION = "operation-prison-break-08cf4ed9"
SEED_004 = "document-seed-004-dfd687ba"
ARTICLE = (
    "Spanish police arrested Karim Benali in Barcelona on March 3, 2025. According to "
    "prosecutor Jean-Luc Moreau, he helped Mohamed Amra escape in May 2024."
)
# Answers that hold ids made at the time (snapshots, decisions, keys) or times: the stored
# example must keep the shape of today's answer; the others must equal it.
VOLATILE = {
    "POST /api/v1/queries/{name}/graph",  # a snapshot made now, rows in the engine's order
    "POST /api/v1/snapshots",
    "GET /api/v1/snapshots",
    "GET /api/v1/snapshots/{snapshot_id}",
    "GET /api/v1/snapshots/{snapshot_id}/{format_name}",
    "POST /api/v1/resolution/decisions",
    "GET /api/v1/resolution/decisions",
    "POST /api/v1/resolution/decisions/{decision_id}/undo",
    "GET /api/v1/entities/{entity_id}/why",
    "POST /api/v1/documents",
    "GET /api/v1/review/candidates",
    "GET /api/v1/review/candidates/{candidate_id}",
    "POST /api/v1/review/candidates/{candidate_id}/accept",
    "POST /api/v1/review/candidates/{candidate_id}/reject",
    "POST /api/v1/imports",
    "GET /api/v1/datasets",
    "GET /api/v1/datasets/{dataset_id}",
    "GET /api/v1/export",
    "GET /api/v1/audit",
    "GET /ready",
}
MAX_ITEMS = 2  # an example shows the first items of a long list
MAX_TEXT = 300  # and the start of a long text


def trimmed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: trimmed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trimmed(v) for v in value[:MAX_ITEMS]]
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    return value


def collect_examples(client: TestClient) -> dict[str, dict[str, Any]]:
    """Ask the seeded app every operation once, in an order where each write has what it
    needs, and keep each answer (trimmed) by operation."""
    examples: dict[str, dict[str, Any]] = {}

    def ask(operation: str, url: str, **kwargs: Any) -> Any:
        method, _ = operation.split(" ", 1)
        response: Response = client.request(method, url, **kwargs)
        assert response.status_code < 300, f"{operation}: {response.text}"
        media_type = response.headers["content-type"].split(";")[0]
        body = response.json() if media_type == "application/json" else response.text
        examples[operation] = {
            "status": response.status_code,
            "media_type": media_type,
            "example": trimmed(body),
        }
        return body

    ask("GET /health", "/health")
    ask("GET /ready", "/ready")
    ask("GET /api/v1/stats", "/api/v1/stats")
    ask("GET /api/v1/queries", "/api/v1/queries", params={"mode": "read"})
    ask("GET /api/v1/queries/{name}", "/api/v1/queries/entity_links")
    ask(
        "POST /api/v1/queries/{name}/graph",
        "/api/v1/queries/entity_links/graph",
        json={"id": AMRA, "limit": 100},
    )
    ask("GET /api/v1/entities", "/api/v1/entities", params={"q": "the fly"})
    ask("GET /api/v1/entities/{entity_id}", f"/api/v1/entities/{AMRA}")
    ask(
        "GET /api/v1/entities/{entity_id}/neighbors",
        f"/api/v1/entities/{AMRA}/neighbors",
        params={"depth": 2, "limit": 3},
    )
    ask("GET /api/v1/networks/{network_id}/facilities", f"/api/v1/networks/{NETWORK}/facilities")
    ask("GET /api/v1/facilities/{facility_id}/networks", f"/api/v1/facilities/{LA_SANTE}/networks")
    ask("GET /api/v1/paths", "/api/v1/paths", params={"from": OPORTIK, "to": OPERATION})
    ask("GET /api/v1/incidents", "/api/v1/incidents", params={"type": "Attack", "limit": 2})
    ask("GET /api/v1/analytics/key-players", "/api/v1/analytics/key-players", params={"limit": 2})
    ask(
        "GET /api/v1/analytics/coordinated-incidents",
        "/api/v1/analytics/coordinated-incidents",
        params={"window_days": 7},
    )
    ask("GET /api/v1/sources/{source_id}", f"/api/v1/sources/{SEED_004}")
    ask("GET /api/v1/contradictions", "/api/v1/contradictions")
    ask(
        "POST /api/v1/cypher",
        "/api/v1/cypher",
        json={"query": "MATCH (n:Person) RETURN n.name AS name ORDER BY name LIMIT 2"},
    )
    snapshot = ask(
        "POST /api/v1/snapshots",
        "/api/v1/snapshots",
        json={"entity_ids": [AMRA], "depth": 1, "title": "Mohamed Amra, 1 hop"},
    )
    ask("GET /api/v1/snapshots", "/api/v1/snapshots", params={"limit": 2})
    ask("GET /api/v1/snapshots/{snapshot_id}", f"/api/v1/snapshots/{snapshot['id']}")
    ask(
        "GET /api/v1/snapshots/{snapshot_id}/{format_name}",
        f"/api/v1/snapshots/{snapshot['id']}/cypher",
    )
    candidates = ask(
        "GET /api/v1/resolution/candidates", "/api/v1/resolution/candidates", params={"limit": 2}
    )
    pair = candidates["items"][0]
    decision = ask(
        "POST /api/v1/resolution/decisions",
        "/api/v1/resolution/decisions",
        json={
            "left_id": pair["left"]["id"],
            "right_id": pair["right"]["id"],
            "judgement": "not_same",
            "note": "different events",
        },
    )
    ask("GET /api/v1/resolution/decisions", "/api/v1/resolution/decisions", params={"limit": 2})
    ask(
        "POST /api/v1/resolution/decisions/{decision_id}/undo",
        f"/api/v1/resolution/decisions/{decision['id']}/undo",
    )
    ask("GET /api/v1/entities/{entity_id}/why", f"/api/v1/entities/{AMRA}/why")
    article = ask("POST /api/v1/documents", "/api/v1/documents", json={"text": ARTICLE})
    ask(
        "GET /api/v1/documents/{document_id}/mentions",
        f"/api/v1/documents/{article['document_id']}/mentions",
    )
    queue = ask(
        "GET /api/v1/review/candidates",
        "/api/v1/review/candidates",
        params={"document_id": article["document_id"], "limit": 50},
    )
    by_text = {c["text"]: c["id"] for c in queue}
    ask(
        "GET /api/v1/review/candidates/{candidate_id}",
        f"/api/v1/review/candidates/{by_text['Karim Benali']}",
    )
    ask(
        "POST /api/v1/review/candidates/{candidate_id}/accept",
        f"/api/v1/review/candidates/{by_text['Karim Benali']}/accept",
        json={"label": "Person"},
    )
    ask(
        "POST /api/v1/review/candidates/{candidate_id}/reject",
        f"/api/v1/review/candidates/{by_text['Jean-Luc Moreau']}/reject",
    )
    dataset = ask(
        "POST /api/v1/imports",
        "/api/v1/imports",
        params={"file_name": "harbour.ftm.jsonl"},
        content=plain_dataset(),
    )
    ask("GET /api/v1/datasets", "/api/v1/datasets", params={"limit": 2})
    ask("GET /api/v1/datasets/{dataset_id}", f"/api/v1/datasets/{dataset['id']}")
    ask("GET /api/v1/export", "/api/v1/export", params={"format": "ftm", "dataset": dataset["id"]})
    ask("GET /api/v1/audit", "/api/v1/audit", params={"limit": 1})
    return examples


def shape(value: Any) -> Any:
    """What a client relies on: the keys and the types, not the values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def success_example(operation: dict[str, Any]) -> tuple[str, str, Any] | None:
    """The (status, media type, example) of the operation's success answer, if it has one."""
    for status, response in operation["responses"].items():
        for media_type, content in response.get("content", {}).items():
            if status.startswith("2") and "example" in content:
                return status, media_type, content["example"]
    return None


def route_for(client: TestClient, key: str) -> APIRoute:
    method, path = key.split(" ", 1)
    for original, route in _api_routes(client.app):  # type: ignore[arg-type]
        if (getattr(route, "path", None) or original.path) == path and method in (
            original.methods or ()
        ):
            return original
    raise AssertionError(f"no route for {key}")


def test_every_operation_has_a_response_example_valid_against_its_schema(
    client: TestClient,
) -> None:
    document = client.app.openapi()  # type: ignore[attr-defined]
    missing = [key for key, op in operations(document) if success_example(op) is None]
    assert not missing, f"operations without a response example: {missing}"
    for key, operation in operations(document):
        status, media_type, example = success_example(operation)  # type: ignore[misc]
        declared = operation["responses"][status]["content"][media_type].get("schema")
        if declared is not None:  # the document's own schema, $refs into its components
            schema = {**declared, "components": document["components"]}
            errors = [e.message for e in jsonschema_rs.validator_for(schema).iter_errors(example)]
            assert not errors, f"{key}: the example breaks the document's schema: {errors}"
        route = route_for(client, key)
        if media_type == "application/json" and route.response_model is not None:
            TypeAdapter(route.response_model).validate_python(example)


def test_the_examples_are_the_answers_of_the_seed_graph(
    client: TestClient, seeded_store: Store
) -> None:
    fresh = collect_examples(client)
    assert set(fresh) == {key for key, _ in operations(client.app.openapi())}  # type: ignore[attr-defined]
    if os.environ.get("CRIMEGRAPH_WRITE_EXAMPLES") == "1":
        path = resources.files("api").joinpath(EXAMPLES_FILE)
        text = json.dumps(fresh, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        with resources.as_file(path) as file:
            file.write_text(text, encoding="utf-8")
        load_examples.cache_clear()
    stored = load_examples()
    compare: Callable[[Any], Any]
    for key, answer in fresh.items():
        compare = shape if key in VOLATILE else (lambda value: value)
        assert key in stored, f"{key} has no stored example: write them again (module doc)"
        assert compare(stored[key]) == compare(answer), (
            f"{key}: the stored example is not today's answer; write them again (module doc)"
        )


def test_the_named_query_body_is_documented_with_examples_that_run(
    client: TestClient, seeded_store: Store
) -> None:
    document = client.app.openapi()  # type: ignore[attr-defined]
    body = document["paths"]["/api/v1/queries/{name}/graph"]["post"]["requestBody"]
    content = body["content"]["application/json"]
    assert "parameters" in content["schema"]["description"]
    examples = content["examples"]
    assert examples
    for name, example in examples.items():
        response = client.post(f"/api/v1/queries/{name}/graph", json=example["value"])
        assert response.status_code == 200, response.text
        assert response.json()["rows"], f"the {name} example finds nothing on the seed"
