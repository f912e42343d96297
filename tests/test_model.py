"""The model file: validated on load, and the source of the generated schema and queries."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graph.core.errors import ModelError
from graph.core.settings import REPO_ROOT
from graph.db.codegen import generated_files
from graph.model.schema import MODEL_PATH, Model, check_value, load_model, parse_partial_date


def test_generated_files_match_the_model(model: Model) -> None:
    stale = [
        str(path.relative_to(REPO_ROOT))
        for path, text in generated_files(model, REPO_ROOT).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run `crimegraph model render`; out of date: {stale}"


def test_labels_follow_inheritance(model: Model) -> None:
    assert model.labels_of("CriminalNetwork") == ["Entity", "Organization", "CriminalNetwork"]
    assert model.labels_of("Attack") == ["Entity", "Event", "Attack"]
    assert "Entity" not in model.node_labels  # abstract
    assert model.endpoint_allowed("ATTRIBUTED_TO", "Attack", "CriminalNetwork")
    assert not model.endpoint_allowed("ATTRIBUTED_TO", "Facility", "CriminalNetwork")
    assert model.endpoint_allowed("MENTIONS", "Document", "Operation")


def test_followthemoney_names_where_they_fit(model: Model) -> None:
    ftm = {name: node.ftm for name, node in model.spec.nodes.items()}
    assert ftm["Person"] == "Person" and ftm["Company"] == "Company" and ftm["Event"] == "Event"
    assert model.spec.relationships["MEMBERSHIP"].ftm == "Membership"


def _broken_model(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load(MODEL_PATH.read_text(encoding="utf-8"))
    for dotted, value in change.items():
        target = data
        *parents, last = dotted.split(".")
        for part in parents:
            target = target[part]
        target[last] = value
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"nodes.Person.properties.position.type": "strnig"},
            "nodes.Person.properties.position.type",
        ),
        ({"nodes.Person.extends": "Human"}, "nodes.Person.extends"),
        ({"relationships.MEMBERSHIP.to": ["Club"]}, "relationships.MEMBERSHIP.to"),
        ({"relationships.MEMBERSHIP.colour": "red"}, "relationships.MEMBERSHIP.colour"),
        ({"nodes.Person.properties.quote": {"type": "string"}}, "nodes.Person.properties.quote"),
        (
            {"nodes.Organization.extends": "CriminalNetwork"},
            "Organization -> CriminalNetwork -> Organization",
        ),
    ],
)
def test_a_bad_model_file_names_file_and_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    path = _broken_model(tmp_path, change)
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert str(path) in caught.value.message
    assert field in caught.value.message


def test_partial_dates_keep_their_precision() -> None:
    assert parse_partial_date("2024").precision == "year"
    assert parse_partial_date("2024-04").precision == "month"
    day = parse_partial_date("2024-04-12")
    assert day.precision == "day" and day.day is not None and day.day.isoformat() == "2024-04-12"
    assert parse_partial_date("2024-04").day is None  # a month is never presented as a day
    for bad in ("April 2024", "2024-13", "2024-02-30", "24"):
        with pytest.raises(ValueError):
            parse_partial_date(bad)


def test_values_are_checked_against_their_spec(model: Model) -> None:
    confidence = model.provenance["confidence"]
    assert check_value(confidence, 70) == 70
    for bad in (101, -1, "70", True):
        with pytest.raises(ValueError):
            check_value(confidence, bad)
    with pytest.raises(ValueError, match="one of"):
        check_value(model.provenance["reliability"], "G")
