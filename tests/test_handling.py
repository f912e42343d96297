"""Handling restrictions (docs/security.md): an item restricted to a code is invisible to keys
without it: 404 when asked for, and left out of search, neighbourhoods, paths, evidence
paths, incidents, analytics, snapshots, exports and counts.

One module-scoped graph: the seed, with Mohamed Amra and his arrest in Romania restricted to
case:prison-break, the attribution of the Fresnes attack to the organized crime networks
(a relationship) restricted too, Laure Beccuau restricted to another case, and a tiny graph
of four people where the shortest path crosses a restricted person and a longer one does
not. Graph-level calls set the visibility explicitly; HTTP calls send real API keys.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import install_error_handlers
from api.security import ViewerDep, install_security
from graph.access import audit, visibility
from graph.access.auth import KeyStore, Role
from graph.access.visibility import EVERYTHING, Visibility
from graph.core.errors import InvalidInput, NotFound, QueryDefinitionError
from graph.core.settings import REPO_ROOT, Settings
from graph.db import view
from graph.db.queries import HANDLING_PARAMS, QuerySet, parse_query_file, strip_non_code
from graph.db.store import Store, WriteStep
from graph.growth import contradictions, ingest, resolution
from graph.growth.imports import export_graph, run_import
from graph.investigate.analytics import key_players
from graph.investigate.links import (
    LinkFilter,
    neighbourhood,
    network_facility_connections,
    shortest_paths,
)
from graph.investigate.search import search
from graph.investigate.snapshot import freeze_named_query, freeze_neighbourhood, load, save
from graph.model.schema import Model
from seed.loader import load_seed
from tests.test_api import assert_error_shape

CASE = "case:prison-break"
OTHER = "case:other"
AMRA = "person-mohamed-amra-2da800b3"
ARREST = "arrest-mohamed-amra-romania-19858c0e"  # an incident
ESCAPE = "escape-mohamed-amra-fe052559"  # linked to Amra, not restricted
BECCUAU = "person-laure-beccuau-cf46e44a"
NETWORK = "criminalnetwork-organized-crime-networks-d2d233f5"
FRESNES = "facility-fresnes-prison-91ea930d"
FRESNES_ATTACK = "attack-fresnes-2024-04-12-b0220e24"
HIDDEN_LINK = "attributed_to-attack-fresnes-2024-04-12-95cf0bea"
DOC = "document-seed-004-dfd687ba"

PLAIN = Visibility(see_all=False)
CLEARED = Visibility(see_all=False, codes=(CASE,))
OTHER_ONLY = Visibility(see_all=False, codes=(OTHER,))

# Read queries that need no handling filter, and why. Any other read query of the app (the
# test-only ones of tests/cypher are never loaded by it) that matches an entity label or a
# relationship must declare $handling_all and $handling_codes.
NOT_FILTERED = {
    # system records, not graph items; served only to the roles that manage them
    "api_key_by_id": "API keys (system; never served by the named-query routes)",
    "api_keys": "API keys (system; never served by the named-query routes)",
    "dataset_by_id": "import records (admins)",
    "datasets": "import records (admins)",
    "linkable_names_stamp": "one count, compared by ingestion, never served (graph.growth.ingest)",
}


def _restricted_graph(store: Store, model: Model, settings: Settings) -> None:
    store.run("clear_graph")
    load_seed(store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
    person = {"source_ids": [DOC], "quote": "q", "quotes": ["q"], "confidence": 90}
    grade = {"reliability": "B", "credibility": 2}
    tiny = [
        {"id": f"tiny-{x}", "label": "Person", "props": {"id": f"tiny-{x}", "name": f"Tiny {x}"}}
        for x in "abcdex"
    ]
    for row in tiny:
        row["props"].update(person, **grade)
    tiny[1]["props"]["handling"] = CASE  # b: on the short path a-b-d
    links = [("a", "b"), ("b", "d"), ("a", "c"), ("c", "x"), ("x", "d"), ("a", "e")]
    rels = [
        {
            "id": f"tiny-{p}-{q}",
            "type": "ASSOCIATE",
            "from": f"tiny-{p}",
            "to": f"tiny-{q}",
            "props": {"id": f"tiny-{p}-{q}", **person, **grade},
        }
        for p, q in links
    ]
    rels[-1]["props"]["handling"] = CASE  # a-e: e is reachable only through it
    store.write_transaction(
        [
            WriteStep(
                "upsert_nodes",
                {
                    "rows": [
                        {"id": AMRA, "label": "Person", "props": {"handling": CASE}},
                        {"id": ARREST, "label": "Arrest", "props": {"handling": CASE}},
                        {"id": BECCUAU, "label": "Person", "props": {"handling": OTHER}},
                        *tiny,
                    ]
                },
            ),
            WriteStep(
                "upsert_relationships",
                {
                    "rows": [
                        {
                            "id": HIDDEN_LINK,
                            "type": "ATTRIBUTED_TO",
                            "from": FRESNES_ATTACK,
                            "to": NETWORK,
                            "props": {"handling": CASE},
                        },
                        *rels,
                    ]
                },
            ),
        ]
    )


@pytest.fixture(scope="module")
def graph(session_store: Store, model: Model, settings: Settings) -> Store:
    _restricted_graph(session_store, model, settings)
    return session_store


def all_types(model: Model) -> tuple[str, ...]:
    return tuple(t for t in model.relationship_types if t != "MENTIONS")


def visible_dump(store: Store, vis: Visibility) -> tuple[set[str], set[str]]:
    """The entity and relationship ids `vis` may see, computed in Python from every item."""
    rows = store.run("canonical_dump")
    nodes = {
        r["id"]: r
        for r in rows
        if r["kind"] == "node"
        and "Entity" in r["labels"]
        and vis.can_see(r["properties"].get("handling"))
    }
    rels = {
        r["id"]
        for r in rows
        if r["kind"] == "rel"
        and r["from_id"] in nodes
        and r["to_id"] in nodes
        and vis.can_see(r["properties"].get("handling"))
    }
    return set(nodes), rels


# ---------------------------------------------------------------------------------------------
# The queries themselves


def _reads_graph(body: str, labels: list[str]) -> bool:
    """Whether a query body may return graph items: it names an entity label, matches a
    relationship or an unlabelled node (`MATCH (n)`), or searches the fulltext index."""
    code = strip_non_code(body)
    entity = re.search(r":\s*(" + "|".join(labels) + r")\b", code) is not None
    relationship = re.search(r"-\s*\[|\]\s*-|\)\s*-\s*\(|\)\s*<?--?>?\s*\(", code) is not None
    unlabelled = re.search(r"MATCH\s+(\w+\s*=\s*)?\(\s*\w*\s*(\{[^}]*\})?\s*\)", code, re.I)
    return entity or relationship or unlabelled is not None or "fulltext" in code


def test_every_read_query_of_graph_items_filters_on_handling(model: Model) -> None:
    """Walks every read query: one that matches an entity (any label of the model) or a
    relationship must take the handling parameters, unless it is on the commented list."""
    queries = QuerySet.load(REPO_ROOT / "cypher" / "queries")
    labels = ["Entity", *model.spec.nodes]
    unfiltered = []
    for query in queries.values():
        if query.mode != "read" or query.name in NOT_FILTERED:
            continue
        declared = {p.name for p in query.params}
        if _reads_graph(query.body, labels) and not set(HANDLING_PARAMS) <= declared:
            unfiltered.append(query.name)
    assert unfiltered == [], f"read queries without the handling filter: {unfiltered}"
    assert set(NOT_FILTERED) <= set(queries), "the allowlist names a query that is gone"
    filtered = [q for q in queries.values() if set(HANDLING_PARAMS) <= {p.name for p in q.params}]
    assert len(filtered) >= 30
    for query in filtered:  # callers never see or give them
        assert not set(HANDLING_PARAMS) & {p.name for p in query.user_params}


HIDDEN_FROM_PLAIN = (AMRA, ARREST, BECCUAU, HIDDEN_LINK, "tiny-b", "tiny-a-e")


def _variants(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The header example, and the same naming hidden items and their neighbours."""
    out = [params]
    if "id" in params:
        out += [{**params, "id": i} for i in (AMRA, ESCAPE, FRESNES_ATTACK, DOC, "tiny-a")]
    if "ids" in params:
        near = [AMRA, ARREST, ESCAPE, FRESNES_ATTACK, NETWORK, BECCUAU, "tiny-a", "tiny-b"]
        out.append({**params, "ids": near})
    if "wanted" in params:
        out.append({**params, "wanted": dict.fromkeys(HIDDEN_FROM_PLAIN, True)})
    if "types" in params:
        out += [{**v, "types": ["ATTRIBUTED_TO", "INVOLVED", "ASSOCIATE"]} for v in list(out)]
    return out


