"""Reading articles in English and French (graph.growth.linking, graph.growth.language, graph.growth.suggestions,
graph.growth.ingest): what a reviewer relies on is that a candidate has the right kind and the
whole name, that a French article links the places and bodies it names as an English one
would, that relative dates are counted from the publication date, that relationships a
sentence states come back as suggestions with their sentence, and that ingestion keeps its
name matcher while the graph's names do not change."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.core.settings import REPO_ROOT
from graph.db.store import Store
from graph.growth import ingest as ingestion
from graph.model.schema import Model
from tests.test_ingest import AMRA, BECCUAU, FRESNES_PRISON, OPORTIK, seed_id

DATA = REPO_ROOT / "tests" / "data"
ENGLISH = (DATA / "article_en.txt").read_text(encoding="utf-8")
FRENCH = (DATA / "article_fr.txt").read_text(encoding="utf-8")
ROMANIA = seed_id("location", "romania")
PARIS = seed_id("location", "paris")
PARIS_PROSECUTORS = seed_id("publicbody", "paris-prosecutors-office")
VENDIN_PRISON = seed_id("facility", "vendin-le-vieil-prison")
VENDIN_TOWN = seed_id("location", "vendin-le-vieil")
PHONES = seed_id("asset", "miniature-mobile-phone")


def candidates(result: ingestion.IngestResult) -> dict[str, dict[str, Any]]:
    return {c["text"]: c for c in result.candidates}


def linked_ids(result: ingestion.IngestResult) -> set[str]:
    return {item.entity.id for item in result.linked}


@pytest.fixture
def english(seeded_store: Store, model: Model) -> ingestion.IngestResult:
    return ingestion.ingest(seeded_store, model, ENGLISH, published="2025-06-05")


@pytest.fixture
def french(seeded_store: Store, model: Model) -> ingestion.IngestResult:
    return ingestion.ingest(seeded_store, model, FRENCH, published="2025-06-05")


# --- English ------------------------------------------------------------------------------


def test_an_organisation_cue_types_a_name_before_any_person_guess(
    english: ingestion.IngestResult,
) -> None:
    found = candidates(english)
    assert found["Vexaro Transport"]["kind"] == "organization"
    assert found["Vexaro Transport"]["suggested_label"] == "Company"
    assert found["Nadia Ferrand"]["suggested_label"] == "Person"


def test_quoted_names_and_leading_articles_stay_whole_one_candidate_a_name(
    english: ingestion.IngestResult,
) -> None:
    found = candidates(english)
    assert "Mouche" not in found and "Monde" not in found
    assert len(found["La Mouche"]["starts"]) == 2  # quoted once, opening a sentence once
    assert found["Le Monde"]["kind"] == "name"


def test_the_other_grammatical_number_of_a_known_name_links_it(
    english: ingestion.IngestResult,
) -> None:
    phones = next(item for item in english.linked if item.entity.id == PHONES)
    assert {o.surface for o in phone_occurrences(phones)} == {
        "miniature mobile phone",
        "miniature mobile phones",
    }
    assert phones.confidence == 90  # the plural as written is its name


def phone_occurrences(item: ingestion.LinkedEntity) -> list[ingestion.Occurrence]:
    return item.occurrences


def test_relative_dates_are_counted_from_the_publication_date(
    english: ingestion.IngestResult, seeded_store: Store, model: Model
) -> None:
    found = candidates(english)
    expected = {
        "last month": ("2025-05", "month"),
        "Tuesday": ("2025-06-03", "day"),
        "May last year": ("2024-05", "month"),
    }
    for words, (value, precision) in expected.items():
        assert (found[words]["date"], found[words]["date_precision"]) == (value, precision)
        assert found[words]["date_relative_to"] == "2025-06-05"
    assert found["2019"]["date"] == "2019" and "date_relative_to" not in found["2019"]
    french = ingestion.ingest(
        seeded_store,
        model,
        "Le mois dernier, Amra a parlé. Il est parti mardi.",
        published="2025-06-05",
    )
    dates = candidates(french)
    assert (dates["Le mois dernier"]["date"], dates["mardi"]["date"]) == ("2025-05", "2025-06-03")
    undated = ingestion.ingest(seeded_store, model, "Nadia Ferrand left last month.")
    assert candidates(undated)["last month"].get("date") is None  # kept as written, no guess


def test_relationships_a_sentence_states_come_back_as_suggestions(
    english: ingestion.IngestResult,
) -> None:
    by_type = {(s["from_id"], s["type"], s["to_id"]): s for s in english.suggestions}
    resold = by_type[(OPORTIK, "RESOLD", PHONES)]
    assert resold["quote"] == "Oportik resold miniature mobile phones, according to the prosecutor."
    assert (resold["status"], resold["confidence"]) == ("suggestion", 40)
    # Person -> Location: no relationship type of the model, so no suggestion.
    assert not any(s["to_id"] == ROMANIA for s in english.suggestions)


# --- French -------------------------------------------------------------------------------


def test_a_french_article_links_places_and_bodies_as_an_english_one_would(
    french: ingestion.IngestResult,
) -> None:
    assert french.language == "fr"
    ids = linked_ids(french)
    assert {AMRA, ROMANIA, BECCUAU, PARIS_PROSECUTORS, VENDIN_PRISON, FRESNES_PRISON} <= ids
    assert PARIS not in ids and VENDIN_TOWN not in ids  # the seat of an institution
    assert not french.ambiguous  # "70 prisons, dont Fresnes": the prison
    romania = next(item for item in french.linked if item.entity.id == ROMANIA)
    assert [o.surface for o in romania.occurrences] == ["Roumanie"]


def test_a_french_article_proposes_whole_names_bodies_and_month_dates(
    french: ingestion.IngestResult,
) -> None:
    found = candidates(french)
    ofast = found["Office anti-stupéfiants"]
    assert (ofast["kind"], ofast["suggested_label"]) == ("organization", "PublicBody")
    assert ofast["suggested_properties"] == {"aliases": ["OFAST"]}
    assert "OFAST" not in found
    assert (found["avril 2025"]["date"], found["avril 2025"]["date_precision"]) == (
        "2025-04",
        "month",
    )
    assert "La Mouche" in found and "Mouche" not in found
    assert not {"Sceaux", "Roumanie", "Paris"} & set(found)
    suggested = {(s["from_id"], s["type"], s["to_id"]) for s in french.suggestions}
    assert (BECCUAU, "EMPLOYMENT", PARIS_PROSECUTORS) in suggested


def test_an_accepted_acronym_candidate_keeps_the_acronym_as_an_alias(
    seeded_store: Store, model: Model, french: ingestion.IngestResult
) -> None:
    ofast = candidates(french)["Office anti-stupéfiants"]
    decision = ingestion.accept_candidate(seeded_store, model, ofast["id"], label="PublicBody")
    assert decision.entity is not None
    props = seeded_store.run("entity_by_id", {"id": decision.entity.id})[0]["properties"]
    assert "OFAST" in props["aliases"]


# --- the name matcher is kept -------------------------------------------------------------


def test_the_name_matcher_is_rebuilt_only_when_names_change(
    seeded_store: Store, model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    run = seeded_store.run

    def counting(name: str, params: Any = None) -> Any:
        reads.append(name)
        return run(name, params)

    monkeypatch.setattr(seeded_store, "run", counting)
    ingestion.LINKERS.clear()
    ingestion.ingest(seeded_store, model, "Mohamed Amra met Nadia Ferrand in Lyon.")
    ingestion.ingest(seeded_store, model, "Oportik sold phones to Nadia Ferrand.")
    assert reads.count("linkable_entities") == 1
    pending = ingestion.list_candidates(seeded_store, "pending")
    ferrand = next(c for c in pending if c["text"] == "Nadia Ferrand")
    ingestion.accept_candidate(seeded_store, model, ferrand["id"], label="Person")
    reads.clear()
    again = ingestion.ingest(seeded_store, model, "Nadia Ferrand was seen in Lyon again.")
    assert reads.count("linkable_entities") == 1  # a new name: rebuilt
    assert "Nadia Ferrand" in {item.entity.name for item in again.linked}


# --- search -------------------------------------------------------------------------------


def test_search_answers_nothing_when_nothing_is_close(
    seeded_store: Store, model: Model, client: TestClient
) -> None:
    def names(q: str) -> list[str]:
        response = client.get("/api/v1/entities", params={"q": q, "limit": 100})
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    # A person one letter away from "mafia" does not answer "dz mafia".
    maria = ingestion.ingest(seeded_store, model, "Prosecutors questioned Maria Lopez in Lyon.")
    person = candidates(maria)["Maria Lopez"]
    ingestion.accept_candidate(seeded_store, model, person["id"], label="Person")
    assert names("maria lopez")[0] == "Maria Lopez"
    assert names("dz mafia") == []  # not in the seed
    assert names("xqzvw") == []
    assert names("mohamed amra")[0] == "Mohamed Amra"
    result = ingestion.ingest(seeded_store, model, FRENCH)
    dz = candidates(result)["DZ Mafia"]
    ingestion.accept_candidate(seeded_store, model, dz["id"], label="CriminalNetwork")
    assert names("dz mafia")[0] == "DZ Mafia"


def test_the_api_returns_the_language_suggestions_and_relative_dates(
    seeded_store: Store, client: TestClient
) -> None:
    body = {"text": FRENCH, "published": "2025-06-05", "language": "fr"}
    response = client.post("/api/v1/documents", json=body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["language"] == "fr"
    employment = next(s for s in result["suggestions"] if s["type"] == "EMPLOYMENT")
    assert (employment["from_id"], employment["to_id"]) == (BECCUAU, PARIS_PROSECUTORS)
    assert employment["properties"] == {"role": "head"}
    assert employment["quote"].startswith("L'enquête est menée par le parquet de Paris")
    ofast = next(c for c in result["candidates"] if c["text"] == "Office anti-stupéfiants")
    assert ofast["suggested_properties"] == {"aliases": ["OFAST"]}
    bad = client.post("/api/v1/documents", json={**body, "language": "de"})
    assert bad.status_code == 422
