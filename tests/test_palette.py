"""One palette for the briefing pictures, /explore and the Neo4j Browser (graph/briefing/palette.py).

The issue (15) found Arrest, Operation, PublicBody and Seizure sharing one colour in
cypher/browser/style.grass (the Browser draws every node as a circle, so they could not be
told apart there), no `relationship.TYPE` rules, and /explore's legend drawing shapes the
graph did not.
"""

from __future__ import annotations

import itertools
import re

import pytest
from colorspacious import cspace_convert, deltaE

from graph.briefing.palette import STYLES
from graph.core.settings import REPO_ROOT
from graph.db.codegen import render_grass
from graph.model.schema import Model

GRASS = REPO_ROOT / "cypher" / "browser" / "style.grass"
# CAM02-UCS distance every two labels keep, for normal vision and simulated dichromats.
MIN_DISTANCE = 9.0
VISION = {
    "normal vision": None,
    "deuteranopia": {"name": "sRGB1+CVD", "cvd_type": "deuteranomaly", "severity": 100},
    "protanopia": {"name": "sRGB1+CVD", "cvd_type": "protanomaly", "severity": 100},
}


def rgb(fill: str) -> list[float]:
    return [int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5)]


def grass_rules(text: str) -> dict[str, dict[str, str]]:
    rules = {}
    for selector, body in re.findall(r"^([\w.]+) \{\n(.*?)\n\}", text, flags=re.M | re.S):
        rules[selector] = dict(
            re.match(r"\s*([\w-]+): (.*);", line).groups()  # type: ignore[union-attr]
            for line in body.splitlines()
        )
    return rules


def test_every_label_of_the_model_has_a_style(model: Model) -> None:
    assert sorted(model.node_labels) == sorted(STYLES)


def test_every_label_has_its_own_colour() -> None:
    fills = [style.fill.upper() for style in STYLES.values()]
    assert len(set(fills)) == len(fills), sorted(f for f in fills if fills.count(f) > 1)


@pytest.mark.parametrize("vision", VISION)
def test_every_two_labels_stay_apart_for_colour_blind_readers(vision: str) -> None:
    space = VISION[vision]
    seen = {
        label: rgb(style.fill)
        if space is None
        else cspace_convert(rgb(style.fill), space, "sRGB1").clip(0, 1)
        for label, style in STYLES.items()
    }
    close = [
        (round(float(deltaE(seen[a], seen[b], input_space="sRGB1")), 1), a, b)
        for a, b in itertools.combinations(seen, 2)
        if deltaE(seen[a], seen[b], input_space="sRGB1") < MIN_DISTANCE
    ]
    assert not close, f"too alike under {vision}: {close}"


def test_the_committed_browser_style_is_the_generated_one(model: Model) -> None:
    assert GRASS.read_text(encoding="utf-8") == render_grass(model), "run `crimegraph model render`"


def test_the_browser_style_colours_each_label_and_captions_each_type(model: Model) -> None:
    rules = grass_rules(GRASS.read_text(encoding="utf-8"))
    colours = {}
    for label in model.node_labels:
        rule = rules[f"node.{label}"]
        assert rule["color"] == STYLES[label].fill and rule["caption"] == "'{name}'"
        colours[label] = rule["color"].upper()
    assert len(set(colours.values())) == len(colours), colours
    for rel_type in model.relationship_types:
        assert rules[f"relationship.{rel_type}"]["caption"] == "'<type>'", rel_type