def test_no_read_query_returns_a_hidden_item(graph: Store) -> None:
    """Every filtered read query, with its header example and with parameters naming hidden
    items: what a key without the codes gets never holds their ids; what an admin gets
    does, for many of them (so the sweep can fail)."""
    queries = QuerySet.load(REPO_ROOT / "cypher" / "queries")
    revealing = set()
    for query in queries.values():
        if query.mode != "read" or query.name in NOT_FILTERED:
            continue
        for params in _variants({p.name: p.example for p in query.user_params}):
            with visibility.scope(PLAIN):
                shown = json.dumps(graph.run(query.name, params), default=str)
            leaked = [i for i in HIDDEN_FROM_PLAIN if f'"{i}"' in shown]
            assert leaked == [], f"{query.name}({params}) returns {leaked}"
            everything = json.dumps(graph.run(query.name, params), default=str)
            if any(f'"{i}"' in everything for i in HIDDEN_FROM_PLAIN):
                revealing.add(query.name)
    assert len(revealing) >= 15, sorted(revealing)


def test_callers_cannot_pass_the_handling_parameters(graph: Store) -> None:
    with pytest.raises(InvalidInput, match="set by crimegraph"):
        graph.run("entity_by_id", {"id": AMRA, "handling_all": True})
    with pytest.raises(InvalidInput, match="set by crimegraph"):
        graph.run("entity_by_id", {"id": AMRA, "handling_codes": [CASE]})


