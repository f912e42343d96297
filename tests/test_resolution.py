"""Entity resolution and contradictions: candidates with reasons, decisions kept as data, a
merge that an undo reverses exactly, why an entity is what it is, and where sources disagree.

The duplicate is introduced the way an import would bring it: through the generated upsert
queries, a second "Mohamed Amra" (alias "La Mouche") citing seed-004, with a relationship
and a mention of its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.cli import main as cli
from graph.core.settings import Settings
from graph.core.text import search_text, stable_id
from graph.db.store import Store, WriteStep
from graph.growth import contradictions, resolution
from graph.model.schema import Model
from tests.conftest import totals
from tests.test_api import assert_error_shape

AMRA = stable_id("person", "mohamed-amra")
DUPLICATE = stable_id("person", "mohamed-amra-la-mouche")
ARREST = stable_id("arrest", "arrest-mohamed-amra-romania")
WAVE = stable_id("attack", "attack-wave-french-prisons-seed000")
SERIES = stable_id("attack", "attack-series-french-prisons-seed004")
FRESNES = stable_id("attack", "attack-fresnes-2024-04-12")
LA_SANTE = stable_id("attack", "attack-la-sante-2024-04-17")
DATASET = "dataset-la-mouche-test"
ARRESTED = (
    "Amra was finally arrested in Romania after evading arrest for nine months and "
    "extradited to France."
)


def document_ids(store: Store) -> dict[str, str]:
    rows = store.run("canonical_dump")
    return {
        r["properties"]["file_name"][:3]: r["id"]
        for r in rows
        if r["kind"] == "node" and "Document" in r["labels"]
    }


def add_duplicate(store: Store, entity_id: str = DUPLICATE, name: str = "Mohamed Amra") -> None:
    """A second record of Mohamed Amra, as another source would import it."""
    doc = document_ids(store)["004"]
    provenance = {
        "source_ids": [doc],
        "quote": ARRESTED,
        "quotes": [ARRESTED],
        "confidence": 70,
        "reliability": "B",
        "credibility": 3,
        "dataset_ids": [DATASET],
    }
    store.write_transaction(
        [
            WriteStep(
                "upsert_nodes",
                {
                    "rows": [
                        {
                            "id": entity_id,
                            "label": "Person",
                            "props": {
                                "id": entity_id,
                                "name": name,
                                "aliases": ["La Mouche"],
                                "nationality": "French",
                                "search_text": search_text(name, ["La Mouche"]),
                                **provenance,
                            },
                        }
                    ]
                },
            ),
            WriteStep(
                "upsert_relationships",
                {
                    "rows": [
                        {
                            "id": stable_id("involved", entity_id, ARREST),
                            "type": "INVOLVED",
                            "from": entity_id,
                            "to": ARREST,
                            "props": {
                                "id": stable_id("involved", entity_id, ARREST),
                                "role": "subject",
                                **provenance,
                            },
                        },
                        {
                            "id": stable_id("mentions", doc, entity_id),
                            "type": "MENTIONS",
                            "from": doc,
                            "to": entity_id,
                            "props": {"id": stable_id("mentions", doc, entity_id), **provenance},
                        },
                    ]
                },
            ),
        ]
    )


@pytest.fixture
def duplicated(seeded_store: Store) -> Store:
    add_duplicate(seeded_store)
    return seeded_store


def graph_rows(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The canonical dump split into the graph and the Decision records."""
    rows = store.run("canonical_dump")
    decisions = [r for r in rows if r["kind"] == "node" and "Decision" in r["labels"]]
    return [r for r in rows if r not in decisions], decisions


def relationships_of(store: Store, entity_id: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in store.run("entity_relationships", {"id": entity_id})}


def decide(client: TestClient, left: str, right: str, judgement: str, **extra: Any) -> Any:
    body = {"left_id": left, "right_id": right, "judgement": judgement}
    return client.post("/api/v1/resolution/decisions", json={**body, **extra})


