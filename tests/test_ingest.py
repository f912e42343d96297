"""Article ingestion (graph.growth.ingest, graph.growth.linking, api/documents.py, `crimegraph ingest`).

What an analyst relies on: ingesting a text links the entities of the graph it names, with
the sentence as the quote; the seed documents link back to their own entities without a
new document or a changed seed mention; names the graph does not hold wait as candidates,
not entities, until accepted (with provenance) or rejected (for good); and doing it all
again changes nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.cli.main import main
from graph.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from graph.core.settings import REPO_ROOT, Settings
from graph.core.text import collapse_whitespace, stable_id
from graph.db.store import Store
from graph.growth import ingest as ingestion
from graph.growth.linking import (
    Linkable,
    Linker,
    fold_with_offsets,
    propose_candidates,
    split_sentences,
)
from graph.model.schema import Model

DOCUMENTS = REPO_ROOT / "seed" / "documents"
SEED_000 = DOCUMENTS / "000_102ec3ea7a09cba9.txt"
SEED_004 = DOCUMENTS / "004_4f51343fdb2d03c0.txt"


def seed_id(label: str, key: str) -> str:
    """The id the seed loader gives the record `key` of seed/data (see seed/loader.py)."""
    if label == "document":
        path = {"seed-000": SEED_000, "seed-004": SEED_004}[key]
        return stable_id("document", key, hashlib.sha256(path.read_bytes()).hexdigest())
    return stable_id(label, key)


AMRA = seed_id("person", "mohamed-amra")
BECCUAU = seed_id("person", "laure-beccuau")
DARMANIN = seed_id("person", "gerald-darmanin")
OPORTIK = seed_id("company", "oportik")
FRESNES_PRISON = seed_id("facility", "fresnes-prison")
FRESNES_TOWN = seed_id("location", "fresnes")
LA_SANTE = seed_id("facility", "la-sante-prison")
ROUEN_PRISON = seed_id("facility", "rouen-prison")
ROUEN_CITY = seed_id("location", "rouen")

ARTICLE = """Prison escape suspect arrested in Spain
Spanish police said on Monday that they had arrested Karim Benali, a suspected member of \
the DZ Mafia, in Barcelona on March 3, 2025.
According to prosecutor Jean-Luc Moreau, Mr Benali helped Mohamed Amra during the escape \
in May 2024. Gerald Darmanin welcomed the arrest.
Amrani, a different man, was not involved. The suspect had been held in la sante before, \
and later at Fresnes prison.
Investigators believe the money came through Le Parisien Holdings. Officials at Rouen \
declined to comment.
"""


def dump(store: Store) -> dict[str, dict[str, Any]]:
    return {f"{r['kind']}:{r['id']}": r for r in store.run("canonical_dump")}


def label_counts(store: Store) -> dict[str, int]:
    return {"+".join(sorted(r["labels"])): r["nodes"] for r in store.run("label_counts")}


def by_text(result: ingestion.IngestResult) -> dict[str, dict[str, Any]]:
    return {c["text"]: c for c in result.candidates}


# --- text: sentences, folding, matching (no database) --------------------------------------


def test_sentences_are_verbatim_slices_lines_first() -> None:
    text = (
        "Mr. Smith met J. Dupont in the U.S. yesterday. “It went well,” he said! Next?\n"
        "Fresnes | April 12, 2024 | Mass disturbance |\n\n  Last line without a stop"
    )
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Mr. Smith met J. Dupont in the U.S. yesterday.",
        "“It went well,” he said!",
        "Next?",
        "Fresnes | April 12, 2024 | Mass disturbance |",
        "Last line without a stop",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_folding_maps_back_to_the_original_characters() -> None:
    text = "À la Santé\u2019s gate, \ufb01ve Straße"  # a curly apostrophe, the "fi" ligature
    folded, index = fold_with_offsets(text)
    assert folded == "a la sante s gate five strasse"
    assert text[index[folded.index("strasse") + 6]] == "e"  # "ß" folds to two letters
    start = folded.index("sante")
    assert text[index[start] : index[start + len("sante") - 1] + 1] == "Santé"


def test_names_match_as_whole_words_accent_and_case_blind_longest_first() -> None:
    linker = Linker(
        [
            Linkable(AMRA, "Mohamed Amra", ("Person",), ("Amra", "The Fly")),
            Linkable(DARMANIN, "Gérald Darmanin", ("Person",)),
            Linkable(LA_SANTE, "La Santé prison", ("Facility",), ("La Santé",)),
            Linkable(FRESNES_PRISON, "Fresnes prison", ("Facility",), ("Fresnes",)),
            Linkable(FRESNES_TOWN, "Fresnes", ("Location",)),
            Linkable("x-the", "The", ("Organization",)),  # only a common word: never matched
        ]
    )
    text = "Amrani met GERALD DARMANIN near la sante, then Mohamed Amra at Fresnes prison; Fresnes."
    hits = linker.scan(text)
    found = [(h.surface, sorted(f.entity_id for f in h.forms)) for h in hits]
    assert found == [
        ("GERALD DARMANIN", [DARMANIN]),
        ("la sante", [LA_SANTE]),
        ("Mohamed Amra", [AMRA]),
        ("Fresnes prison", [FRESNES_PRISON]),
        ("Fresnes", sorted([FRESNES_PRISON, FRESNES_TOWN])),
    ]
    assert hits[-1].ambiguous and not hits[0].ambiguous
    assert all(text[h.start : h.end] == h.surface for h in hits)


# --- the seed documents link back to their entities ----------------------------------------

EXPECTED = {
    "seed-000": {FRESNES_PRISON, FRESNES_TOWN, LA_SANTE, ROUEN_PRISON, ROUEN_CITY},
    "seed-004": {AMRA, OPORTIK, BECCUAU, DARMANIN},
}


@pytest.mark.parametrize(("key", "path"), [("seed-000", SEED_000), ("seed-004", SEED_004)])
def test_a_seed_document_links_back_to_its_entities_and_changes_no_seed_record(
    seeded_store: Store, model: Model, key: str, path: Path
) -> None:
    before = dump(seeded_store)
    counts = label_counts(seeded_store)
    result = ingestion.ingest(seeded_store, model, path.read_text(encoding="utf-8"))

    assert result.document_id == seed_id("document", key) and not result.created
    linked = {item.entity.id: item for item in result.linked}
    assert EXPECTED[key] <= set(linked), EXPECTED[key] - set(linked)
    for entity_id in EXPECTED[key]:  # the seed already records these mentions
        assert not linked[entity_id].created
    if key == "seed-000":  # "Fresnes" names the prison and the town: the seed settles it
        assert linked[FRESNES_TOWN].resolved_by == "context"
        assert result.ambiguous == []
    else:
        assert linked[DARMANIN].matched == ["Gérald Darmanin"]  # "Gerald", accent-blind
        assert linked[AMRA].matched == ["Mohamed Amra", "The Fly", "Amra"]

    after = dump(seeded_store)
    assert {k: after[k] for k in before} == before, "a seed node or relationship changed"
    added = [after[k] for k in after.keys() - before.keys()]
    assert {tuple(r["labels"]) for r in added} <= {("MENTIONS",), ("Candidate",)}
    for rel in (r for r in added if r["kind"] == "rel"):
        props = rel["properties"]
        assert props["linked_by"] == "ingest" and props["source_ids"] == [result.document_id]
        assert all(
            collapse_whitespace(q) in collapse_whitespace(path.read_text()) for q in props["quotes"]
        )
    # Candidates wait outside the graph: no entity was created.
    counts_after = label_counts(seeded_store)
    assert {k: v for k, v in counts_after.items() if k != "Candidate"} == counts
    assert counts_after["Candidate"] == len(result.candidates) > 0

    again = ingestion.ingest(seeded_store, model, path.read_text(encoding="utf-8"))
    assert dump(seeded_store) == after, "re-ingesting changed the graph"
    assert all(not item.created for item in again.linked)


def test_the_seed_documents_propose_their_unknown_names_and_dates(
    seeded_store: Store, model: Model
) -> None:
    first = by_text(ingestion.ingest(seeded_store, model, SEED_000.read_text(encoding="utf-8")))
    assert first["Le Monde"]["kind"] == "name"
    assert first["April 12, 2024"]["date"] == "2024-04-12"
    assert first["April 12, 2024"]["sentences"] == [
        "Fresnes | April 12, 2024 | Mass disturbance with arson | Under investigation |"
    ]
    second = by_text(ingestion.ingest(seeded_store, model, SEED_004.read_text(encoding="utf-8")))
    assert second["Lesotho"]["suggested_label"] == "Location"
    assert second["Lesotho"]["suggested_properties"] == {"location_type": "country"}
    assert second["2023"]["date"] == "2023"
    # Common words that start a sentence or a table cell are not names.
    assert not {"Searches", "Prosecutors", "Prison Security", "Justice Minister"} & (
        set(first) | set(second)
    )


# --- a new article --------------------------------------------------------------------------


@pytest.fixture
def article(seeded_store: Store, model: Model) -> ingestion.IngestResult:
    return ingestion.ingest(
        seeded_store,
        model,
        ARTICLE,
        source_url="https://example.org/2025/03/18/arrest",
        published="2025-03-18",
        grading="b2",
        publisher="Example News",
    )


def test_a_new_article_is_stored_with_its_mentions_quoting_their_sentences(
    seeded_store: Store, model: Model, article: ingestion.IngestResult
) -> None:
    assert article.created and article.title == "Prison escape suspect arrested in Spain"
    doc = seeded_store.run("entity_by_id", {"id": article.document_id})[0]["properties"]
    assert doc["url"] == "https://example.org/2025/03/18/arrest"
    assert (doc["published"], doc["published_precision"]) == ("2025-03-18", "day")
    assert doc["content_sha256"] == hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert (doc["reliability"], doc["credibility"], doc["text"]) == ("B", 2, ARTICLE)
    assert doc["source_ids"] == [article.document_id] and doc["quote"] == article.title

    linked = {item.entity.id: item for item in article.linked}
    assert set(linked) == {AMRA, DARMANIN, LA_SANTE, FRESNES_PRISON}  # not "Amrani"
    assert linked[LA_SANTE].matched == ["La Santé"] and linked[LA_SANTE].confidence == 70
    assert linked[DARMANIN].confidence == 90
    # "Fresnes prison" is named whole; "Rouen" (prison or city?) waits for an analyst.
    [rouen] = article.ambiguous
    assert rouen.surface == "Rouen"
    assert {o.id for o in rouen.options} == {ROUEN_PRISON, ROUEN_CITY}

    mentions = ingestion.document_mentions(seeded_store, model, article.document_id)["mentions"]
    darmanin = next(m for m in mentions if m["entity_id"] == DARMANIN)
    assert darmanin["quotes"] == ["Gerald Darmanin welcomed the arrest."]
    assert (darmanin["linked_by"], darmanin["reliability"], darmanin["credibility"]) == (
        "ingest",
        "B",
        2,
    )
    amra = next(m for m in mentions if m["entity_id"] == AMRA)
    assert amra["quote"].startswith("According to prosecutor Jean-Luc Moreau")
    assert not any("Amrani" in q for q in amra["quotes"])


def test_names_the_graph_does_not_hold_are_candidates_not_entities(
    seeded_store: Store, article: ingestion.IngestResult
) -> None:
    candidates = by_text(article)
    assert candidates["Karim Benali"]["kind"] == "person"
    assert candidates["Karim Benali"]["suggested_label"] == "Person"
    assert len(candidates["Karim Benali"]["starts"]) == 2  # "Mr Benali" is the same man
    assert candidates["Jean-Luc Moreau"]["kind"] == "person"
    assert candidates["DZ Mafia"]["suggested_label"] == "CriminalNetwork"
    assert candidates["Spain"]["suggested_properties"] == {"location_type": "country"}
    assert candidates["Barcelona"]["kind"] == "place"
    assert candidates["March 3, 2025"]["date"] == "2025-03-03"
    assert candidates["May 2024"]["date"] == "2024-05"
    assert candidates["Rouen"]["kind"] == "ambiguous"
    assert set(candidates["Rouen"]["options"]) == {ROUEN_PRISON, ROUEN_CITY}
    assert all(c["status"] == "pending" for c in candidates.values())
    names = {row["name"] for row in seeded_store.run("linkable_entities")}
    assert not names & {t for t, c in candidates.items() if c["kind"] != "ambiguous"}
    queued = ingestion.list_candidates(seeded_store, "pending", article.document_id)
    assert [c["id"] for c in queued] == [c["id"] for c in article.candidates]


def test_accepting_creates_the_entity_with_provenance_and_the_mention(
    seeded_store: Store, model: Model, article: ingestion.IngestResult
) -> None:
    candidates = by_text(article)
    benali = candidates["Karim Benali"]
    decision = ingestion.accept_candidate(
        seeded_store,
        model,
        benali["id"],
        label="Person",
        properties={"status": "suspect"},
        decided_by="analyst-1",
    )
    assert decision.entity_created and decision.entity is not None
    entity = seeded_store.run("entity_by_id", {"id": decision.entity.id})[0]
    props = entity["properties"]
    assert "Person" in entity["labels"] and props["name"] == "Karim Benali"
    assert props["source_ids"] == [article.document_id]
    assert props["quote"] == benali["sentences"][0] and props["status"] == "suspect"
    assert (props["reliability"], props["credibility"], props["confidence"]) == ("B", 2, 50)
    assert props["aliases"] == ["Benali"]  # the document's "Mr Benali"
    assert props["search_text"] == "karim benali\nbenali"
    assert decision.candidate["status"] == "accepted"
    assert decision.candidate["entity_id"] == decision.entity.id
    assert decision.candidate["decided_by"] == "analyst-1"
    mentions = ingestion.document_mentions(seeded_store, model, article.document_id)["mentions"]
    assert any(
        m["entity_id"] == decision.entity.id and m["linked_by"] == "review" for m in mentions
    )

    # A required property of the label is named when missing; nothing is written.
    barcelona = candidates["Barcelona"]["id"]
    with pytest.raises(InvalidInput) as missing:
        ingestion.accept_candidate(seeded_store, model, barcelona, label="Location")
    assert {"field": "properties.location_type", "message": "is required for Location"} in (
        missing.value.details
    )
    assert ingestion.get_candidate(seeded_store, barcelona)["status"] == "pending"
    ingestion.accept_candidate(
        seeded_store, model, barcelona, label="Location", properties={"location_type": "city"}
    )
    # The suggested properties apply: Spain is a country without saying so.
    spain = ingestion.accept_candidate(
        seeded_store, model, candidates["Spain"]["id"], label="Location"
    )
    assert spain.entity is not None
    assert (
        seeded_store.run("entity_by_id", {"id": spain.entity.id})[0]["properties"]["location_type"]
        == "country"
    )

    # An ambiguous name is settled by linking the entity meant.
    rouen = ingestion.accept_candidate(
        seeded_store, model, candidates["Rouen"]["id"], entity_id=ROUEN_PRISON
    )
    assert not rouen.entity_created and rouen.mention_id == stable_id(
        "mentions", article.document_id, ROUEN_PRISON
    )
    with pytest.raises(Conflict):  # decided already
        ingestion.accept_candidate(seeded_store, model, benali["id"], label="Person")


def test_rejected_candidates_stay_out_and_reingesting_changes_nothing(
    seeded_store: Store, model: Model, article: ingestion.IngestResult
) -> None:
    candidates = by_text(article)
    holdings = candidates["Le Parisien Holdings"]["id"]
    rejected = ingestion.reject_candidate(seeded_store, holdings, decided_by="analyst-2")
    assert rejected.candidate["status"] == "rejected" and rejected.entity is None
    with pytest.raises(Conflict, match="already rejected by analyst-2"):
        ingestion.reject_candidate(seeded_store, holdings)
    with pytest.raises(NotFound):
        ingestion.reject_candidate(seeded_store, "candidate-nothing-00000000")
    accepted = ingestion.accept_candidate(
        seeded_store, model, candidates["Jean-Luc Moreau"]["id"], label="Person"
    )
    assert accepted.entity is not None
    before = dump(seeded_store)

    again = ingestion.ingest(seeded_store, model, ARTICLE)
    assert not again.created and again.document_id == article.document_id
    assert dump(seeded_store) == before, "re-ingesting duplicated or changed something"
    statuses = {c["text"]: c["status"] for c in again.candidates}
    assert statuses["Le Parisien Holdings"] == "rejected"
    # The accepted entity is now found by its name, through the mention its review made.
    moreau = next(item for item in again.linked if item.entity.id == accepted.entity.id)
    assert not moreau.created
    assert "Jean-Luc Moreau" not in statuses
    assert ingestion.list_candidates(seeded_store, "rejected") == [
        ingestion.get_candidate(seeded_store, holdings)
    ]


def test_bad_texts_are_refused_before_anything_is_written(store: Store, model: Model) -> None:
    for text, error in (
        ("", InvalidInput),
        ("  \n\t", InvalidInput),
        ("a\x00b", InvalidInput),
        ("\ud800", InvalidInput),
        ("x" * (ingestion.MAX_TEXT_BYTES + 1), PayloadTooLarge),
    ):
        with pytest.raises(error):
            ingestion.ingest(store, model, text)
    with pytest.raises(InvalidInput, match="published"):
        ingestion.ingest(store, model, "A text.", published="2024-02-30")
    with pytest.raises(InvalidInput, match="Admiralty"):
        ingestion.ingest(store, model, "A text.", grading="Z9")
    assert store.run("graph_totals")[0]["nodes"] == 0


# --- HTTP and CLI ---------------------------------------------------------------------------


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"status", "code", "message", "details"} and error["status"] == status
    return error


def test_the_api_ingests_lists_and_decides(seeded_store: Store, client: TestClient) -> None:
    body = {"text": ARTICLE, "published": "2025-03-18", "grading": "B2"}
    created = client.post("/api/v1/documents", json=body)
    assert created.status_code == 201, created.text
    result = created.json()
    assert {item["entity"]["id"] for item in result["linked"]} >= {AMRA, DARMANIN, LA_SANTE}
    same = client.post("/api/v1/documents", json=body)
    assert same.status_code == 200 and same.json()["document_id"] == result["document_id"]

    mentions = client.get(f"/api/v1/documents/{seed_id('document', 'seed-004')}/mentions")
    assert mentions.status_code == 200
    oportik = next(m for m in mentions.json()["mentions"] if m["entity"]["id"] == OPORTIK)
    assert oportik["grading"] == "B2" and oportik["linked_by"] is None  # a curated seed mention

    queue = client.get(
        "/api/v1/review/candidates", params={"document_id": result["document_id"], "limit": 500}
    )
    assert queue.status_code == 200
    ids = {c["text"]: c["id"] for c in queue.json()}
    accepted = client.post(
        f"/api/v1/review/candidates/{ids['Karim Benali']}/accept",
        json={"label": "Person", "decided_by": "someone else"},  # ignored: the key decides
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["candidate"]["decided_by"].startswith("test session admin (key ")
    assert accepted.json()["entity"]["name"] == "Karim Benali"
    linked = client.post(
        f"/api/v1/review/candidates/{ids['Rouen']}/accept", json={"entity_id": ROUEN_CITY}
    )
    assert linked.status_code == 200 and linked.json()["entity_created"] is False
    rejected = client.post(f"/api/v1/review/candidates/{ids['Spain']}/reject")
    assert rejected.status_code == 200 and rejected.json()["candidate"]["status"] == "rejected"

    assert_error(client.post(f"/api/v1/review/candidates/{ids['Spain']}/reject"), 409)
    missing = assert_error(
        client.post(
            f"/api/v1/review/candidates/{ids['Barcelona']}/accept", json={"label": "Location"}
        ),
        422,
    )
    assert "location_type" in missing["message"]
    assert_error(client.post("/api/v1/review/candidates/candidate-no-0/reject"), 404)
    assert_error(client.get("/api/v1/documents/document-nothing-0/mentions"), 404)
    assert_error(client.post("/api/v1/documents", json={"text": " "}), 422)
    assert_error(client.post("/api/v1/documents", json={"text": "x", "published": "May"}), 422)
    big = "x" * (ingestion.MAX_TEXT_BYTES + 1)
    assert_error(client.post("/api/v1/documents", json={"text": big}), 413)
    assert_error(client.get("/api/v1/review/candidates", params={"status": "maybe"}), 422)


def test_the_cli_ingests_and_reviews(
    cli_env: Settings,
    seeded_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["ingest", str(SEED_004)]) == 0
    out = capsys.readouterr().out
    assert f"document {seed_id('document', 'seed-004')} (already stored" in out
    assert f"= {AMRA}  Mohamed Amra (Person)" in out and "Lesotho" in out

    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    assert main(["ingest", str(path), "--published", "2025-03-18", "--grading", "B2"]) == 0
    out = capsys.readouterr().out
    assert f"+ {DARMANIN}  Gérald Darmanin (Person)" in out
    assert "“Rouen”" in out
    candidate = next(line.split()[0] for line in out.splitlines() if "Barcelona" in line)

    assert main(["review", "accept", candidate, "--label", "Location"]) == 2
    assert "location_type" in capsys.readouterr().err
    accepted = [
        "review",
        "accept",
        candidate,
        "--label",
        "Location",
        "--property",
        "location_type=city",
    ]
    assert main(accepted) == 0
    assert "created location-barcelona-" in capsys.readouterr().out
    assert main(["review", "reject", candidate]) == 4  # refused: already decided
    assert "already accepted by cli:" in capsys.readouterr().err
    assert main(["review", "list", "--status", "accepted"]) == 0
    assert "Barcelona" in capsys.readouterr().out
    assert main(["ingest", str(tmp_path / "missing.txt")]) == 2


# --- names inside an event's name; a lone surname ----------------------------------------

ESCAPE = seed_id("escape", "escape-mohamed-amra")
EXTRADITION = seed_id("arrest", "extradition-mohamed-amra-france")
FRANCE = seed_id("location", "france")
PARIS = seed_id("location", "paris")
PARIS_OFFICE = seed_id("publicbody", "paris-prosecutors-office")


def test_an_event_name_also_links_the_entities_it_names(seeded_store: Store, model: Model) -> None:
    text = (
        "Officials reviewed the escape of Mohamed Amra on Tuesday.\n"
        "The Paris prosecutor's office looked into the extradition of Mohamed Amra to France.\n"
    )
    first, second = (s.quote for s in split_sentences(text))
    result = ingestion.ingest(seeded_store, model, text)
    linked = {item.entity.id: item for item in result.linked}

    # The event (longest match) and the person and place its name holds, same sentence.
    assert {ESCAPE, EXTRADITION, AMRA, FRANCE, PARIS_OFFICE} <= set(linked)
    assert [o.sentence for o in linked[ESCAPE].occurrences] == [first]
    assert [(o.surface, o.sentence) for o in linked[AMRA].occurrences] == [
        ("Mohamed Amra", first),
        ("Mohamed Amra", second),
    ]
    assert linked[AMRA].resolved_by == "name" and linked[AMRA].confidence == 90
    assert [o.sentence for o in linked[FRANCE].occurrences] == [second]
    # An organisation's name is not opened up: the office does not name the city.
    assert PARIS not in linked
    stored = ingestion.document_mentions(seeded_store, model, result.document_id)
    quotes = {m["entity_id"]: m["quotes"] for m in stored["mentions"]}
    assert quotes[AMRA] == [first, second] and quotes[ESCAPE] == [first]


def test_only_event_names_are_opened_up() -> None:
    linker = Linker(
        [
            Linkable("org-bdf", "Banque de France", ("Entity", "Organization")),
            Linkable("loc-fr", "France", ("Entity", "Location")),
            Linkable("attack-1", "Attack on Fresnes prison", ("Entity", "Event", "Attack")),
            Linkable(FRESNES_PRISON, "Fresnes prison", ("Entity", "Facility"), ("Fresnes",)),
            Linkable(FRESNES_TOWN, "Fresnes", ("Entity", "Location")),
        ]
    )
    text = "The Banque de France paid for the attack on Fresnes prison, not France."
    found = [(h.surface, sorted(f.entity_id for f in h.forms)) for h in linker.scan(text)]
    assert found == [
        ("Banque de France", ["org-bdf"]),
        ("attack on Fresnes prison", ["attack-1"]),
        ("Fresnes prison", [FRESNES_PRISON]),  # the longest inside it, not "Fresnes"
        ("France", ["loc-fr"]),
    ]


def test_a_lone_surname_joins_the_full_name_whatever_precedes_it(
    seeded_store: Store, model: Model
) -> None:
    text = (
        "Gendarmes arrested Lucien Ferrand near Lyon on Monday.\n"
        "Ferrand, 41, was held overnight. Mr Ferrand denied any part in it.\n"
        "According to Ferrand, the car was stolen.\n"
    )
    sentences = [s.quote for s in split_sentences(text)]
    candidates = by_text(ingestion.ingest(seeded_store, model, text))
    assert "Ferrand" not in candidates
    ferrand = candidates["Lucien Ferrand"]
    assert ferrand["kind"] == "person"
    assert ferrand["sentences"] == sentences
    assert len(ferrand["starts"]) == 4 and ferrand["starts"] == sorted(ferrand["starts"])


def test_a_surname_two_people_share_stays_apart() -> None:
    text = "Lucien Ferrand and Marie Ferrand were questioned. Ferrand, 41, was held."
    linker = Linker([])
    proposals = propose_candidates(text, split_sentences(text), [], linker)
    assert {p.text for p in proposals} == {"Lucien Ferrand", "Marie Ferrand", "Ferrand"}


def test_an_article_posted_with_a_handling_code_is_hidden_from_keys_without_it(
    seeded_store: Store, client_for: Any
) -> None:
    from graph.access.auth import Role

    cleared = client_for(Role.INVESTIGATOR, ["case:prison-break"])
    uncleared = client_for(Role.INVESTIGATOR)
    article = {
        "text": "Mohamed Amra was questioned again on Monday, a source in the case said.",
        "handling": "case:prison-break",
    }
    refused = uncleared.post("/api/v1/documents", json=article)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"][0]["field"] == "handling"

    created = cleared.post("/api/v1/documents", json=article)
    assert created.status_code == 201, created.text
    doc_id = created.json()["document_id"]
    assert cleared.get(f"/api/v1/documents/{doc_id}/mentions").status_code == 200
    hidden = uncleared.get(f"/api/v1/documents/{doc_id}/mentions")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