def test_a_query_must_declare_both_handling_parameters_with_their_types(tmp_path: Path) -> None:
    path = tmp_path / "half.cypher"
    path.write_text(
        "// name: half\n// mode: read\n// description: d\n"
        "// param handling_all: BOOLEAN = true\n"
        "MATCH (n:Entity) WHERE n.handling IS NULL OR $handling_all RETURN n.id AS id\n"
    )
    with pytest.raises(QueryDefinitionError, match="declares both"):
        parse_query_file(path)


def test_the_handling_pattern_of_the_model_agrees_with_the_key_codes(model: Model) -> None:
    from graph.access.auth import check_handling_codes
    from graph.model.schema import check_value

    spec = model.provenance["handling"]
    for good in (CASE, "dataset:interpol-2024", "a", "x.y_z-1:b"):
        assert check_value(spec, good) == good
        assert check_handling_codes([good]) == (good,)
    for bad in ("Case:x", "case:", ":x", "case x", "c" * 101, "case::x", "-x"):
        with pytest.raises(ValueError):
            check_value(spec, bad)
        with pytest.raises(InvalidInput):
            check_handling_codes([bad])


def test_seed_records_may_carry_a_checked_handling_code(
    model: Model, settings: Settings, tmp_path: Path
) -> None:
    from graph.core.errors import SeedDataError
    from seed.loader import build_rows

    quote = "Amra was finally arrested in Romania after evading arrest for nine months"
    (tmp_path / "documents.yaml").write_text(
        (settings.seed_dir / "data" / "documents.yaml").read_text(encoding="utf-8")
    )

    def people(handling: str) -> str:
        return (
            "entities:\n"
            f"  - {{key: amra, label: Person, name: Mohamed Amra, handling: '{handling}',\n"
            f"     sources: [{{doc: seed-004, quote: '{quote}'}}]}}\n"
            f"  - {{key: fly, label: Person, name: The Fly,\n"
            f"     sources: [{{doc: seed-004, quote: '{quote}'}}]}}\n"
            "relationships:\n"
            f"  - {{type: ASSOCIATE, from: amra, to: fly, handling: '{handling}',\n"
            f"     sources: [{{doc: seed-004, quote: '{quote}'}}]}}\n"
        )

    (tmp_path / "people.yaml").write_text(people(CASE))
    rows = build_rows(model, tmp_path, settings.seed_dir / "documents")
    by_name = {r["props"]["name"]: r["props"] for r in rows.nodes}
    assert by_name["Mohamed Amra"]["handling"] == CASE and "handling" not in by_name["The Fly"]
    associate = next(r for r in rows.relationships if r["type"] == "ASSOCIATE")
    assert associate["props"]["handling"] == CASE
    (tmp_path / "people.yaml").write_text(people("Case Prison Break"))
    with pytest.raises(SeedDataError) as refused:
        build_rows(model, tmp_path, settings.seed_dir / "documents")
    assert {p["field"] for p in refused.value.details} == {"handling"}
    assert len(refused.value.details) == 2  # the entity and the relationship