def candidate_pairs(client: TestClient) -> dict[frozenset[str], dict[str, Any]]:
    page = client.get("/api/v1/resolution/candidates", params={"limit": 500}).json()
    return {frozenset((c["left"]["id"], c["right"]["id"])): c for c in page["items"]}


def test_the_duplicate_is_a_candidate_with_its_reasons(
    client: TestClient, duplicated: Store
) -> None:
    pairs = candidate_pairs(client)
    pair = pairs[frozenset((AMRA, DUPLICATE))]
    assert pair["score"] >= 0.9
    assert "same normalised name" in pair["reasons"]
    assert "both linked to Arrest of Mohamed Amra in Romania" in pair["reasons"]
    assert {pair["left"]["label"], pair["right"]["label"]} == {"Person"}
    # The two seed accounts of the attacks on French prisons are paired by their names and
    # what they link to, not by any special case.
    attacks = pairs[frozenset((WAVE, SERIES))]
    assert attacks["score"] >= 0.6
    assert any(r.startswith("names ") for r in attacks["reasons"])
    assert "both linked to French prisons" in attacks["reasons"]
    assert "cited by different sources" in attacks["reasons"]
    # Paged, best first; a Person is never paired with an Organization.
    page = client.get("/api/v1/resolution/candidates", params={"limit": 1, "offset": 0}).json()
    assert page["total"] == len(pairs) and len(page["items"]) == 1
    assert page["items"][0]["score"] == max(p["score"] for p in pairs.values())


