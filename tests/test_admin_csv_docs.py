"""docs/security.md lists every property whose neo4j-admin CSV cells graph.formats.export guards
(a leading `'` before a formula trigger), so that an operator who imports with neo4j-admin
knows every property the clean-up may have to touch. The list is computed here from the
model and the exporter itself, so the two cannot drift apart."""

from __future__ import annotations

import re
from typing import Any

from graph.core.settings import REPO_ROOT
from graph.formats.export import to_admin_csv
from graph.model.schema import Model, PropertySpec

DOC = REPO_ROOT / "docs" / "security.md"
# The README.txt statement of one guarded property: `MATCH (n) WHERE n.name =~ ...` or
# `MATCH ()-[r]->() WHERE any(x IN r.quotes ...`.
_STATEMENT = re.compile(r"^  MATCH (\(n\)|\(\)-\[r\]->\(\)) WHERE (?:any\(x IN )?[nr]\.(\w+)", re.M)


def _trigger_values(specs: dict[str, PropertySpec]) -> dict[str, Any]:
    """A value of each property's type, every text one starting with a formula trigger, as
    a snapshot carries it (a partial date as text, with the loader's derived keys)."""
    props: dict[str, Any] = {}
    for name, spec in specs.items():
        if spec.type in ("string", "text"):
            props[name] = "=x"
        elif spec.type == "list[string]":
            props[name] = ["=x", "y"]
        elif spec.type == "date":
            props[name] = "=2024"
            props[f"{name}_precision"] = "=year"
            props[f"{name}_day"] = "2024-01-02"  # a full day: a date column, never text
        elif spec.type == "integer":
            props[name] = -1
        elif spec.type == "float":
            props[name] = -0.5
        else:
            assert spec.type == "boolean", spec.type
            props[name] = True
    return props


def guarded_by_the_exporter(model: Model) -> tuple[list[str], list[str]]:
    """(node properties, relationship properties) whose cells to_admin_csv quotes, when
    every model property holds a value that needs it."""
    nodes = [
        {
            "id": f"=node-{index}",
            "labels": model.labels_of(label),
            "properties": {
                **_trigger_values({**model.node_properties(label), **model.provenance}),
                "id": f"=node-{index}",
            },
        }
        for index, label in enumerate(model.node_labels)
    ]
    relationships = [
        {
            "id": f"=rel-{index}",
            "type": rel_type,
            "from_id": nodes[0]["id"],
            "to_id": nodes[-1]["id"],
            "properties": {
                **_trigger_values({**model.relationship_properties(rel_type), **model.provenance}),
                "id": f"=rel-{index}",
            },
        }
        for index, rel_type in enumerate(model.relationship_types)
    ]
    readme = to_admin_csv({"id": "all", "nodes": nodes, "relationships": relationships})[
        "README.txt"
    ]
    found: dict[str, set[str]] = {"(n)": set(), "()-[r]->()": set()}
    for match, key in _STATEMENT.findall(readme):
        found[match].add(key)
    return sorted(found["(n)"]), sorted(found["()-[r]->()"])


def documented() -> tuple[list[str], list[str]]:
    text = DOC.read_text(encoding="utf-8")
    lists = {}
    for kind in ("nodes", "relationships"):
        line = re.search(rf"^- guarded {kind}: (.*)$", text, re.M)
        assert line is not None, f"docs/security.md lacks its '- guarded {kind}:' line"
        lists[kind] = re.findall(r"`(\w+)`", line.group(1))
    return lists["nodes"], lists["relationships"]


def test_the_documented_clean_up_names_every_property_the_export_guards(model: Model) -> None:
    node_keys, rel_keys = guarded_by_the_exporter(model)
    assert "id" in node_keys and "quote" in rel_keys  # the computation itself works
    assert documented() == (node_keys, rel_keys)