# ---------------------------------------------------------------------------------------------
# Graph level: one visibility at a time


def test_outside_a_request_everything_is_visible(graph: Store) -> None:
    assert visibility.current() == EVERYTHING
    assert graph.run("entity_by_id", {"id": AMRA})


def test_a_hidden_entity_is_not_found_and_not_searchable(graph: Store) -> None:
    with visibility.scope(PLAIN):
        assert graph.run("entity_by_id", {"id": AMRA}) == []
        assert graph.run("entity_detail", {"id": AMRA}) == []
        assert AMRA not in {r["id"] for r in search(graph, "mohamed amra", "Entity")}
        assert AMRA not in {r["id"] for r in graph.run("linkable_entities")}
        with pytest.raises(NotFound):
            resolution.why(graph, AMRA)
    with visibility.scope(CLEARED):
        assert graph.run("entity_by_id", {"id": AMRA})[0]["properties"]["handling"] == CASE
        assert AMRA in {r["id"] for r in search(graph, "mohamed amra", "Entity")}
        assert graph.run("entity_by_id", {"id": BECCUAU}) == []  # another case's item
    with visibility.scope(OTHER_ONLY):
        assert graph.run("entity_by_id", {"id": BECCUAU})


def test_neighbourhoods_and_counts_by_type_leave_hidden_items_out(
    graph: Store, model: Model
) -> None:
    flt = LinkFilter.build(all_types(model))
    with visibility.scope(PLAIN):
        sub = neighbourhood(graph, ESCAPE, 2, flt, 1000)
        assert AMRA not in {n.id for n in sub.nodes}
        assert all(AMRA not in (link.from_id, link.to_id) for link in sub.links)
        assert all(
            r["other_id"] != AMRA for r in graph.run("entity_links", {"id": ESCAPE, "limit": 100})
        )
        plain_counts = graph.run("entity_detail", {"id": ESCAPE})[0]["relationship_counts"]
    with visibility.scope(CLEARED):
        sub = neighbourhood(graph, ESCAPE, 2, flt, 1000)
        assert AMRA in {n.id for n in sub.nodes}
        cleared_counts = graph.run("entity_detail", {"id": ESCAPE})[0]["relationship_counts"]
    involved = {c["type"]: c["count"] for c in cleared_counts}["INVOLVED"]
    assert {c["type"]: c["count"] for c in plain_counts}.get("INVOLVED", 0) == involved - 1


def test_paths_never_cross_a_hidden_item_and_take_another_way(graph: Store) -> None:
    flt = LinkFilter.build(("ASSOCIATE",))
    with visibility.scope(CLEARED):
        found = shortest_paths(graph, "tiny-a", "tiny-d", 4, flt)
        assert [[n.id for n in p.nodes] for p in found] == [["tiny-a", "tiny-b", "tiny-d"]]
        assert shortest_paths(graph, "tiny-a", "tiny-e", 4, flt)[0].length == 1
    with visibility.scope(PLAIN):
        found = shortest_paths(graph, "tiny-a", "tiny-d", 4, flt)
        assert [[n.id for n in p.nodes] for p in found] == [
            ["tiny-a", "tiny-c", "tiny-x", "tiny-d"]
        ]
        with pytest.raises(NotFound, match="no path"):  # only through a hidden link
            shortest_paths(graph, "tiny-a", "tiny-e", 4, flt)
        with pytest.raises(NotFound, match="no entity"):  # a hidden end: as if unknown
            shortest_paths(graph, "tiny-a", "tiny-b", 4, flt)


def test_network_evidence_paths_skip_hidden_links(graph: Store, model: Model) -> None:
    flt = LinkFilter.build(all_types(model))

    def kinds(vis: Visibility) -> set[str]:
        with visibility.scope(vis):
            found = network_facility_connections(graph, flt, network_id=NETWORK)
        fresnes = next(c for c in found if c.facility.id == FRESNES)
        ids = {link.id for p in fresnes.paths_by_kind.values() for link in p.links}
        assert (HIDDEN_LINK in ids) == (vis is CLEARED)
        return set(fresnes.paths_by_kind)

    assert kinds(CLEARED) == {
        "attack_attributed_to_network",
        "attack_in_wave_attributed_to_network",
    }
    assert kinds(PLAIN) == {"attack_in_wave_attributed_to_network"}  # the other way still counts


