"""The synthetic dataset generator: the same size and seed give the same bytes, the output
imports cleanly into crimegraph, every claim quotes a sentence of the document it cites, and
the structure the benchmarks rely on is there (hub leaders, super-connected prisons, an
isolated cell, incidents in time)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from itertools import islice, pairwise
from pathlib import Path

import networkx as nx
import pytest

from graph.cli.main import main
from graph.core.errors import NotFound
from graph.db.store import Store
from graph.growth.imports import ImportResult, ImportSource, read_import, run_import
from graph.investigate.links import (
    Connection,
    LinkFilter,
    neighbourhood,
    network_facility_connections,
    shortest_paths,
)
from graph.model.schema import Model
from graph.synth.generate import SIZES, generate
from tests.conftest import totals


def digest(path: Path) -> dict[str, str]:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def rows(directory: Path, name: str) -> list[dict[str, str]]:
    path = directory / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def link_graph(directory: Path, model: Model) -> tuple[tuple[str, ...], nx.MultiGraph[str]]:
    """The types the default filter follows (all but MENTIONS) and the generated links of
    those types, keyed by link id, for networkx to check the traversals against."""
    types = tuple(t for t in model.relationship_types if t != "MENTIONS")
    links: nx.MultiGraph[str] = nx.MultiGraph()
    for name in types:
        for row in rows(directory, name):
            links.add_edge(row["from"], row["to"], key=row["id"])
    return types, links


@pytest.fixture(scope="module")
def xs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("generated") / "xs"
    generate("XS", 7, output)
    return output


def test_same_size_and_seed_write_the_same_bytes(xs: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate("XS", 7, again)
    assert digest(again) == digest(xs)
    other = tmp_path / "other"
    generate("XS", 8, other)
    assert digest(other) != digest(xs)
    first, second = tmp_path / "a.ftm.jsonl", tmp_path / "b.ftm.jsonl"
    generate("XS", 7, first, "ftm")
    generate("XS", 7, second, "ftm")
    assert first.read_bytes() == second.read_bytes()


def test_counts_come_near_the_size_targets(xs: Path) -> None:
    manifest = json.loads((xs / "manifest.json").read_text())
    nodes, rels = SIZES["XS"]
    assert abs(manifest["nodes"] - nodes) <= nodes * 0.05
    assert abs(manifest["relationships"] - rels) <= rels * 0.02
    # Larger sizes keep their proportions without writing anything (a dry run).
    small = generate("S", 1, None)
    assert abs(sum(small.nodes.values()) - 10_000) <= 500
    assert abs(sum(small.relationships.values()) - 50_000) <= 1_000
    assert small.nodes["Person"] > 0.7 * 10_000
    assert small.nodes["Document"] >= 400


@pytest.fixture(scope="module")
def imported(xs: Path, session_store: Store, model: Model) -> tuple[Store, ImportResult]:
    """The XS dataset imported once for this module's read-only tests."""
    session_store.run("clear_graph")
    return session_store, run_import(session_store, model, ImportSource.from_path(xs))


def test_the_output_imports_cleanly(xs: Path, imported: tuple[Store, ImportResult]) -> None:
    store, result = imported
    manifest = json.loads((xs / "manifest.json").read_text())
    assert result.created
    assert result.dataset["nodes"] == manifest["nodes"]
    assert result.dataset["relationships"] == manifest["relationships"]
    assert totals(store) == (manifest["nodes"], manifest["relationships"])
    # The probes name entities that are there, of the expected kinds.
    probes = manifest["probes"]
    found = {
        row["id"]: row["labels"]
        for row in store.run(
            "entities_by_ids",
            {"ids": [probes["hub_leader"], probes["big_network"], *probes["super_prisons"]]},
        )
    }
    assert "Person" in found[probes["hub_leader"]]
    assert "CriminalNetwork" in found[probes["big_network"]]
    assert all("Facility" in found[f] for f in probes["super_prisons"])


