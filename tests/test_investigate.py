"""The investigator API through HTTP, against the seeded graph on the real engine."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_store
from graph.core.errors import QueryTimeout
from graph.core.settings import Settings
from graph.core.text import display_date
from graph.db.engine import EngineHandle
from graph.db.store import Store
from tests.test_api import assert_error_shape

SEED_000 = "document-seed-000-4431eeef"
SEED_004 = "document-seed-004-dfd687ba"


@pytest.fixture(scope="module")
def api(
    engine: EngineHandle, seeded_module: Store, settings: Settings, auth_headers: dict[str, str]
) -> Iterator[TestClient]:
    """One seeded graph for the module: these tests only read."""
    with TestClient(create_app(settings), headers=auth_headers) as client:
        yield client


def get(api: TestClient, path: str, **params: Any) -> Any:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def find(api: TestClient, q: str, label: str = "Entity") -> dict[str, Any]:
    items = get(api, "/api/v1/entities", q=q, label=label)["items"]
    assert items, f"nothing found for {q!r}"
    return items[0]  # type: ignore[no-any-return]


# --- search ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("the fly", "Mohamed Amra"),
        ("amra", "Mohamed Amra"),
        ("Amra", "Mohamed Amra"),
        ("la sante", "La Santé prison"),
        ("LA SANTÉ", "La Santé prison"),
        ("oportick", "Oportik"),
        ("gerald darmanin", "Gérald Darmanin"),
        ("mohamed amrra", "Mohamed Amra"),
    ],
)
def test_search_forgives_accents_case_and_typos(api: TestClient, q: str, expected: str) -> None:
    assert find(api, q)["name"] == expected


def test_common_words_alone_do_not_match(api: TestClient) -> None:
    names = [i["name"] for i in get(api, "/api/v1/entities", q="the fly")["items"]]
    assert names == ["Mohamed Amra"]


def test_search_filters_by_label_and_pages_with_a_cursor(api: TestClient) -> None:
    assert find(api, "amra", "Escape")["name"] == "Escape of Mohamed Amra"
    first = get(api, "/api/v1/entities", q="prison", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = get(api, "/api/v1/entities", q="prison", limit=2, cursor=first["next_cursor"])
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    everything = get(api, "/api/v1/entities", q="prison", limit=100)
    assert [i["id"] for i in everything["items"][:4]] == [
        i["id"] for i in first["items"] + second["items"]
    ]
    assert everything["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"q": "prison", "cursor": "not-a-cursor"},
        {"q": "", "limit": 5},
        {"q": "!!!"},
        {"q": "amra", "limit": 0},
        {"q": "amra", "limit": 101},
        {"q": "amra", "label": "Alien"},
    ],
)
def test_bad_search_parameters_are_422(api: TestClient, params: dict[str, Any]) -> None:
    assert_error_shape(api.get("/api/v1/entities", params=params), 422, "invalid_input")


def test_a_cursor_only_serves_its_own_search(api: TestClient) -> None:
    cursor = get(api, "/api/v1/entities", q="prison", limit=1)["next_cursor"]
    response = api.get("/api/v1/entities", params={"q": "amra", "cursor": cursor})
    assert_error_shape(response, 422, "invalid_input")


# --- one entity -------------------------------------------------------------------------


def test_an_entity_with_aliases_provenance_and_relationship_counts(api: TestClient) -> None:
    amra = find(api, "amra")
    detail = get(api, f"/api/v1/entities/{amra['id']}")
    assert "The Fly" in detail["aliases"]
    assert detail["provenance"]["source_ids"] == [SEED_004]
    assert "The Fly" in detail["provenance"]["quote"] and detail["provenance"]["grading"] == "B2"
    counts = {c["type"]: c["count"] for c in detail["relationship_counts"]}
    assert counts["INVOLVED"] == 3 and counts["MENTIONS"] == 1
    assert "search_text" not in detail["properties"]


def test_unknown_ids_are_404_everywhere(api: TestClient) -> None:
    amra = find(api, "amra")["id"]
    for path in (
        "/api/v1/entities/nobody",
        "/api/v1/entities/nobody/neighbors",
        "/api/v1/networks/nobody/facilities",
        f"/api/v1/networks/{amra}/facilities",  # a person is not a network
        "/api/v1/facilities/nowhere/networks",
        "/api/v1/sources/nothing",
        "/api/v1/analytics/key-players?scope=nobody",
        f"/api/v1/paths?from={amra}&to=nobody",
        "/api/v1/incidents?facility=nowhere",
    ):
        assert_error_shape(api.get(path), 404, "not_found")


# --- neighbourhoods ---------------------------------------------------------------------


def test_neighbourhood_by_depth_type_and_cap(api: TestClient) -> None:
    amra = find(api, "amra")["id"]
    one = get(api, f"/api/v1/entities/{amra}/neighbors", depth=1)
    assert {link["type"] for link in one["links"]} == {"INVOLVED"}  # MENTIONS left out by default
    assert all(
        link["evidence"]["quote"] and link["evidence"]["source_ids"] for link in one["links"]
    )
    two = get(api, f"/api/v1/entities/{amra}/neighbors", depth=2)
    assert len(two["nodes"]) > len(one["nodes"]) and not two["truncated"]
    capped = get(api, f"/api/v1/entities/{amra}/neighbors", depth=2, limit=2)
    assert len(capped["links"]) == 2 and capped["truncated"]
    with_mentions = get(api, f"/api/v1/entities/{amra}/neighbors", types=["MENTIONS"])
    assert [n["labels"] for n in with_mentions["nodes"] if n["id"] != amra] == [
        ["Document", "Entity"]
    ]


def test_neighbourhood_date_filter_leaves_out_events_outside_the_range(api: TestClient) -> None:
    fresnes = find(api, "fresnes prison", "Facility")["id"]
    april = get(api, f"/api/v1/entities/{fresnes}/neighbors", since="2024-04", until="2024-04")
    may = get(api, f"/api/v1/entities/{fresnes}/neighbors", since="2024-05")
    attacks = lambda body: [n for n in body["nodes"] if "Attack" in n["labels"] and n["date"]]  # noqa: E731
    assert [n["date"] for n in attacks(april)] == ["2024-04-12"]
    assert attacks(may) == []


@pytest.mark.parametrize(
    "params",
    [
        {"depth": 0},
        {"depth": 4},
        {"limit": 0},
        {"since": "April"},
        {"min_grade": "Z9"},
        {"types": "NOT_A_TYPE"},
        {"min_confidence": 101},
    ],
)
def test_neighbourhood_bounds_are_422(api: TestClient, params: dict[str, Any]) -> None:
    amra = find(api, "amra")["id"]
    assert_error_shape(
        api.get(f"/api/v1/entities/{amra}/neighbors", params=params), 422, "invalid_input"
    )


# --- networks and facilities ------------------------------------------------------------


def test_the_networks_of_seed_000_connect_to_the_four_prisons_with_quoted_paths(
    api: TestClient,
) -> None:
    network = find(api, "organized crime networks", "CriminalNetwork")
    body = get(api, f"/api/v1/networks/{network['id']}/facilities")
    by_name = {f["facility"]["name"]: f for f in body["facilities"]}
    for prison in ("Fresnes prison", "Vendin-le-Vieil prison", "La Santé prison", "Rouen prison"):
        connection = by_name[prison]
        kinds = [k["kind"] for k in connection["how"]]
        assert "attack_attributed_to_network" in kinds
        path = connection["shortest_path"]
        assert path["nodes"][0]["id"] == network["id"] and path["nodes"][-1]["name"] == prison
        assert all(SEED_000 in link["evidence"]["source_ids"] for link in path["links"])
        assert all(link["evidence"]["quote"] for link in path["links"])
        assert connection["source_count"] == len(connection["source_ids"]) >= 1
    counts = [f["source_count"] for f in body["facilities"]]
    assert counts == sorted(counts, reverse=True), "ranked by independent sources"


def test_network_facility_links_follow_only_the_chosen_types(api: TestClient) -> None:
    network = find(api, "organized crime networks", "CriminalNetwork")["id"]
    assert (
        get(api, f"/api/v1/networks/{network}/facilities", types="MEMBERSHIP")["facilities"] == []
    )
    no_targeting = get(api, f"/api/v1/networks/{network}/facilities", exclude_types="TARGETED")
    links = [l for f in no_targeting["facilities"] for k in f["how"] for l in k["path"]["links"]]  # noqa: E741
    assert links and all(link["type"] != "TARGETED" for link in links)
    fresnes = next(
        f
        for f in get(api, f"/api/v1/networks/{network}/facilities")["facilities"]
        if f["facility"]["name"] == "Fresnes prison"
    )
    attack = next(n for n in fresnes["shortest_path"]["nodes"] if "Attack" in n["labels"])
    assert (attack["date"], attack["date_precision"]) == ("2024-04-12", "day")


def test_the_reverse_question_from_a_facility(api: TestClient) -> None:
    sante = find(api, "la sante", "Facility")
    body = get(api, f"/api/v1/facilities/{sante['id']}/networks")
    assert [n["network"]["name"] for n in body["networks"]] == [
        "Organized crime networks (coordinated prison attacks)"
    ]
    assert_error_shape(
        api.get(f"/api/v1/facilities/{find(api, 'amra')['id']}/networks"), 404, "not_found"
    )


# --- paths ------------------------------------------------------------------------------


def test_a_path_from_oportik_to_operation_prison_break_cites_seed_004(api: TestClient) -> None:
    oportik = find(api, "oportik", "Company")["id"]
    operation = find(api, "prison break", "Operation")["id"]
    body = get(api, "/api/v1/paths", **{"from": oportik, "to": operation})
    assert body["length"] == 2
    path = body["paths"][0]
    assert [n["name"] for n in path["nodes"]] == [
        "Oportik",
        "Miniature mobile phones",
        "Prison Break",
    ]
    assert all(link["evidence"]["source_ids"] == [SEED_004] for link in path["links"])


def test_path_filters_hold_on_every_hop(api: TestClient) -> None:
    oportik = find(api, "oportik", "Company")["id"]
    operation = find(api, "prison break", "Operation")["id"]
    no_resale = [
        t for t in ("OWNERSHIP", "SEIZED", "TARGETED", "CONDUCTED_BY", "INVOLVED", "SUPPLIED")
    ]
    body = get(
        api,
        "/api/v1/paths",
        **{"from": oportik, "to": operation, "types": no_resale, "max_hops": 6},
    )
    assert body["length"] > 2
    assert all(link["type"] != "RESOLD" for p in body["paths"] for link in p["links"])
    excluded = get(
        api,
        "/api/v1/paths",
        **{"from": oportik, "to": operation, "exclude_types": "RESOLD", "max_hops": 6},
    )
    assert excluded["length"] > 2
    assert all(link["type"] != "RESOLD" for p in excluded["paths"] for link in p["links"])
    for params in ({"max_hops": 1}, {"min_grade": "A1"}, {"min_confidence": 100}):
        response = api.get("/api/v1/paths", params={"from": oportik, "to": operation, **params})
        error = assert_error_shape(response, 404, "not_found")
        assert "no path" in str(error["message"])


@pytest.mark.parametrize("params", [{"max_hops": 0}, {"max_hops": 7}, {"to": None}])
def test_path_bounds_are_422(api: TestClient, params: dict[str, Any]) -> None:
    oportik = find(api, "oportik", "Company")["id"]
    query = {"from": oportik, "to": oportik, **params}
    query = {k: v for k, v in query.items() if v is not None}
    assert_error_shape(api.get("/api/v1/paths", params=query), 422, "invalid_input")


# --- timeline ---------------------------------------------------------------------------


def test_the_timeline_lists_the_april_attacks_in_order_with_their_precision(
    api: TestClient,
) -> None:
    body = get(
        api, "/api/v1/incidents", type="Attack", **{"from": "2024-04-01", "to": "2024-04-30"}
    )
    assert [(i["date"], i["date_precision"]) for i in body["incidents"]] == [
        ("2024-04-12", "day"),
        ("2024-04-15", "day"),
        ("2024-04-17", "day"),
        ("2024-04-19", "day"),
    ]
    assert body["incidents"][0]["date_display"] == "12 April 2024"
    assert body["incidents"][0]["facilities"][0]["name"] == "Fresnes prison"
    assert body["incidents"][0]["networks"][0]["name"].startswith("Organized crime networks")


def test_the_timeline_keeps_undated_incidents_last_and_filters_by_facility_and_network(
    api: TestClient,
) -> None:
    everything = get(api, "/api/v1/incidents")["incidents"]
    dated = [i["date"] for i in everything if i["date"]]
    assert dated == sorted(dated)
    firsts_undated = [i["date"] is None for i in everything]
    assert firsts_undated == sorted(firsts_undated), "undated incidents come last"
    escape = next(i for i in everything if i["type"] == "Escape")
    assert escape["date_display"] == "May last year (no date)"
    rouen = find(api, "rouen prison", "Facility")["id"]
    at_rouen = get(api, "/api/v1/incidents", facility=rouen)["incidents"]
    assert [i["name"] for i in at_rouen] == ["Attack on Rouen prison (April 19, 2024)"]
    traffickers = find(api, "drug traffickers", "CriminalNetwork")["id"]
    blamed = get(api, "/api/v1/incidents", network=traffickers)["incidents"]
    assert [i["date_text"] for i in blamed] == ["Last month"]


def test_a_reversed_range_is_refused_naming_the_parameter_sent(api: TestClient) -> None:
    response = api.get("/api/v1/incidents", params={"from": "2024-04-30", "to": "2024-04-01"})
    error = assert_error_shape(response, 422, "invalid_input")
    assert error["details"][0]["field"] == "query.to"  # type: ignore[index]


AMRA = "person-mohamed-amra-2da800b3"


def fields_of(error: dict[str, object]) -> list[str]:
    details = error["details"]
    assert isinstance(details, list)
    return [str(d["field"]) for d in details]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/incidents", {"from": "2024-13-45"}, "query.from"),
        ("/api/v1/incidents", {"from": "2024-02-30"}, "query.from"),
        ("/api/v1/incidents", {"from": "2023-02-29"}, "query.from"),
        ("/api/v1/incidents", {"from": "2024-00"}, "query.from"),
        ("/api/v1/incidents", {"to": "2024-99"}, "query.to"),
        ("/api/v1/incidents", {"from": "12/04/2024"}, "query.from"),
        ("/api/v1/incidents", {"from": ""}, "query.from"),
        ("/api/v1/incidents", {"from": "\u0662\u0660\u0662\u0664"}, "query.from"),  # Arabic digits
        (f"/api/v1/entities/{AMRA}/neighbors", {"since": "2024-13-45"}, "query.since"),
        (f"/api/v1/entities/{AMRA}/neighbors", {"until": "2024-04-31"}, "query.until"),
        (f"/api/v1/entities/{AMRA}/neighbors", {"since": "2024-04-12\n"}, "query.since"),
    ],
)
def test_dates_must_be_real_calendar_dates_and_errors_name_what_was_sent(
    api: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    error = assert_error_shape(api.get(path, params=params), 422, "invalid_input")
    assert fields_of(error) == [field]
    assert field.removeprefix("query.") in str(error["message"])


@pytest.mark.parametrize("when", ["2024", "2024-04", "2024-04-12", "2024-02-29"])
def test_a_date_may_be_a_year_a_month_or_a_day(api: TestClient, when: str) -> None:
    assert api.get("/api/v1/incidents", params={"from": when, "to": when}).status_code == 200
    neighbours = api.get(f"/api/v1/entities/{AMRA}/neighbors", params={"since": when})
    assert neighbours.status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "unknown", "accepted"),
    [
        ("/api/v1/incidents", {"until": "2024-04"}, ["until"], {"from", "to", "type", "facility"}),
        ("/api/v1/incidents", {"from": "2024", "form": "2024"}, ["form"], {"from", "to"}),
        (f"/api/v1/entities/{AMRA}/neighbors", {"dpth": "2"}, ["dpth"], {"depth", "since"}),
        (f"/api/v1/entities/{AMRA}", {"depth": "2"}, ["depth"], set()),
        ("/api/v1/stats", {"x": "1"}, ["x"], set()),
        ("/health", {"verbose": "1"}, ["verbose"], set()),
    ],
)
def test_unknown_query_parameters_are_422_listing_the_accepted_ones(
    api: TestClient, path: str, params: dict[str, str], unknown: list[str], accepted: set[str]
) -> None:
    error = assert_error_shape(api.get(path, params=params), 422, "invalid_input")
    assert fields_of(error) == [f"query.{u}" for u in unknown]
    listed = str(error["message"]).split("this route accepts: ")[1]
    assert accepted <= set(listed.split(", ")) if accepted else listed == "none"


def test_the_route_s_role_is_checked_before_its_parameters(api: TestClient) -> None:
    anonymous = TestClient(api.app)
    response = anonymous.get("/api/v1/incidents", params={"until": "2024"})
    assert_error_shape(response, 401, "unauthenticated")


def test_the_document_lists_what_the_api_accepts(api: TestClient) -> None:
    """The enums come from the model, and a date is a pattern or a calendar date."""
    spec = api.get("/openapi.json").json()
    params = {
        p["name"]: p["schema"] for p in spec["paths"]["/api/v1/incidents"]["get"]["parameters"]
    }
    assert "Attack" in str(params["type"]) and "format': 'date'" in str(params["from"])
    search = spec["paths"]["/api/v1/entities"]["get"]["parameters"]
    label = next(p["schema"] for p in search if p["name"] == "label")
    assert {"Person", "Facility", "Entity"} <= set(label["enum"])


def test_a_month_is_never_shown_as_a_day() -> None:
    assert display_date("2024-04", "month") == "April 2024"
    assert display_date("2024", "year") == "2024"
    assert display_date("2024-04-12", "day") == "12 April 2024"
    assert display_date(None, None) == "undated"


# --- analytics --------------------------------------------------------------------------


def test_key_players_name_their_method_and_scope(api: TestClient) -> None:
    whole = get(api, "/api/v1/analytics/key-players", limit=5)
    assert "betweenness" in whole["method"] and whole["scope"] == "whole graph"
    assert len(whole["players"]) == 5
    betweenness = [p["betweenness"] for p in whole["players"]]
    assert betweenness == sorted(betweenness, reverse=True)
    network = find(api, "organized crime networks", "CriminalNetwork")["id"]
    people = get(api, "/api/v1/analytics/key-players", label="Person", limit=3)["players"]
    assert people and all("Person" in p["entity"]["labels"] for p in people)
    around = get(api, "/api/v1/analytics/key-players", scope=network, limit=50)
    assert around["nodes"] < whole["nodes"] and network in around["scope"]
    assert network in {p["entity"]["id"] for p in around["players"]}


def test_coordinated_incidents_find_the_april_wave(api: TestClient) -> None:
    body = get(api, "/api/v1/analytics/coordinated-incidents", window_days=7, min_incidents=3)
    assert len(body["groups"]) == 1
    group = body["groups"][0]
    assert (group["first_date"], group["last_date"], group["span_days"]) == (
        "2024-04-12",
        "2024-04-19",
        7,
    )
    assert len(group["facilities"]) == 4
    shared = {(s["kind"], s["id"]) for s in group["shared_by"]}
    assert ("source", SEED_000) in shared and any(kind == "network" for kind, _ in shared)
    narrow = get(api, "/api/v1/analytics/coordinated-incidents", window_days=3, min_incidents=3)
    assert narrow["groups"] == []
    none = get(api, "/api/v1/analytics/coordinated-incidents", window_days=7, min_incidents=5)
    assert none["groups"] == []


# --- sources ----------------------------------------------------------------------------


def test_a_source_and_every_claim_it_supports(api: TestClient) -> None:
    body = get(api, f"/api/v1/sources/{SEED_004}")
    assert body["document"]["text"].startswith("Africa-Press")
    assert "Oportik" in {e["name"] for e in body["entities"]}
    assert all(
        claim["quote"] in " ".join(body["document"]["text"].split()) for claim in body["links"]
    )
    assert any(link["type"] == "RESOLD" for link in body["links"])


# --- filters on every link-returning endpoint --------------------------------------------


def test_grade_and_confidence_filters_apply_to_every_link_endpoint(api: TestClient) -> None:
    network = find(api, "organized crime networks", "CriminalNetwork")["id"]
    sante = find(api, "la sante", "Facility")["id"]
    amra = find(api, "amra")["id"]
    strict = {"min_grade": "A1"}
    assert get(api, f"/api/v1/networks/{network}/facilities", **strict)["facilities"] == []
    assert get(api, f"/api/v1/facilities/{sante}/networks", **strict)["networks"] == []
    assert get(api, f"/api/v1/entities/{amra}/neighbors", **strict)["links"] == []
    assert get(api, "/api/v1/incidents", **strict)["incidents"] == []
    assert get(api, "/api/v1/analytics/key-players", **strict)["links"] == 0
    assert get(api, "/api/v1/analytics/coordinated-incidents", **strict)["groups"] == []
    # seed 000's links are graded C3: "B2 or better" keeps seed 004's only
    b2 = get(api, f"/api/v1/entities/{amra}/neighbors", min_grade="B2", depth=2)
    assert b2["links"] and all(link["evidence"]["grading"] <= "B2" for link in b2["links"])
    assert get(api, f"/api/v1/networks/{network}/facilities", min_grade="B2")["facilities"] == []
    confident = get(api, f"/api/v1/networks/{network}/facilities", min_confidence=55)["facilities"]
    every_link = [link for f in confident for kind in f["how"] for link in kind["path"]["links"]]
    assert every_link and all(link["evidence"]["confidence"] >= 55 for link in every_link)
    all_prisons = get(api, f"/api/v1/networks/{network}/facilities")["facilities"]
    assert len(confident) < len(all_prisons), "seed 000's attack rows (confidence 50) drop out"


# --- behaviour ----------------------------------------------------------------------------


def test_a_query_past_its_timeout_is_503_with_a_reason(api: TestClient) -> None:
    class Slow:
        def run(self, name: str, params: object = None) -> object:
            raise QueryTimeout(f"query {name} took longer than 15 s and was abandoned")

    api.app.dependency_overrides[get_store] = lambda: Slow()  # type: ignore[attr-defined]
    try:
        response = api.get("/api/v1/entities/anything")
    finally:
        api.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    error = assert_error_shape(response, 503, "query_timeout")
    assert "took longer" in str(error["message"]) and response.headers["retry-after"]


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also those of included routers (which FastAPI may wrap)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and inner is not route:
            yield from api_routes(list(inner.routes))


def test_every_route_is_sync_typed_and_documented(api: TestClient) -> None:
    # The docs pages (outside the schema) come from FastAPIOffline, not from us.
    routes = [r for r in api_routes(api.app.routes) if r.include_in_schema]  # type: ignore[attr-defined]
    assert len(routes) >= 15
    for route in routes:
        assert not inspect.iscoroutinefunction(route.endpoint), f"{route.path} is async"
        downloads = (route.responses or {}).get(200, {}).get("content")
        assert route.response_model is not None or downloads, f"{route.path} has no response_model"
        assert route.summary, f"{route.path} has no summary"
    spec = api.get("/openapi.json").json()
    for path in ("/api/v1/networks/{network_id}/facilities", "/api/v1/paths", "/api/v1/incidents"):
        operation = spec["paths"][path]["get"]
        assert operation["description"] and {"404", "422", "503"} <= set(operation["responses"])