def test_incidents_analytics_and_contradictions_leave_hidden_items_out(
    graph: Store, model: Model
) -> None:
    params = {
        "labels": ["Attack", "Escape", "Arrest", "Seizure", "Operation"],
        "since": "0000",
        "until": "9999",
        "facility_id": "",
        "network_id": "",
        "min_confidence": 0,
        "max_reliability": "F",
        "max_credibility": 6,
        "skip": 0,
        "limit": 1000,
    }
    flt = LinkFilter.build(all_types(model))
    with visibility.scope(PLAIN):
        incidents = {r["id"]: r for r in graph.run("incidents", params)}
        players = key_players(graph, flt, None, 100, "Person")
        claims = {r["id"] for r in graph.run("event_claims")}
        contradictions.find(graph, model)  # runs on what the key may see
    assert ARREST not in incidents and ARREST not in claims and ESCAPE in incidents
    assert AMRA not in {p.entity.id for p in players.players}
    with visibility.scope(CLEARED):
        assert ARREST in {r["id"] for r in graph.run("incidents", params)}
        cleared = key_players(graph, flt, None, 100, "Person")
    assert AMRA in {p.entity.id for p in cleared.players}
    assert cleared.nodes > players.nodes


def test_counts_do_not_reveal_hidden_items(graph: Store) -> None:
    for vis in (PLAIN, CLEARED, OTHER_ONLY, EVERYTHING):
        nodes, rels = visible_dump(graph, vis)
        with visibility.scope(vis):
            totals = graph.run("graph_totals")[0]
            labels = graph.run("label_counts")
            types = graph.run("relationship_type_counts")
        assert (totals["nodes"], totals["relationships"]) == (len(nodes), len(rels)), vis
        assert sum(r["nodes"] for r in labels if "Entity" in r["labels"]) == len(nodes)
        assert sum(r["relationships"] for r in types) == len(rels)
    assert len(visible_dump(graph, PLAIN)[0]) < len(visible_dump(graph, CLEARED)[0])


def test_exports_drop_what_the_key_may_not_see(graph: Store) -> None:
    for vis in (PLAIN, CLEARED):
        nodes, rels = visible_dump(graph, vis)
        with visibility.scope(vis):
            exported = export_graph(graph)
        assert {n["id"] for n in exported["nodes"]} == nodes
        assert {r["id"] for r in exported["relationships"]} == rels
    assert (
        AMRA not in visible_dump(graph, PLAIN)[0]
        and HIDDEN_LINK not in visible_dump(graph, PLAIN)[1]
    )


def test_snapshots_freeze_what_the_key_sees_and_load_only_for_keys_cleared_for_all(
    graph: Store, model: Model
) -> None:
    flt = LinkFilter.build(all_types(model))
    with visibility.scope(PLAIN):
        plain = freeze_neighbourhood(graph, [ESCAPE], 1, flt)
        assert AMRA not in {n["id"] for n in plain["nodes"]} and "handling" not in plain
        with pytest.raises(NotFound):
            freeze_neighbourhood(graph, [AMRA], 1, flt)
        save(graph, plain)
    with visibility.scope(CLEARED):
        cleared = freeze_neighbourhood(graph, [ESCAPE], 1, flt)
        assert AMRA in {n["id"] for n in cleared["nodes"]}
        assert cleared["handling"] == [CASE]
        stored, _ = save(graph, cleared)
        assert load(graph, cleared["id"]) == stored
        named = freeze_named_query(
            graph, "entity_links", {"id": ESCAPE, "limit": 100}, list(flt.types)
        )
        assert named["handling"] == [CASE]
    assert graph.run("snapshot_by_id", {"id": cleared["id"]})  # outside a request: all
    for vis in (PLAIN, OTHER_ONLY):
        with visibility.scope(vis):
            with pytest.raises(NotFound):
                load(graph, cleared["id"])
            assert load(graph, plain["id"])["id"] == plain["id"]
            listed = {r["id"] for r in graph.run("snapshots", {"limit": 500})}
            assert cleared["id"] not in listed and plain["id"] in listed


