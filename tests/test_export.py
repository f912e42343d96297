"""Snapshot exports: what a user downloads must be the same bytes each time, open in the tool
it is meant for, and carry the snapshot whole (ids, labels, types, properties, provenance)."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from typing import Any

import neo4j
import networkx as nx
import pytest
from followthemoney import model as ftm_model
from followthemoney.types import registry

from graph.core.errors import InvalidInput
from graph.db.store import Store
from graph.formats.export import (
    guard_cell,
    to_admin_csv,
    to_admin_csv_zip,
    to_cypher,
    to_ftm,
    to_graphml,
    to_json,
    unguard_cell,
)
from graph.formats.registry import FORMATS
from graph.formats.registry import render as render_format
from graph.formats.snapshot_json import Snapshot, content_hash
from graph.investigate.links import LinkFilter
from graph.investigate.snapshot import freeze_neighbourhood
from graph.model.schema import Model
from tests.conftest import totals

TRICKY = 'It\'s "quoted" \\ back\\slash,\nnew line\r\n\ttab — é ü 中文 😀 \u2028 \u202e\x01 end\\'


def freeze(store: Store, model: Model, q: str, label: str) -> Snapshot:
    """The 2-hop neighbourhood of the best match for `q`, over every type but MENTIONS."""
    entity_id = store.run("search_entities", {"q": q, "label": label, "limit": 1})[0]["id"]
    types = tuple(t for t in model.relationship_types if t != "MENTIONS")
    return freeze_neighbourhood(store, [entity_id], 2, LinkFilter(types))


@pytest.fixture
def amra(seeded_store: Store, model: Model) -> Snapshot:
    return freeze(seeded_store, model, "amra", "Person")


@pytest.fixture
def network(seeded_store: Store, model: Model) -> Snapshot:
    return freeze(seeded_store, model, "organized crime networks", "CriminalNetwork")


def make_snapshot(nodes: list[dict[str, Any]], relationships: list[dict[str, Any]]) -> Snapshot:
    """A snapshot built by hand, in the format freeze_* writes."""
    nodes = sorted(nodes, key=lambda n: n["id"])
    relationships = sorted(relationships, key=lambda r: r["id"])
    query = {"kind": "neighbourhood", "entity_ids": [nodes[0]["id"]], "depth": 1, "types": []}
    digest = content_hash(query, nodes, relationships, [])
    return {
        "format": "crimegraph.snapshot/1",
        "id": f"snapshot-{digest[:16]}",
        "title": "hand-made",
        "created": "2026-01-01T00:00:00Z",
        "engine": "arcadedb",
        "duration_ms": 1,
        "query": query,
        "nodes": nodes,
        "relationships": relationships,
        "sources": [],
        "content_hash": digest,
    }


def node(node_id: str, labels: list[str], **props: Any) -> dict[str, Any]:
    return {"id": node_id, "labels": sorted(labels), "properties": {"id": node_id, **props}}


def rel(rel_id: str, rel_type: str, from_id: str, to_id: str, **props: Any) -> dict[str, Any]:
    return {
        "id": rel_id,
        "type": rel_type,
        "from_id": from_id,
        "to_id": to_id,
        "properties": {"id": rel_id, **props},
    }


def shuffled(snapshot: Snapshot) -> Snapshot:
    """The same snapshot with every list of items and every property map in reverse order."""
    other = copy.deepcopy(snapshot)
    for key in ("nodes", "relationships", "sources"):
        other[key].reverse()
    for item in (*other["nodes"], *other["relationships"]):
        item["properties"] = dict(reversed(item["properties"].items()))
    return other


def run_script(store: Store, script: str) -> int:
    """Run a Cypher script as a user would (cypher-shell): one statement per line."""
    count = 0
    for line in script.splitlines():
        statement = line.strip()
        if not statement or statement.startswith("//"):
            continue
        assert statement.endswith(";"), statement
        store._write_driver.execute_query(
            statement.removesuffix(";"),
            database_=store.connection.database,
            routing_=neo4j.RoutingControl.WRITE,
        )
        count += 1
    return count


def dump(store: Store) -> tuple[dict[str, Any], dict[str, Any]]:
    """The database's nodes and relationships, keyed by id, comparable with a snapshot."""
    nodes, rels = {}, {}
    for row in store.run("canonical_dump"):
        if row["kind"] == "node":
            nodes[row["id"]] = (sorted(row["labels"]), row["properties"])
        else:
            rels[row["id"]] = (row["labels"][0], row["from_id"], row["to_id"], row["properties"])
    return nodes, rels