@pytest.mark.parametrize("fmt", ["ftm", "admin"])
def test_other_formats_read_as_the_same_records(tmp_path: Path, model: Model, fmt: str) -> None:
    """FtM JSON lines, and the neo4j-admin layout (how L goes into Neo4j), hold the same
    records as the CSV files, without a problem."""
    path = tmp_path / ("xs.ftm.jsonl" if fmt == "ftm" else "xs-admin")
    manifest = generate("XS", 7, path, fmt).manifest()
    parsed = read_import(path, model)
    assert not parsed.problems
    assert Counter(n.label for n in parsed.nodes) == Counter(manifest["labels"])
    assert Counter(r.type for r in parsed.relationships) == Counter(manifest["types"])


def test_every_claim_quotes_a_sentence_of_the_document_it_cites(xs: Path, model: Model) -> None:
    texts = {row["id"]: row["text"] for row in rows(xs, "Document")}
    checked = 0
    for name in [*model.node_labels, *model.relationship_types]:
        for row in rows(xs, name):
            assert row["quote"], (name, row["id"])
            for source in row["source_ids"].split("|"):
                assert row["quote"] in texts[source], (name, row["id"], source)
            checked += 1
    assert checked > 2900


def test_structure_hubs_super_prisons_isolated_cells_and_time(xs: Path) -> None:
    manifest = json.loads((xs / "manifest.json").read_text())
    probes = manifest["probes"]
    associates = rows(xs, "ASSOCIATE")
    degree = Counter(r[side] for r in associates for side in ("from", "to"))
    # The leader of the largest network is among its most connected people.
    assert degree[probes["hub_leader"]] >= sorted(degree.values())[-10]
    # Super-connected prisons hold a large share of the detainees.
    detained = Counter(r["to"] for r in rows(xs, "DETAINED_AT"))
    facilities = rows(xs, "Facility")
    share = sum(detained[f] for f in probes["super_prisons"]) / sum(detained.values())
    assert share > 3 * len(probes["super_prisons"]) / len(facilities)
    # Members of an isolated cell link to nothing outside it.
    cell = {r["from"] for r in rows(xs, "MEMBERSHIP") if r["to"] == probes["isolated_network"]}
    assert probes["isolated_member"] in cell
    inside = cell | {probes["isolated_network"]}
    for name in manifest["types"]:
        if name == "MENTIONS":
            continue
        for row in rows(xs, name):
            if row["from"] in inside or row["to"] in inside:
                assert row["from"] in inside and row["to"] in inside, (name, row)
    # Attacks cluster in time: waves put several attacks within a week of each other.
    waves = Counter(r["to"] for r in rows(xs, "PART_OF") if r["to"].startswith("attack-"))
    assert waves and max(waves.values()) >= 2
    dates = {r["id"]: r["date"] for r in rows(xs, "Attack")}
    for wave, _ in waves.most_common(1):
        days = sorted(
            dates[r["from"]] for r in rows(xs, "PART_OF") if r["to"] == wave and r["from"] in dates
        )
        assert days[0][:4] == days[-1][:4]


def test_cli_generates_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "cli.ftm.jsonl"
    code = main(
        ["generate", "--size", "XS", "--seed", "3", "--output", str(output), "--format", "ftm"]
    )
    assert code == 0
    assert output.exists() and output.with_name("cli.ftm.jsonl.manifest.json").exists()
    assert "generated" in capsys.readouterr().out
    assert main(["generate", "--size", "XS"]) == 2  # neither --output nor --dry-run