def test_ingestion_does_not_link_a_hidden_entity(graph: Store, model: Model) -> None:
    text = "Mohamed Amra and Gerald Darmanin were named in a note about French prisons."
    with visibility.scope(PLAIN):
        result = ingest.ingest(graph, model, text, title="A note about French prisons")
        assert AMRA not in {item.entity.id for item in result.linked}
        mentions = ingest.document_mentions(graph, model, result.document_id)["mentions"]
        assert AMRA not in {m["entity_id"] for m in mentions}
        with pytest.raises(InvalidInput, match="does not hold"):
            ingest.ingest(graph, model, text + " Again.", handling=CASE)
    with visibility.scope(CLEARED):
        restricted = ingest.ingest(graph, model, text + " Restricted.", handling=CASE)
        assert AMRA in {item.entity.id for item in restricted.linked}
    with visibility.scope(PLAIN):
        with pytest.raises(NotFound):
            ingest.document_mentions(graph, model, restricted.document_id)
        assert all(
            c["document_id"] != restricted.document_id
            for c in ingest.list_candidates(graph, status="")
        )


def test_resolution_and_imports_see_every_item_they_must_move_or_check(
    graph: Store, model: Model
) -> None:
    with visibility.scope(PLAIN):
        assert AMRA not in {r.id for r in resolution.live_records(graph, model)}
    # A merge by a key that cannot see tiny-a's link to tiny-e still moves it: nothing is
    # left behind on the merged-away entity. Undone, the graph is as it was.
    before = graph.run("canonical_dump")
    with visibility.scope(PLAIN):
        decision = resolution.decide(
            graph, model, "tiny-c", "tiny-a", "same", "tester", canonical_id="tiny-c"
        )
    moved = {r["id"]: r for r in graph.run("entity_relationships", {"id": "tiny-c"})}
    assert moved["tiny-a-e"]["from_id"] == "tiny-c"
    left = graph.run("entity_relationships", {"id": "tiny-a"})
    assert [r["id"] for r in left] == ["tiny-a-c"]  # a link between the two stays
    with visibility.scope(PLAIN):
        resolution.undo(graph, model, decision["id"], "tester")
    after = graph.run("canonical_dump")
    assert [r for r in after if "Decision" not in r["labels"]] == before
    # An import naming a stored restricted id is checked against it, whoever runs it, and
    # may not change its handling.
    doc = {"id": DOC}
    snapshot = {
        "nodes": [],
        "sources": [doc],
        "relationships": [
            {
                "id": HIDDEN_LINK,
                "type": "ATTRIBUTED_TO",
                "from_id": FRESNES_ATTACK,
                "to_id": NETWORK,
                "properties": {"source_ids": [DOC], "quote": "q", "handling": OTHER},
            }
        ],
    }
    with visibility.scope(PLAIN), pytest.raises(InvalidInput) as refused:
        run_import(graph, model, json.dumps(snapshot).encode(), format="snapshot", imported_by="t")
    assert f"exists with handling '{CASE}'; the file says '{OTHER}'" in refused.value.message


# ---------------------------------------------------------------------------------------------
# Over HTTP, with API keys


@pytest.fixture(scope="module")
def api(
    graph: Store, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Settings]]:
    secure = settings.model_copy(
        update={"audit_dir": tmp_path_factory.mktemp("audit"), "key_cache_seconds": 0}
    )
    keys = KeyStore(graph, ttl=0)
    made = {
        "viewer": keys.create("viewer without the code", Role.VIEWER)[1],
        "plain": keys.create("investigator without the code", Role.INVESTIGATOR)[1],
        "cleared": keys.create("investigator with the code", Role.INVESTIGATOR, [CASE])[1],
        "cleared_viewer": keys.create("viewer with the code", Role.VIEWER, [CASE])[1],
        "analyst": keys.create("analyst without the code", Role.ANALYST)[1],
        "cleared_analyst": keys.create("analyst with the code", Role.ANALYST, [CASE])[1],
        "admin": keys.create("admin", Role.ADMIN)[1],
    }
    headers = {name: {"X-API-Key": token} for name, token in made.items()}
    with TestClient(create_app(secure)) as client:
        yield client, headers, secure