def test_merge_keeps_everything_and_undo_restores_the_graph_exactly(
    client: TestClient, duplicated: Store, admin_token: str
) -> None:
    store = duplicated
    # Who decides is the API key that sends the decision, whatever the body says.
    key = f"test session admin (key {admin_token.split('_')[1]})"
    before, _ = graph_rows(store)
    counts = totals(store)
    moved_before = relationships_of(store, DUPLICATE)

    response = decide(client, DUPLICATE, AMRA, "same", note="same man, two imports")
    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["canonical_id"] == AMRA and decision["merged_id"] == DUPLICATE
    assert decision["status"] == "active" and decision["moved_relationships"] == 2
    assert "same normalised name" in decision["reasons"]

    # Nothing deleted: the same counts, every relationship of B now on A with its id.
    assert totals(store) == counts
    on_amra = relationships_of(store, AMRA)
    for rel_id, rel in moved_before.items():
        now = on_amra[rel_id]
        assert now["properties"] == rel["properties"] and now["type"] == rel["type"]
        assert AMRA in (now["from_id"], now["to_id"])
    assert relationships_of(store, DUPLICATE) == {}

    # Search finds A by B's alias; B itself is no longer found.
    hits = client.get("/api/v1/entities", params={"q": "la mouche"}).json()["items"]
    assert hits[0]["id"] == AMRA and "La Mouche" in hits[0]["aliases"]
    found = client.get("/api/v1/entities", params={"q": "mohamed amra"}).json()["items"]
    assert DUPLICATE not in {h["id"] for h in found}
    merged_away = client.get(f"/api/v1/entities/{DUPLICATE}").json()
    assert merged_away["merged_into"] == AMRA and merged_away["relationship_counts"] == []
    canonical = client.get(f"/api/v1/entities/{AMRA}").json()
    assert canonical["merged_ids"] == [DUPLICATE]
    assert canonical["properties"]["dataset_ids"] == [DATASET]
    assert ARRESTED in canonical["provenance"]["quotes"]
    assert canonical["properties"]["nationality"] == "French"  # a claim A lacked

    # why: the decision, both records' sources with their quotes, the import, the merge.
    why = client.get(f"/api/v1/entities/{AMRA}/why").json()
    assert [d["id"] for d in why["decisions"]] == [decision["id"]]
    assert why["merged"] == [
        {
            "id": DUPLICATE,
            "name": "Mohamed Amra",
            "sources": [{"id": document_ids(store)["004"], "title": why["sources"][0]["title"]}],
            "decision_id": decision["id"],
        }
    ]
    (source,) = why["sources"]
    assert source["title"] and ARRESTED in source["quotes"] and len(source["quotes"]) >= 2
    assert [d["id"] for d in why["datasets"]] == [DATASET]
    assert client.get(f"/api/v1/entities/{DUPLICATE}/why").json()["merged_into"] == {
        "id": AMRA,
        "name": "Mohamed Amra",
    }
    assert frozenset((AMRA, DUPLICATE)) not in candidate_pairs(client)

    # The pair is decided, and B is merged away: both 409, nothing changed.
    again = decide(client, AMRA, DUPLICATE, "not_same")
    assert "already decided" in assert_error_shape(again, 409, "conflict")["message"]
    into = decide(client, DUPLICATE, WAVE, "unsure")
    assert f"merged into {AMRA}" in assert_error_shape(into, 409, "conflict")["message"]

    undone = client.post(
        f"/api/v1/resolution/decisions/{decision['id']}/undo", json={"undone_by": "mallory"}
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "undone" and undone.json()["undone_by"] == key
    assert decision["decided_by"] == key

    after, kept = graph_rows(store)
    assert after == before  # every node and relationship, every property, as it was
    assert [(d["id"], d["properties"]["status"]) for d in kept] == [(decision["id"], "undone")]
    listed = client.get("/api/v1/resolution/decisions", params={"entity_id": AMRA}).json()
    assert [(d["id"], d["status"]) for d in listed] == [(decision["id"], "undone")]
    twice = client.post(f"/api/v1/resolution/decisions/{decision['id']}/undo")
    assert "already undone" in assert_error_shape(twice, 409, "conflict")["message"]
    assert frozenset((AMRA, DUPLICATE)) in candidate_pairs(client)


def test_dates_survive_a_merge_and_its_undo_as_dates(duplicated: Store, model: Model) -> None:
    store = duplicated
    before, _ = graph_rows(store)
    decision = resolution.decide(
        store, model, FRESNES, LA_SANTE, "same", "tester", canonical_id=LA_SANTE
    )
    check = "MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id AS id, n.date_day = date(n.date) AS ok"
    _, rows, _ = store.run_analyst_text(check, {"ids": [FRESNES, LA_SANTE]}, 5)
    assert rows and all(ok for _, ok in rows), rows
    la_sante = store.run("entities_with_properties", {"ids": [LA_SANTE]})[0]["properties"]
    assert la_sante["date"] == "2024-04-17"  # A's own date wins; B keeps its own
    resolution.undo(store, model, decision["id"], "tester")
    _, rows, _ = store.run_analyst_text(check, {"ids": [FRESNES, LA_SANTE]}, 5)
    assert rows and all(ok for _, ok in rows), rows
    assert graph_rows(store)[0] == before


def test_an_undo_waits_for_the_later_merges_that_build_on_it(
    client: TestClient, duplicated: Store
) -> None:
    third = stable_id("person", "mohamed-amra-third-import")
    add_duplicate(duplicated, third, "Mohamed Amra")
    first = decide(client, AMRA, DUPLICATE, "same", canonical_id=AMRA).json()
    second = decide(client, third, AMRA, "same", canonical_id=AMRA)
    assert second.status_code == 201, second.text
    refused = client.post(f"/api/v1/resolution/decisions/{first['id']}/undo")
    message = assert_error_shape(refused, 409, "conflict")["message"]
    assert second.json()["id"] in message and "undo it first" in message
    for decision in (second.json(), first):
        response = client.post(f"/api/v1/resolution/decisions/{decision['id']}/undo")
        assert response.status_code == 200, response.text
    assert client.get(f"/api/v1/entities/{AMRA}").json()["merged_ids"] == []


def test_not_same_and_unsure_take_the_pair_off_the_list_until_undone(
    client: TestClient, duplicated: Store
) -> None:
    counts = totals(duplicated)
    for judgement in ("not_same", "unsure"):
        decision = decide(client, AMRA, DUPLICATE, judgement)
        assert decision.status_code == 201, decision.text
        assert decision.json()["canonical_id"] is None
        assert frozenset((AMRA, DUPLICATE)) not in candidate_pairs(client)
        assert totals(duplicated) == counts
        undo = f"/api/v1/resolution/decisions/{decision.json()['id']}/undo"
        assert client.post(undo).status_code == 200
        assert frozenset((AMRA, DUPLICATE)) in candidate_pairs(client)


def test_errors_have_the_one_shape(client: TestClient, duplicated: Store) -> None:
    unknown = decide(client, AMRA, "person-nobody-00000000", "same")
    assert "person-nobody-00000000" in assert_error_shape(unknown, 404, "not_found")["message"]
    assert_error_shape(decide(client, AMRA, AMRA, "same"), 422, "invalid_input")
    assert_error_shape(decide(client, AMRA, DUPLICATE, "maybe"), 422, "invalid_input")
    outsider = decide(client, AMRA, DUPLICATE, "same", canonical_id=WAVE)
    assert_error_shape(outsider, 422, "invalid_input")
    across = decide(client, AMRA, stable_id("company", "oportik"), "same")
    assert "cannot be the same" in assert_error_shape(across, 422, "invalid_input")["message"]
    assert_error_shape(client.get("/api/v1/entities/person-nobody-00000000/why"), 404, "not_found")
    assert_error_shape(
        client.post("/api/v1/resolution/decisions/decision-nope/undo"),
        404,
        "not_found",
    )
    assert_error_shape(
        client.get("/api/v1/resolution/candidates", params={"min_score": 2}), 422, "invalid_input"
    )


def test_the_seed_attack_dates_are_a_contradiction_with_both_claims(
    client: TestClient, seeded_store: Store
) -> None:
    docs = document_ids(seeded_store)
    found = client.get("/api/v1/contradictions").json()["items"]
    (attacks,) = [c for c in found if {x["event_id"] for x in c["claims"]} == {WAVE, SERIES}]
    assert attacks["kind"] == "dates_cannot_be_reconciled"
    assert "cannot be reconciled" in attacks["message"] and "Last month" in attacks["message"]
    claims = {c["event_id"]: c for c in attacks["claims"]}
    wave, series = claims[WAVE], claims[SERIES]
    assert wave["value"] == "2024-04-12 .. 2024-04-19"
    assert wave["period"] == {"start": "2024-04-12", "end": "2024-04-19"}
    assert (
        "Fresnes | April 12, 2024 | Mass disturbance with arson | Under investigation |"
        in (wave["quotes"])
    )
    assert [s["id"] for s in wave["sources"]] == [docs["000"]]
    assert series["value"] == "Last month" and series["period"] is None
    assert series["quotes"][0].startswith("Last month, a series of coordinated attacks")
    assert [s["id"] for s in series["sources"]] == [docs["004"]]
    assert all(s["title"] for c in attacks["claims"] for s in c["sources"])
    only = client.get("/api/v1/contradictions", params={"kind": "dates_disagree"}).json()["items"]
    assert all(c["kind"] == "dates_disagree" for c in only)

    # Judged the same, the two are compared as they were before the merge.
    decision = decide(client, WAVE, SERIES, "same").json()
    merged = [c for c in client.get("/api/v1/contradictions").json()["items"] if c["decision_id"]]
    assert [(c["decision_id"], c["kind"]) for c in merged] == [
        (decision["id"], "dates_cannot_be_reconciled")
    ]
    assert {c["value"] for c in merged[0]["claims"]} == {"2024-04-12 .. 2024-04-19", "Last month"}


def test_relative_words_are_placed_from_the_publication_day() -> None:
    from datetime import date

    published = date(2024, 5, 20)
    assert contradictions.place_relative("Last month", published) == (
        date(2024, 4, 1),
        date(2024, 4, 30),
    )
    assert contradictions.place_relative("May last year", published) == (
        date(2023, 5, 1),
        date(2023, 5, 31),
    )
    assert contradictions.place_relative("recent", published) is None


def test_the_command_line_decides_undoes_and_lists(
    duplicated: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    if settings.neo4j_uri:
        pytest.skip("the CLI test drives the embedded engine's data dir")
    monkeypatch.setenv("CRIMEGRAPH_DATA_DIR", str(settings.data_dir))
    assert cli.main(["resolve", "candidates", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {AMRA, DUPLICATE} in [{c["left"]["id"], c["right"]["id"]} for c in listed]
    assert cli.main(["resolve", "decide", DUPLICATE, AMRA, "--judgement", "same"]) == 0
    out = capsys.readouterr().out
    assert f"{DUPLICATE} merged into {AMRA}" in out
    decision_id = out.split()[1].rstrip(":")
    assert cli.main(["resolve", "why", DUPLICATE]) == 0
    assert json.loads(capsys.readouterr().out)["merged_into"]["id"] == AMRA
    assert cli.main(["resolve", "undo", decision_id]) == 0
    assert "(undone)" in capsys.readouterr().out
    assert cli.main(["resolve", "undo", decision_id]) == 4  # refused: nothing to undo
    assert "already undone" in capsys.readouterr().err
    assert cli.main(["contradictions"]) == 0
    assert "dates_cannot_be_reconciled" in capsys.readouterr().out


def test_reloads_and_imports_after_a_merge_respect_it(
    duplicated: Store, model: Model, settings: Settings
) -> None:
    """Reloading the seed, or importing a fact about the merged-away entity, must neither
    bring B back into search nor hang relationships on B, where no traversal reaches them."""
    from graph.growth.imports import run_import
    from seed.loader import load_seed

    store = duplicated
    resolution.decide(store, model, AMRA, DUPLICATE, "same", "tester", canonical_id=DUPLICATE)
    # Canonical is B here: A (the seed's Amra) is the merged-away one the seed names.
    load_seed(store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
    rows = store.run("canonical_dump")
    rel_ids = [r["id"] for r in rows if r["kind"] == "rel"]
    assert len(rel_ids) == len(set(rel_ids)), "a relationship id appears twice"
    assert relationships_of(store, AMRA) == {}
    amra = next(r for r in rows if r["id"] == AMRA)["properties"]
    assert amra["merged_into"] == DUPLICATE and not amra.get("search_text")

    doc = document_ids(store)["004"]
    snapshot = {
        "nodes": [],
        "sources": [{"id": doc}],
        "relationships": [
            {
                "id": "associate-amra-test",
                "type": "ASSOCIATE",
                "from_id": AMRA,
                "to_id": stable_id("person", "laure-beccuau"),
                "properties": {
                    "source_ids": [doc],
                    "quote": ARRESTED,
                    "confidence": 10,
                    "reliability": "F",
                    "credibility": 6,
                },
            }
        ],
    }
    run_import(store, model, json.dumps(snapshot).encode(), format="snapshot", imported_by="t")
    assert "associate-amra-test" in relationships_of(store, DUPLICATE)
    assert relationships_of(store, AMRA) == {}


def test_a_seed_reload_keeps_what_the_merge_gave_the_canonical_entity(
    duplicated: Store, model: Model, settings: Settings
) -> None:
    """`make run` seeds at every start: a merge into a seed entity must survive it, and
    still undo exactly."""
    from graph.investigate.search import search
    from seed.loader import load_seed

    store = duplicated
    before, _ = graph_rows(store)
    decision = resolution.decide(store, model, DUPLICATE, AMRA, "same", "tester")
    assert decision["canonical_id"] == AMRA
    merged, _ = graph_rows(store)
    load_seed(store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
    assert graph_rows(store)[0] == merged  # "La Mouche" is still Amra's alias, and so on
    hits = search(store, "la mouche", "Entity")
    assert hits and hits[0]["id"] == AMRA
    resolution.undo(store, model, decision["id"], "tester")
    assert graph_rows(store)[0] == before
