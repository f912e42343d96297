"""The seed dataset and its loader: provenance on everything, idempotent, all-or-nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from graph.core.errors import SeedDataError
from graph.core.settings import REPO_ROOT, Settings
from graph.core.text import collapse_whitespace
from graph.db.store import Store
from graph.model.schema import Model
from seed.loader import build_rows, load_seed
from tests.conftest import totals

SEED = REPO_ROOT / "seed"
SHARED_SEEDS = REPO_ROOT.parent / "shared" / "seeds"


def entity(store: Store, name: str, label: str = "Entity") -> dict[str, object]:
    """The one node with this label whose name or alias is `name`."""
    rows = [
        r
        for r in store.run("canonical_dump")
        if r["kind"] == "node"
        and label in r["labels"]
        and name in [r["properties"]["name"], *r["properties"].get("aliases", [])]
    ]
    assert len(rows) == 1, f"expected one {label} named {name!r}, found {len(rows)}"
    return rows[0]


def links(store: Store, node_id: object) -> list[dict[str, object]]:
    return store.run("entity_links", {"id": node_id, "limit": 500})


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="no shared/seeds beside the repository")
def test_the_seed_documents_are_the_shared_ones() -> None:
    for path in SHARED_SEEDS.glob("*.txt"):
        assert (SEED / "documents" / path.name).read_bytes() == path.read_bytes()


def test_every_node_and_relationship_cites_a_document_and_a_quote(seeded_store: Store) -> None:
    dump = seeded_store.run("canonical_dump")
    documents = {r["id"]: r["properties"]["text"] for r in dump if "Document" in r["labels"]}
    assert len(documents) == 2
    for row in dump:
        props = row["properties"]
        assert props.get("source_ids"), f"{row['kind']} {row['id']} has no source_ids"
        assert props.get("quote"), f"{row['kind']} {row['id']} has no quote"
        assert set(props["source_ids"]) <= set(documents), f"{row['id']} cites an unknown document"
        for quote in props["quotes"]:
            assert any(quote in collapse_whitespace(text) for text in documents.values()), quote
        assert 0 <= props["confidence"] <= 100
        assert props["reliability"] in "ABCDEF" and 1 <= props["credibility"] <= 6


def test_seeding_twice_changes_nothing(
    seeded_store: Store, model: Model, settings: Settings
) -> None:
    first = seeded_store.run("canonical_dump")
    load_seed(seeded_store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
    assert seeded_store.run("canonical_dump") == first


def test_the_seed_holds_the_facts_of_both_documents(seeded_store: Store) -> None:
    amra = entity(seeded_store, "Mohamed Amra")
    assert "The Fly" in amra["properties"]["aliases"]
    assert "convicted drug trafficker" in amra["properties"]["status"]
    amra_links = {(link["type"], link["other_name"]) for link in links(seeded_store, amra["id"])}
    assert any(t == "INVOLVED" for t, _ in amra_links)

    for prison, day in [
        ("Fresnes", "2024-04-12"),
        ("Vendin-le-Vieil", "2024-04-15"),
        ("La Santé", "2024-04-17"),
        ("Rouen", "2024-04-19"),
    ]:
        facility = entity(seeded_store, prison, "Facility")
        attacks = [
            link
            for link in links(seeded_store, facility["id"])
            if link["type"] in ("OCCURRED_AT", "TARGETED") and "Attack" in link["other_labels"]
        ]
        assert attacks, f"no attack linked to {prison}"
        attack = seeded_store.run("entity_by_id", {"id": attacks[0]["other_id"]})[0]["properties"]
        assert (attack["date"], attack["date_precision"], attack["date_day"]) == (day, "day", day)

    operation = entity(seeded_store, "Prison Break", "Operation")
    assert operation["properties"]["facilities_searched"] == 66
    oportik = entity(seeded_store, "Oportik")
    assert "RESOLD" in {link["type"] for link in links(seeded_store, oportik["id"])}
    quantities = {
        r["properties"].get("quantity")
        for r in seeded_store.run("canonical_dump")
        if "Seizure" in r["labels"]
    }
    assert {53000, 40000} <= quantities


def test_relative_dates_are_kept_in_words_not_guessed(seeded_store: Store) -> None:
    escape = [r for r in seeded_store.run("canonical_dump") if "Escape" in r["labels"]]
    assert len(escape) == 1
    props = escape[0]["properties"]
    assert props["date_text"] == "May last year" and "date" not in props


def corrupt_copy(tmp_path: Path, file_name: str, edit: object) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(SEED / "data", data_dir)
    path = data_dir / file_name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return data_dir


def test_a_corrupted_file_is_rejected_naming_file_row_and_field(
    seeded_store: Store,
    model: Model,
    tmp_path: Path,
) -> None:
    before = seeded_store.run("canonical_dump")

    def break_third_relationship(data: dict[str, list[dict[str, object]]]) -> None:
        data["relationships"][2]["sources"][0]["quote"] = "A sentence no document contains."
        data["relationships"][0]["properties"] = {"colour": "red"}

    data_dir = corrupt_copy(tmp_path, "relationships.yaml", break_third_relationship)
    with pytest.raises(SeedDataError) as caught:
        load_seed(seeded_store, model, data_dir, SEED / "documents")
    message = caught.value.message
    assert "relationships.yaml: row 3" in message and "sources[1].quote" in message
    assert "relationships.yaml: row 1" in message and "properties.colour" in message
    assert seeded_store.run("canonical_dump") == before


@pytest.mark.parametrize(
    ("file_name", "edit", "expected"),
    [
        ("people.yaml", lambda d: d["entities"][0].update(label="Alien"), "label"),
        (
            "people.yaml",
            lambda d: d["entities"][0].setdefault("properties", {}).update(shoe_size=42),
            "properties.shoe_size: not a property of Person",
        ),
        ("people.yaml", lambda d: d["entities"][0].update(grading="Z9"), "grading"),
        ("people.yaml", lambda d: d["entities"][0].update(confidence=300), "confidence"),
        (
            "people.yaml",
            lambda d: d["entities"][1].update(key=d["entities"][0]["key"]),
            "duplicate key",
        ),
        (
            "events.yaml",
            lambda d: d["entities"][0].setdefault("properties", {}).update(date="12/04/2024"),
            "date",
        ),
        (
            "relationships.yaml",
            lambda d: d["relationships"][0].update(to="no-such-entity"),
            "unknown entity key",
        ),
        ("relationships.yaml", lambda d: d["relationships"][0].update(sources=[]), "sources"),
    ],
)
def test_each_kind_of_bad_record_is_refused(
    model: Model,
    tmp_path: Path,
    file_name: str,
    edit: object,
    expected: str,
) -> None:
    data_dir = corrupt_copy(tmp_path, file_name, edit)
    with pytest.raises(SeedDataError) as caught:
        build_rows(model, data_dir, SEED / "documents")
    assert f"{file_name}: row" in caught.value.message and expected in caught.value.message


def test_an_invalid_yaml_file_is_refused_with_its_line(model: Model, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(SEED / "data", data_dir)
    (data_dir / "people.yaml").write_text(
        "entities:\n  - key: x\n    name: [unclosed\n", encoding="utf-8"
    )
    with pytest.raises(SeedDataError, match=r"people\.yaml.*line \d+.*not valid YAML"):
        build_rows(model, data_dir, SEED / "documents")


def test_the_seed_command_prints_totals_and_leaves_counts_unchanged_on_rerun(
    engine: object,
    settings: Settings,
    store: Store,
    model: Model,
) -> None:
    env = {"CRIMEGRAPH_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"}
    if settings.neo4j_uri:
        pytest.skip("the CLI test drives the embedded engine's data dir")
    outputs = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "graph.cli.main", "seed"],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            check=True,
        )
        outputs.append(result.stdout)
    nodes, relationships = totals(store)
    loaded, total = outputs[0].splitlines()
    assert outputs[0] == outputs[1]
    assert total == f"database totals: {nodes} nodes, {relationships} relationships"
    rows = build_rows(model, SEED / "data", SEED / "documents")
    assert loaded == f"loaded: {len(rows.nodes)} nodes, {len(rows.relationships)} relationships"
    assert nodes > 50 and relationships > 100