def expected(snapshot: Snapshot) -> tuple[dict[str, Any], dict[str, Any]]:
    nodes = {n["id"]: (n["labels"], n["properties"]) for n in snapshot["nodes"]}
    rels = {
        r["id"]: (r["type"], r["from_id"], r["to_id"], r["properties"])
        for r in snapshot["relationships"]
    }
    return nodes, rels


# --- every format ----------------------------------------------------------------------------


DATA_FORMATS = ["json", "graphml", "ftm", "cypher", "csv"]


def test_formats_offer_each_download(amra: Snapshot) -> None:
    assert set(DATA_FORMATS) <= set(FORMATS)
    for name in DATA_FORMATS:
        body, media_type, file_name = render_format(amra, name)
        assert body and media_type == FORMATS[name].media_type, name
        assert file_name == f"{amra['id']}.{FORMATS[name].extension}"


@pytest.mark.parametrize("name", DATA_FORMATS)
def test_same_snapshot_same_bytes(amra: Snapshot, name: str) -> None:
    def render(snapshot: Snapshot) -> bytes:
        return render_format(snapshot, name)[0]

    first = render(amra)
    assert render(amra) == first
    assert render(json.loads(json.dumps(amra))) == first
    if name != "json":  # the JSON is the snapshot as it stands; the rest order it themselves
        assert render(shuffled(amra)) == first


def test_json_is_the_snapshot(amra: Snapshot) -> None:
    text = to_json(amra)
    assert json.loads(text) == amra
    assert text.endswith("}\n") and '\n  "content_hash"' in text


# --- GraphML ---------------------------------------------------------------------------------


def test_graphml_reads_back_with_networkx(network: Snapshot) -> None:
    graph = nx.read_graphml(io.BytesIO(to_graphml(network).encode("utf-8")), force_multigraph=True)
    assert graph.number_of_nodes() == len(network["nodes"])
    assert graph.number_of_edges() == len(network["relationships"])
    assert set(graph.nodes) == {n["id"] for n in network["nodes"]}
    edges = {key: (a, b, data) for a, b, key, data in graph.edges(keys=True, data=True)}
    assert set(edges) == {r["id"] for r in network["relationships"]}
    for item in network["nodes"]:
        data = graph.nodes[item["id"]]
        assert data["label"] == data["name"] == item["properties"]["name"]
        assert json.loads(data["labels"]) == item["labels"]
        assert data["confidence"] == item["properties"]["confidence"]
        assert json.loads(data["quotes"]) == item["properties"]["quotes"]
        if "aliases" in item["properties"]:
            assert json.loads(data["aliases"]) == item["properties"]["aliases"]
    for item in network["relationships"]:
        a, b, data = edges[item["id"]]
        assert (a, b) == (item["from_id"], item["to_id"])
        assert data["label"] == item["type"]
        assert json.loads(data["source_ids"]) == item["properties"]["source_ids"]
    assert graph.graph["content_hash"] == network["content_hash"]


def test_graphml_types_each_attribute_once() -> None:
    """Gephi reads one type per attribute: a key with values of several types is text."""
    snap = make_snapshot(
        [
            node("a-1", ["Entity", "Person"], name="A", count=3, odd=1),
            node("b-2", ["Entity", "Person"], name="B\x00\x07", count=4, odd="one"),
        ],
        [],
    )
    text = to_graphml(snap)
    assert text.count('attr.name="odd"') == 1 and text.count('attr.name="count"') == 1
    graph = nx.read_graphml(io.BytesIO(text.encode("utf-8")))
    assert graph.nodes["a-1"]["odd"] == "1" and graph.nodes["b-2"]["odd"] == "one"
    assert graph.nodes["a-1"]["count"] == 3
    assert graph.nodes["b-2"]["name"] == "B\ufffd\ufffd"  # XML cannot hold these characters