def test_a_neighbourhood_is_complete_unless_it_says_it_was_cut(
    xs: Path, imported: tuple[Store, ImportResult], model: Model
) -> None:
    """`truncated` tells the truth: for every cap around the true size of the hub's 2-hop
    neighbourhood (whose level-1 entities link to each other, so those links come back from
    both ends), an answer not marked truncated is the whole neighbourhood networkx finds,
    and a truncated one holds exactly `limit` of its links."""
    store, _ = imported
    types, links = link_graph(xs, model)
    hub = json.loads((xs / "manifest.json").read_text())["probes"]["hub_leader"]
    inner = {hub, *links.neighbors(hub)}  # the entities whose links a depth of 2 follows
    expected = {key for _, _, key in links.edges(inner, keys=True)}
    same_level = [k for a, b, k in links.edges(inner - {hub}, keys=True) if {a, b} <= inner - {hub}]
    assert same_level, "the hub's neighbours must link to each other for this test"
    flt = LinkFilter.build(types)
    for limit in sorted(
        {1, len(expected) // 2, len(expected) - 1, len(expected), len(expected) + 1}
    ):
        sub = neighbourhood(store, hub, 2, flt, limit)
        got = {link.id for link in sub.links}
        assert got <= expected
        if limit < len(expected):
            assert sub.truncated and len(got) == limit, (limit, len(got), len(expected))
        else:
            assert not sub.truncated and got == expected, (limit, len(got), len(expected))


def test_shortest_paths_at_scale_are_all_the_shortest(
    xs: Path, imported: tuple[Store, ImportResult], model: Model
) -> None:
    """The search from both ends finds the paths networkx finds, over the links the default
    filter follows (all but MENTIONS, either direction), and none where there is none."""
    store, _ = imported
    types, links = link_graph(xs, model)
    simple = nx.Graph(links)
    probes = json.loads((xs / "manifest.json").read_text())["probes"]
    members = probes["members"]
    pairs = [(probes["hub_leader"], m) for m in members[:3]]
    pairs += list(zip(members[:4], members[4:8], strict=True))
    pairs.append((members[0], probes["isolated_member"]))
    flt = LinkFilter.build(types)
    checked = 0
    for a, b in pairs:
        if a == b:
            continue
        try:
            length = nx.shortest_path_length(simple, a, b)
        except nx.NetworkXNoPath:
            length = None
        if length is None or length > 6:
            with pytest.raises(NotFound):
                shortest_paths(store, a, b, 6, flt)
            continue
        found = shortest_paths(store, a, b, 6, flt)
        expected = 0
        for nodes in islice(nx.all_shortest_paths(simple, a, b), 100):
            ways = 1
            for x, y in pairwise(nodes):
                ways *= links.number_of_edges(x, y)
            expected += ways
        assert len(found) == min(10, expected), (a, b)
        for path in found:
            assert path.length == length
            assert path.nodes[0].id == a and path.nodes[-1].id == b
            for (x, y), link in zip(pairwise(path.nodes), path.links, strict=True):
                assert {link.from_id, link.to_id} == {x.id, y.id}
        checked += 1
    assert checked >= 3


def test_connections_searched_from_one_end_match_every_path_of_the_general_query(
    imported: tuple[Store, ImportResult], model: Model
) -> None:
    """The anchored queries aggregate in the engine (one row per kind: shortest path, path
    count, sources); the general one returns every path. Same connections either way."""
    store, _ = imported
    flt = LinkFilter.build(tuple(t for t in model.relationship_types if t != "MENTIONS"))

    def summary(connections: list[Connection]) -> dict[tuple[str, str], object]:
        return {
            (c.network.id, c.facility.id): (
                c.evidence_paths,
                sorted(c.source_ids),
                {kind: [link.id for link in p.links] for kind, p in c.paths_by_kind.items()},
            )
            for c in connections
        }

    everything = summary(network_facility_connections(store, flt))
    networks = sorted({n for n, _ in everything})
    facilities = sorted({f for _, f in everything})
    assert len(networks) >= 3 and len(facilities) >= 3
    for network in networks:
        mine = {k: v for k, v in everything.items() if k[0] == network}
        assert summary(network_facility_connections(store, flt, network_id=network)) == mine
    for facility in facilities:
        theirs = {k: v for k, v in everything.items() if k[1] == facility}
        assert summary(network_facility_connections(store, flt, facility_id=facility)) == theirs
    assert any(paths > 1 for paths, _, _ in everything.values())  # aggregation was needed