def test_a_hidden_entity_is_a_404_in_the_one_error_shape_and_audited_as_denied(
    api: tuple[TestClient, dict[str, dict[str, str]], Settings],
) -> None:
    client, keys, secure = api
    unknown = client.get("/api/v1/entities/person-nobody-00000000", headers=keys["viewer"])
    hidden = client.get(f"/api/v1/entities/{AMRA}", headers=keys["viewer"])
    error = assert_error_shape(hidden, 404, "not_found")
    assert error["message"] == f"no entity with id {AMRA!r}"
    assert_error_shape(unknown, 404, "not_found")
    record = audit.tail(secure.audit_path, 1)[0]
    assert record["outcome"] == "denied" and record["reason"] == f"handling {CASE}"
    for key in ("cleared_viewer", "cleared", "admin"):
        shown = client.get(f"/api/v1/entities/{AMRA}", headers=keys[key])
        assert shown.status_code == 200 and shown.json()["properties"]["handling"] == CASE
    assert audit.tail(secure.audit_path, 1)[0]["outcome"] == "allowed"


def test_routes_leave_hidden_items_out_for_keys_without_the_code(
    api: tuple[TestClient, dict[str, dict[str, str]], Settings],
) -> None:
    client, keys, _ = api

    def ids(path: str, key: str, **params: Any) -> str:
        response = client.get(path, headers=keys[key], params=params)
        assert response.status_code == 200, response.text
        return response.text  # every id the answer holds is in its text

    for key, sees in (("viewer", False), ("cleared_viewer", True), ("admin", True)):
        assert (AMRA in ids("/api/v1/entities", key, q="mohamed amra")) is sees
        assert (AMRA in ids(f"/api/v1/entities/{ESCAPE}/neighbors", key, depth=2)) is sees
        assert (ARREST in ids("/api/v1/incidents", key)) is sees
        assert (
            AMRA in ids("/api/v1/analytics/key-players", key, label="Person", limit=100)
        ) is sees
        assert (HIDDEN_LINK in ids(f"/api/v1/networks/{NETWORK}/facilities", key)) is sees
        assert (HIDDEN_LINK in ids(f"/api/v1/facilities/{FRESNES}/networks", key)) is sees
        assert (AMRA in ids(f"/api/v1/sources/{DOC}", key)) is sees
        named = client.post(
            "/api/v1/queries/entity_links/graph",
            headers=keys[key],
            json={"id": ESCAPE, "limit": 100},
        )
        assert named.status_code == 200 and (AMRA in named.text) is sees
    path = client.get(
        "/api/v1/paths", headers=keys["viewer"], params={"from": "tiny-a", "to": "tiny-d"}
    ).json()
    assert [n["id"] for n in path["paths"][0]["nodes"]] == ["tiny-a", "tiny-c", "tiny-x", "tiny-d"]
    path = client.get(
        "/api/v1/paths", headers=keys["cleared_viewer"], params={"from": "tiny-a", "to": "tiny-d"}
    ).json()
    assert [n["id"] for n in path["paths"][0]["nodes"]] == ["tiny-a", "tiny-b", "tiny-d"]
    assert_error_shape(
        client.get(f"/api/v1/paths?from=tiny-a&to={AMRA}", headers=keys["viewer"]), 404, "not_found"
    )


def test_stats_count_only_what_the_key_may_see(
    api: tuple[TestClient, dict[str, dict[str, str]], Settings], graph: Store
) -> None:
    client, keys, _ = api
    for key, vis in (("viewer", PLAIN), ("cleared_viewer", CLEARED), ("admin", EVERYTHING)):
        nodes, rels = visible_dump(graph, vis)
        stats = client.get("/api/v1/stats", headers=keys[key]).json()
        assert stats == {"nodes": len(nodes), "relationships": len(rels)}, key