# --- FollowTheMoney --------------------------------------------------------------------------


def ftm_entities(text: str) -> dict[str, dict[str, Any]]:
    """Every line, validated by followthemoney; fails on anything it would drop or change."""
    assert text.endswith("\n")
    entities = {}
    for line in text.splitlines():
        data = json.loads(line)
        schema = ftm_model.get(data["schema"])
        assert schema is not None and not schema.abstract
        schema.validate(data)
        proxy = ftm_model.get_proxy(data, cleaned=False)
        assert proxy.to_dict() == data
        for prop in schema.required:
            assert proxy.get(prop), (data["id"], prop)
        assert data["id"] not in entities
        entities[data["id"]] = data
    return entities


def test_ftm_lines_validate_and_keep_ids(network: Snapshot) -> None:
    entities = ftm_entities(to_ftm(network))
    node_ids = {n["id"] for n in network["nodes"]}
    source_ids = {s["id"] for s in network["sources"]}
    assert set(entities) == node_ids | source_ids | {r["id"] for r in network["relationships"]}
    for item in network["relationships"]:
        data = entities[item["id"]]
        schema = ftm_model.get(data["schema"])
        assert schema is not None
        references = {
            value
            for name, values in data["properties"].items()
            if schema.properties[name].type == registry.entity and name != "proof"
            for value in values
        }
        assert references == {item["from_id"], item["to_id"]} <= node_ids
    for data in entities.values():
        assert set(data["properties"].get("proof", [])) <= source_ids
    for item in network["nodes"]:
        props = entities[item["id"]]["properties"]
        assert props["name"] == [item["properties"]["name"]]
        assert props["summary"] == item["properties"]["quotes"]
        assert props["proof"] == item["properties"]["source_ids"]


def test_ftm_schemata_follow_the_model(model: Model) -> None:
    prov = {"source_ids": ["doc-1"], "quote": "Q1", "quotes": ["Q1", "Q2"], "confidence": 80}
    snap = make_snapshot(
        [
            node("person-a", ["Entity", "Person"], name="A", nationality="French", **prov),
            node("person-b", ["Entity", "Person"], name="B", nationality="Martian", **prov),
            node("net-1", ["CriminalNetwork", "Entity", "Organization"], name="N", **prov),
            node("body-1", ["Entity", "Organization", "PublicBody"], name="P", country="France"),
            node("fac-1", ["Entity", "Facility"], name="Fresnes prison", facility_type="prison"),
            node("method-1", ["Entity", "Method"], name="Drones", method_type="smuggling_vector"),
            node(
                "attack-1",
                ["Attack", "Entity", "Event"],
                name="Attack",
                date="2024-04",
                date_precision="month",
                **prov,
            ),
            node("loc-1", ["Entity", "Location"], name="France", location_type="country"),
            node("doc-1", ["Document", "Entity"], name="Doc", title="Doc", retrieved="2026-01-02"),
        ],
        [
            rel("m-1", "MEMBERSHIP", "person-a", "net-1", role="leader", **prov),
            rel("a-1", "ASSOCIATE", "person-a", "person-b", relationship="cousin", **prov),
            rel("i-1", "INVOLVED", "person-a", "attack-1", role="perpetrator", **prov),
            rel("t-1", "TARGETED", "attack-1", "fac-1", **prov),
            rel("x-1", "MENTIONS", "doc-1", "person-a", quote="A said", quotes=["A said"]),
            rel("x-2", "MENTIONS", "doc-1", "fac-1", quote="F", quotes=["F"]),
        ],
    )
    entities = ftm_entities(to_ftm(snap, model))
    schemata = {entity_id: data["schema"] for entity_id, data in entities.items()}
    assert schemata == {
        "person-a": "Person",
        "person-b": "Person",
        "net-1": "Organization",
        "body-1": "PublicBody",
        "fac-1": "RealEstate",
        "method-1": "Note",
        "attack-1": "Event",
        "loc-1": "Address",
        "doc-1": "Document",
        "m-1": "Membership",
        "a-1": "Associate",
        "i-1": "UnknownLink",
        "t-1": "UnknownLink",
        "x-1": "Mention",
        "x-2": "UnknownLink",  # FtM's Mention resolves to legal entities only
    }
    props = {entity_id: data["properties"] for entity_id, data in entities.items()}
    assert props["m-1"]["member"] == ["person-a"] and props["m-1"]["organization"] == ["net-1"]
    assert props["m-1"]["role"] == ["leader"]
    assert props["a-1"]["relationship"] == ["cousin"]
    assert props["i-1"]["role"] == ["INVOLVED"]
    assert props["i-1"]["subject"] == ["person-a"] and props["i-1"]["object"] == ["attack-1"]
    assert "role: perpetrator" in props["i-1"]["description"][-1]
    assert props["x-1"]["document"] == ["doc-1"] and props["x-1"]["resolved"] == ["person-a"]
    assert props["x-1"]["name"] == ["A"]
    assert props["person-a"]["nationality"] == ["fr"]
    assert props["body-1"]["country"] == ["fr"]
    assert props["fac-1"]["propertyType"] == ["prison"]
    assert props["attack-1"]["date"] == ["2024-04"]
    assert props["attack-1"]["keywords"] == ["Attack", "Event"]
    assert props["person-a"]["summary"] == ["Q1", "Q2"]
    assert props["person-a"]["proof"] == ["doc-1"]
    # Nothing is lost silently: what FtM has no place for, or refuses, stays in words.
    assert props["person-b"]["description"] == ["crimegraph: confidence: 80; nationality: Martian"]
    assert "method_type: smuggling_vector" in props["method-1"]["description"][0]


