"""Every list the API can cut comes in pages: following `next_cursor` with a small `limit`
gives exactly the full answer, each item once (against the seeded graph)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph.core.settings import Settings
from graph.db.engine import EngineHandle
from graph.db.store import Store
from tests.test_api import assert_error_shape

AMRA = "person-mohamed-amra-2da800b3"
NETWORK = "criminalnetwork-organized-crime-networks-d2d233f5"
FRENCH_PRISONS = "facility-french-prisons-fbf0abe2"
OPERATION = "operation-prison-break-08cf4ed9"
PHONES = "asset-miniature-mobile-phone-0b734da3"
ROUEN_ATTACK = "attack-rouen-2024-04-19-71c7e8b9"


@pytest.fixture(scope="module")
def api(
    engine: EngineHandle, seeded_module: Store, settings: Settings, auth_headers: dict[str, str]
) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=auth_headers) as client:
        yield client


def get(api: TestClient, path: str, params: dict[str, Any]) -> Any:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def walk(api: TestClient, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of one question, following next_cursor to the end."""
    pages = [get(api, path, params)]
    while pages[-1]["next_cursor"]:
        assert len(pages) < 200, "the cursors go round in circles"
        pages.append(get(api, path, {**params, "cursor": pages[-1]["next_cursor"]}))
    return pages


def ids(items: list[dict[str, Any]], key: str = "id") -> list[str]:
    return [item[key] for item in items]


def assert_pages_are_the_whole(
    pages: list[dict[str, Any]], whole: dict[str, Any], field: str, key: str, limit: int
) -> None:
    assert whole["next_cursor"] is None, "the full answer fits in one page"
    assert len(pages) > 1, "the small limit cuts the list"
    assert all(len(page[field]) == limit for page in pages[:-1])
    paged = [item[key] for page in pages for item in page[field]]
    assert paged == [item[key] for item in whole[field]]  # same items, same order, once each


# (route, params of the question, list field, identity of an item, small limit)
LISTS = [
    ("/api/v1/entities", {"q": "prison"}, "items", "id", 3),
    ("/api/v1/entities", {"label": "Person"}, "items", "id", 2),
    ("/api/v1/entities", {}, "items", "id", 7),
    ("/api/v1/incidents", {}, "incidents", "id", 2),
    ("/api/v1/incidents", {"type": "Attack", "from": "2024-04"}, "incidents", "id", 3),
    (f"/api/v1/facilities/{FRENCH_PRISONS}/networks", {}, "networks", "network", 1),
    (f"/api/v1/networks/{NETWORK}/facilities", {}, "facilities", "facility", 2),
    ("/api/v1/analytics/key-players", {}, "players", "entity", 4),
    ("/api/v1/analytics/coordinated-incidents", {"window_days": 3}, "groups", "first_date", 1),
]


@pytest.mark.parametrize(("path", "params", "field", "key", "limit"), LISTS)
def test_following_the_cursors_gives_the_whole_list_once(
    api: TestClient, path: str, params: dict[str, Any], field: str, key: str, limit: int
) -> None:
    whole = get(api, path, {**params, "limit": 100})
    pages = walk(api, path, {**params, "limit": limit})
    assert_pages_are_the_whole(pages, whole, field, key, limit)


def test_entities_are_listed_by_label_without_a_search_text(
    api: TestClient, seeded_module: Store
) -> None:
    people = get(api, "/api/v1/entities", {"label": "Person", "limit": 100})["items"]
    stored = sum(
        row["nodes"] for row in seeded_module.run("label_counts") if "Person" in row["labels"]
    )
    assert len(people) == stored and stored > 2
    assert all("Person" in p["labels"] and p["score"] is None for p in people)
    assert [p["name"] for p in people] == sorted(p["name"] for p in people)


@pytest.mark.parametrize(
    ("entity", "depth", "limit"), [(AMRA, 1, 2), (AMRA, 2, 3), (NETWORK, 2, 4), (AMRA, 3, 5)]
)
def test_a_cut_neighbourhood_continues_with_its_cursor_to_the_whole(
    api: TestClient, entity: str, depth: int, limit: int
) -> None:
    path = f"/api/v1/entities/{entity}/neighbors"
    whole = get(api, path, {"depth": depth, "limit": 2000})
    assert whole["truncated"] is False and whole["next_cursor"] is None
    pages = walk(api, path, {"depth": depth, "limit": limit})
    assert len(pages) > 1
    for page in pages[:-1]:
        assert page["truncated"] is True and page["next_cursor"], "a cut page says how to go on"
        assert len(page["links"]) == limit
    assert pages[-1]["truncated"] is False
    links = [link["id"] for page in pages for link in page["links"]]
    nodes = [node["id"] for page in pages for node in page["nodes"]]
    assert len(links) == len(set(links)) and len(nodes) == len(set(nodes)), "each item once"
    assert set(links) == set(ids(whole["links"]))
    assert set(nodes) == set(ids(whole["nodes"]))
    seen: set[str] = set()
    for page in pages:  # every page can be drawn: each link's ends came on it or before
        seen |= set(ids(page["nodes"]))
        assert all({x["from_id"], x["to_id"]} <= seen for x in page["links"])


def test_the_shortest_paths_come_in_pages(api: TestClient) -> None:
    params = {"from": OPERATION, "to": ROUEN_ATTACK, "max_hops": 4}
    whole = get(api, "/api/v1/paths", params)
    assert len(whole["paths"]) > 1, "the seed has several shortest paths here"
    pages = walk(api, "/api/v1/paths", {**params, "limit": 1})
    assert len(pages) == len(whole["paths"])
    paged = [[x["id"] for x in p["links"]] for page in pages for p in page["paths"]]
    assert paged == [[x["id"] for x in p["links"]] for p in whole["paths"]]


@pytest.mark.parametrize(
    ("path", "params", "other"),
    [
        ("/api/v1/incidents", {"limit": 1}, {"type": "Attack"}),
        (f"/api/v1/entities/{AMRA}/neighbors", {"limit": 1}, {"depth": 2}),
        ("/api/v1/entities", {"label": "Person", "limit": 1}, {"label": "Location"}),
    ],
)
def test_a_cursor_serves_only_its_own_question(
    api: TestClient, path: str, params: dict[str, Any], other: dict[str, Any]
) -> None:
    cursor = get(api, path, params)["next_cursor"]
    assert cursor
    error = assert_error_shape(
        api.get(path, params={**params, **other, "cursor": cursor}), 422, "invalid_input"
    )
    assert error["details"] == [
        {"field": "query.cursor", "message": error["details"][0]["message"]}  # type: ignore[index]
    ]
    forged = api.get(path, params={**params, "cursor": "eyJvIjogLTEsICJrIjogIngifQ=="})
    assert_error_shape(forged, 422, "invalid_input")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/incidents", {"limit": 1001}),
        ("/api/v1/contradictions", {"limit": 0}),
        ("/api/v1/paths", {"from": OPERATION, "to": PHONES, "limit": 101}),
        (f"/api/v1/networks/{NETWORK}/facilities", {"limit": 1001}),
        ("/api/v1/analytics/coordinated-incidents", {"limit": 0}),
    ],
)
def test_limits_are_bounded(api: TestClient, path: str, params: dict[str, Any]) -> None:
    error = assert_error_shape(api.get(path, params=params), 422, "invalid_input")
    assert error["details"][0]["field"] == "query.limit"  # type: ignore[index]