def test_snapshots_over_http_follow_the_creating_key_and_the_reading_key(
    api: tuple[TestClient, dict[str, dict[str, str]], Settings],
) -> None:
    client, keys, _ = api
    body = {"entity_ids": [ESCAPE], "depth": 1, "title": "escape"}
    plain = client.post("/api/v1/snapshots", headers=keys["plain"], json=body)
    cleared = client.post("/api/v1/snapshots", headers=keys["cleared"], json=body)
    assert plain.status_code in (200, 201) and cleared.status_code in (200, 201)
    plain_id, cleared_id = plain.json()["id"], cleared.json()["id"]
    assert plain_id != cleared_id
    assert AMRA not in client.get(f"/api/v1/snapshots/{plain_id}", headers=keys["viewer"]).text
    for fmt in ("", "/html", "/ftm"):
        hidden = client.get(f"/api/v1/snapshots/{cleared_id}{fmt}", headers=keys["viewer"])
        assert_error_shape(hidden, 404, "not_found")
        shown = client.get(f"/api/v1/snapshots/{cleared_id}{fmt}", headers=keys["cleared_viewer"])
        assert shown.status_code == 200 and "Mohamed Amra" in shown.text
    listed = client.get("/api/v1/snapshots", headers=keys["viewer"]).json()
    assert cleared_id not in {s["id"] for s in listed} and plain_id in {s["id"] for s in listed}
    assert_error_shape(
        client.post("/api/v1/snapshots", headers=keys["plain"], json={"entity_ids": [AMRA]}),
        404,
        "not_found",
    )


def test_the_export_route_drops_hidden_items(
    api: tuple[TestClient, dict[str, dict[str, str]], Settings], graph: Store
) -> None:
    """GET /api/v1/export is for analysts: each gets the graph its key may see."""
    client, keys, _ = api
    for key, vis in (("analyst", PLAIN), ("cleared_analyst", CLEARED), ("admin", EVERYTHING)):
        response = client.get("/api/v1/export", headers=keys[key], params={"format": "ftm"})
        assert response.status_code == 200, response.text
        ids = {json.loads(line)["id"] for line in response.text.splitlines() if line.strip()}
        nodes, rels = visible_dump(graph, vis)
        assert (AMRA in ids) is (vis is not PLAIN) and (BECCUAU in ids) is (vis is EVERYTHING)
        assert (HIDDEN_LINK in ids) is (vis is not PLAIN)
        assert ids <= nodes | rels


def test_the_visibility_reaches_sync_routes_in_their_worker_threads(
    graph: Store, settings: Settings, tmp_path: Path
) -> None:
    """FastAPI runs plain `def` routes in a thread pool; the request's principal, and so its
    visibility, must be there."""
    import threading

    secure = settings.model_copy(update={"audit_dir": tmp_path / "audit", "key_cache_seconds": 0})
    app = FastAPI()
    install_error_handlers(app)
    install_security(app, secure, store_provider=lambda: graph)
    main = threading.get_ident()

    @app.get("/api/v1/whoami")
    def whoami(principal: ViewerDep) -> dict[str, Any]:
        seen = visibility.current()
        return {
            "see_all": seen.see_all,
            "codes": list(seen.codes),
            "worker": threading.get_ident() != main,
            "amra": bool(graph.run("entity_by_id", {"id": AMRA})),
        }

    keys = KeyStore(graph, ttl=0)
    with TestClient(app) as client:
        for role, codes, expected in (
            (Role.VIEWER, [], {"see_all": False, "codes": [], "amra": False}),
            (Role.VIEWER, [CASE], {"see_all": False, "codes": [CASE], "amra": True}),
            (Role.ADMIN, [], {"see_all": True, "codes": [], "amra": True}),
        ):
            token = keys.create("probe", role, codes)[1]
            got = client.get("/api/v1/whoami", headers={"X-API-Key": token}).json()
            assert got == {**expected, "worker": True}
    assert visibility.current() == EVERYTHING  # nothing leaked out of the requests


def test_code_outside_a_request_sees_nothing_restricted_unless_it_says_whose_view(
    graph: Store,
) -> None:
    """Fail closed: a background task (a thread with no request and no scope) that reads
    the graph gets no restricted item; the same read in an explicit scope gets them."""
    found: dict[str, list[str]] = {}

    def background(name: str) -> None:
        found[name] = [r["id"] for r in graph.run("entities_by_ids", {"ids": [AMRA, "tiny-a"]})]

    worker = threading.Thread(target=background, args=("without",))
    worker.start()
    worker.join()
    assert found["without"] == ["tiny-a"]  # Amra is restricted to CASE
    with view.unrestricted():
        background("system")
    assert sorted(found["system"]) == sorted([AMRA, "tiny-a"])
    with view.scope(OTHER_ONLY):
        background("other")
    assert found["other"] == ["tiny-a"]