# --- Cypher ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["amra", "network"])
def test_cypher_script_recreates_the_snapshot(
    seeded_store: Store, model: Model, which: str
) -> None:
    snap = (
        freeze(seeded_store, model, "amra", "Person")
        if which == "amra"
        else freeze(seeded_store, model, "organized crime networks", "CriminalNetwork")
    )
    script = to_cypher(snap)
    header = script.split("\n\n", 1)[0]
    assert snap["id"] in header and snap["content_hash"] in header
    assert f"nodes: {len(snap['nodes'])}, relationships: {len(snap['relationships'])}" in header
    seeded_store.run("clear_graph")
    assert totals(seeded_store) == (0, 0)
    statements = run_script(seeded_store, script)
    assert statements == len(snap["nodes"]) + len(snap["relationships"])
    assert totals(seeded_store) == (len(snap["nodes"]), len(snap["relationships"]))
    assert dump(seeded_store) == expected(snap)


def test_cypher_strings_round_trip(store: Store) -> None:
    snap = make_snapshot(
        [
            node(
                "person-1",
                ["Entity", "Person"],
                name=TRICKY,
                aliases=[TRICKY, "'", "\\"],
                confidence=-5,
                weight=1.5e-07,
                ratio=-0.25,
                large=1e20,
                flag=True,
                off=False,
                date_day="2024-04-12",
                empty=[],
            ),
            node("person-2", ["Entity", "Person"], name="O'Brien\\"),
        ],
        [rel("assoc-1", "ASSOCIATE", "person-1", "person-2", relationship=TRICKY, counts=[1, 2])],
    )
    assert totals(store) == (0, 0)
    script = to_cypher(snap)
    assert "date_day: date('2024-04-12')" in script
    assert run_script(store, script) == 3  # every statement still on one line
    nodes, rels = dump(store)
    assert nodes["person-1"][1]["name"] == TRICKY
    assert nodes["person-1"][1]["aliases"] == [TRICKY, "'", "\\"]
    assert nodes["person-2"][1]["name"] == "O'Brien\\"
    assert rels["assoc-1"][3]["relationship"] == TRICKY
    assert (nodes, rels) == expected(snap)


@pytest.mark.parametrize(
    ("labels", "rel_type", "key"),
    [
        (["Entity", "Person`) DETACH DELETE (n"], "ASSOCIATE", "name"),
        (["Entity", "Person"], "ASSOCIATE]->() DELETE r//", "name"),
        (["Entity", "Person"], "ASSOCIATE", "name: 'x'}) DETACH DELETE n //"),
        (["Entity", "Per son"], "ASSOCIATE", "name"),
        (["Entity", "1Person"], "ASSOCIATE", "name"),
    ],
)
def test_cypher_refuses_names_that_are_not_identifiers(
    labels: list[str], rel_type: str, key: str
) -> None:
    snap = make_snapshot(
        [node("p-1", labels, **{key: "A"}), node("p-2", ["Entity", "Person"], name="B")],
        [rel("r-1", rel_type, "p-1", "p-2")],
    )
    with pytest.raises(InvalidInput, match="not a plain identifier"):
        to_cypher(snap)
    with pytest.raises(InvalidInput, match="not a plain identifier"):
        to_admin_csv(snap)


def test_exports_refuse_a_relationship_to_a_missing_node() -> None:
    snap = make_snapshot(
        [node("p-1", ["Entity", "Person"], name="A")],
        [rel("r-1", "ASSOCIATE", "p-1", "p-404")],
    )
    for render in (to_cypher, to_graphml, to_ftm, to_admin_csv):
        with pytest.raises(InvalidInput, match="p-404"):
            render(snap)


# --- neo4j-admin CSV -------------------------------------------------------------------------


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_admin_csv_layout(network: Snapshot) -> None:
    files = to_admin_csv(network)
    assert sorted(files) == ["README.txt", "nodes.csv", "relationships.csv"]
    nodes = read_csv(files["nodes.csv"])
    header = nodes[0]
    assert header[:2] == ["id:ID", ":LABEL"]
    for column in (
        "name",
        "confidence:int",
        "credibility:int",
        "aliases:string[]",
        "quotes:string[]",
        "source_ids:string[]",
        "date_day:date",
        "reliability",
    ):
        assert column in header
    assert "id" not in header  # id:ID stores the id property
    assert len(nodes) == 1 + len(network["nodes"])
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in nodes[1:]}
    for item in network["nodes"]:
        row, props = rows[item["id"]], item["properties"]
        assert row[":LABEL"].split(";") == item["labels"]
        assert row["name"] == props["name"]
        assert row["confidence:int"] == str(props["confidence"])
        assert row["quotes:string[]"].split(";") == props["quotes"]
        assert row["aliases:string[]"] == ";".join(props.get("aliases", []))
    rels = read_csv(files["relationships.csv"])
    assert rels[0][:4] == [":START_ID", ":END_ID", ":TYPE", "id"]
    assert "confidence:int" in rels[0] and "source_ids:string[]" in rels[0]
    assert len(rels) == 1 + len(network["relationships"])
    by_id = {row[3]: row for row in rels[1:]}
    for item in network["relationships"]:
        assert by_id[item["id"]][:3] == [item["from_id"], item["to_id"], item["type"]]
    assert "--array-delimiter=';'" in files["README.txt"]


def test_admin_csv_avoids_a_delimiter_found_in_the_data() -> None:
    snap = make_snapshot(
        [node("p-1", ["Entity", "Person"], name='A, "B"\nC', aliases=["x; y", "z"])], []
    )
    files = to_admin_csv(snap)
    header, row = read_csv(files["nodes.csv"])
    values = dict(zip(header, row, strict=True))
    assert values[":LABEL"] == "Entity|Person"
    assert values["aliases:string[]"].split("|") == ["x; y", "z"]
    assert values["name"] == 'A, "B"\nC'
    assert "--array-delimiter='|'" in files["README.txt"]


def test_admin_csv_zip_is_deterministic(amra: Snapshot) -> None:
    body = to_admin_csv_zip(amra)
    assert to_admin_csv_zip(shuffled(amra)) == body
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.namelist() == ["README.txt", "nodes.csv", "relationships.csv"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        files = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    assert files == to_admin_csv(amra)


# --- CSV injection: guarded cells, and the quotes taken off again ------------------------------

FORMULA_TEXTS = [
    "=1+1",
    "+1",
    "-1",
    "@A1",
    "\tx",
    "\rx",
    "'=q",
    "''-q",
    "'x",
    "x",
    "",
    "'",
    "=",
    "x=1",
]


@pytest.mark.parametrize("text", FORMULA_TEXTS)
def test_guarded_cells_start_with_no_trigger_and_unguard_exactly(text: str) -> None:
    guarded = guard_cell(text)
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert unguard_cell(guarded) == text


def test_admin_csv_keeps_numbers_and_the_readme_takes_the_quotes_off(store: Store) -> None:
    """neo4j-admin imports cells as they are: the README's statements take the added quote
    off (run here on the session's engine, on nodes holding what neo4j-admin would store)."""
    snap = make_snapshot(
        [
            node(
                "=n1",
                ["Entity", "Person"],
                name="=cmd|' /C calc'!A0",
                n=-3,
                x=-1.5,
                aliases=["@a", "b", "'+c"],
            ),
            node("n2", ["Entity", "Person"], name="plain", n=4, x=2.0, aliases=["-d"]),
        ],
        [rel("-r1", "ASSOCIATE", "=n1", "n2", role="+boss")],
    )
    files = to_admin_csv(snap)
    header, *rows = read_csv(files["nodes.csv"])
    cells = dict(zip(header, rows[0], strict=True))
    assert cells["id:ID"] == "'=n1" and cells["name"] == "'=cmd|' /C calc'!A0"
    assert cells["n:int"] == "-3" and cells["x:double"] == "-1.5"  # typed: numbers stay
    assert cells["aliases:string[]"] == "'@a;b;''+c"
    rel_header, rel_row = read_csv(files["relationships.csv"])
    rel_cells = dict(zip(rel_header, rel_row, strict=True))
    assert (rel_cells[":START_ID"], rel_cells["id"], rel_cells["role"]) == (
        "'=n1",
        "'-r1",
        "'+boss",
    )

    # What neo4j-admin would store: every cell as written, quotes and all.
    as_stored = copy.deepcopy(snap)
    for item in as_stored["nodes"] + as_stored["relationships"]:
        item["id"] = guard_cell(item["id"])
        for end in ("from_id", "to_id"):
            if end in item:
                item[end] = guard_cell(item[end])
        for key, value in item["properties"].items():
            if isinstance(value, str):
                item["properties"][key] = guard_cell(value)
            elif isinstance(value, list):
                item["properties"][key] = [guard_cell(v) for v in value]
    run_script(store, to_cypher(as_stored))
    statements = [line.strip() for line in files["README.txt"].splitlines() if "MATCH" in line]
    assert len(statements) == 5  # id, aliases and name of nodes; id and role of relationships
    run_script(store, "\n".join(statements))
    assert dump(store) == expected(snap)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("label", "Person\n"),  # `$` in a regular expression lets a final line feed through
        ("label", "Hacker"),  # an identifier, but not a label of the model
        ("type", "ASSOCIATE\n"),
        ("type", "OWNS_EVERYTHING"),
    ],
)
def test_labels_and_types_written_into_a_script_are_the_models_own(where: str, value: str) -> None:
    """The Cypher script writes labels and relationship types into its text: only names
    of the model may get there, whatever a snapshot file holds."""
    snapshot = {
        "id": "s",
        "nodes": [
            {"id": "a", "labels": ["Entity", "Person"], "properties": {"name": "A"}},
            {"id": "b", "labels": ["Entity", "Person"], "properties": {"name": "B"}},
        ],
        "relationships": [
            {"id": "r", "type": "ASSOCIATE", "from_id": "a", "to_id": "b", "properties": {}}
        ],
        "sources": [],
    }
    assert "CREATE (a)-[:ASSOCIATE" in to_cypher(snapshot)
    if where == "label":
        snapshot["nodes"][0]["labels"] = ["Entity", value]
    else:
        snapshot["relationships"][0]["type"] = value
    with pytest.raises(InvalidInput):
        to_cypher(snapshot)
