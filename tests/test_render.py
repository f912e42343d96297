"""graph.briefing.render: the pictures and the briefing, checked as a person would look at them.

The snapshots are frozen from the seeded graph, with `created` pinned, so every render can be
compared byte for byte and with the reference picture in tests/reference/. Renders and
Chromium screenshots are written to test-artifacts/ (gitignored) for a person to look at.

The reference picture changes when the seed data, the model's relationship types, the layout
or the fonts change. Look at the new render in test-artifacts/network.png, and if it is
right, update the reference with:

    CRIMEGRAPH_UPDATE_REFERENCE=1 .venv/bin/pytest tests/test_render.py -k reference
"""

from __future__ import annotations

import copy
import math
import os
import random
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from graph.briefing import layout as picture_layout
from graph.briefing import metrics, render, styles
from graph.core.errors import InvalidInput
from graph.formats.snapshot_json import FORMAT
from graph.investigate.links import LinkFilter
from graph.investigate.snapshot import freeze_neighbourhood
from graph.model.schema import Model
from tests import browser
from tests.images import png_pixels, png_size

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
REFERENCE = Path(__file__).with_name("reference") / "network.png"
CREATED = "2026-11-22T15:24:13Z"
SVG = "{http://www.w3.org/2000/svg}"
PRISONS = ["Fresnes prison", "Vendin-le-Vieil prison", "La Santé prison", "Rouen prison"]
VERMILLION = (0xD5, 0x5E, 0x00)  # the Attack and CriminalNetwork fill
TEXT = (0x1F, 0x23, 0x28)

Snapshot = dict[str, Any]
_FROZEN: dict[str, Snapshot] = {}


@pytest.fixture
def snapshots(request: pytest.FixtureRequest, model: Model) -> dict[str, Snapshot]:
    """The 2-hop snapshots of Mohamed Amra and of the organized crime networks, frozen once
    per session from the seeded graph (the seed is loaded only when first needed)."""
    if not _FROZEN:
        store = request.getfixturevalue("seeded_store")
        types = LinkFilter(tuple(t for t in model.relationship_types if t != "MENTIONS"))
        amra = store.run("search_entities", {"q": "amra", "label": "Person", "limit": 1})
        network = store.run(
            "search_entities",
            {"q": "organized crime networks", "label": "CriminalNetwork", "limit": 1},
        )
        for key, row, title in (
            ("amra", amra[0], "Mohamed Amra, 2 hops"),
            ("network", network[0], "Organized crime networks, 2 hops"),
        ):
            snapshot = freeze_neighbourhood(store, [row["id"]], 2, types, title=title)
            snapshot["created"] = CREATED  # the only date a render shows that is not data
            _FROZEN[key] = snapshot
    return copy.deepcopy(_FROZEN)


def synthetic(count: int, seed: int = 7) -> Snapshot:
    """A snapshot of `count` entities with long names, a random tree plus 30% more links."""
    rng = random.Random(seed)
    kinds = [
        ["Entity", "Person"],
        ["CriminalNetwork", "Entity", "Organization"],
        ["Attack", "Entity", "Event"],
        ["Entity", "Facility"],
        ["Entity", "Location"],
        ["Entity", "Method"],
    ]
    words = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
    ]
    nodes = [
        {
            "id": f"entity-{i:03d}",
            "labels": rng.choice(kinds),
            "properties": {
                "name": " ".join(rng.choice(words) for _ in range(rng.randint(1, 8))).title()
                + f" {i}",
                "source_ids": ["document-1"],
                "quote": "a quote",
                "confidence": 50,
                "reliability": "C",
                "credibility": 3,
            },
        }
        for i in range(count)
    ]
    rels = []
    for i in range(1, count):
        j = rng.randrange(i)
        rels.append(
            {
                "id": f"link-{i:04d}",
                "type": "TARGETED",
                "from_id": nodes[i]["id"],
                "to_id": nodes[j]["id"],
                "properties": {"source_ids": ["document-1"]},
            }
        )
    for k in range(count * 3 // 10):
        a, b = rng.sample(range(count), 2)
        rels.append(
            {
                "id": f"extra-{k:04d}",
                "type": "ATTRIBUTED_TO",
                "from_id": nodes[a]["id"],
                "to_id": nodes[b]["id"],
                "properties": {},
            }
        )
    return {
        "format": FORMAT,
        "id": "snapshot-synthetic0000",
        "title": f"Synthetic, {count} entities",
        "created": CREATED,
        "engine": "test",
        "duration_ms": 0,
        "query": {"kind": "named_query", "name": "synthetic", "params": {"count": count}},
        "nodes": nodes,
        "relationships": rels,
        "sources": [
            {
                "id": "document-1",
                "name": "Doc",
                "title": "A document",
                "publisher": "Test",
                "url": None,
                "published": None,
                "retrieved": "2026-11-22",
                "file_name": None,
                "content_sha256": "ab" * 32,
            }
        ],
        "content_hash": "0" * 64,
    }


def artifact(name: str, data: bytes | str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def near(colour: tuple[int, int, int], target: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


def assert_looks_like_a_picture(data: bytes, attacks: bool = True) -> Counter[tuple[int, int, int]]:
    """Not blank: many colours, a white page with some ink, text-coloured pixels (the fonts
    rendered) and, when the snapshot holds attacks, the vermillion of their markers."""
    width, _, pixels = png_pixels(data)
    colours = Counter(pixels)
    assert len(colours) > 200, f"only {len(colours)} colours: the picture looks blank"
    white = sum(n for c, n in colours.items() if min(c) >= 250)
    assert 0.4 < white / len(pixels) < 0.98, f"{white / len(pixels):.0%} white"
    ink = sum(n for c, n in colours.items() if near(c, TEXT, 24))
    assert ink > width * 3, f"only {ink} text-coloured pixels: is the text missing?"
    marks = sum(n for c, n in colours.items() if near(c, VERMILLION))
    assert marks > 500 or not attacks, f"only {marks} vermillion pixels: are the markers missing?"
    return colours


# --- SVG ----------------------------------------------------------------------------------


def visible_names(root: ET.Element) -> dict[str, str]:
    """Each node's name as drawn (its wrapped lines joined), by entity id."""
    names = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            lines = [span.text or "" for span in group.iter(f"{SVG}tspan")]
            names[group.get("data-id", "")] = " ".join(lines)
    return names


def test_renders_are_byte_identical(snapshots: dict[str, Snapshot]) -> None:
    for snapshot in snapshots.values():
        assert render.to_svg(snapshot) == render.to_svg(snapshot)
        assert render.to_html(snapshot) == render.to_html(snapshot)
        assert render.to_png(snapshot, scale=1) == render.to_png(snapshot, scale=1)
        shuffled = copy.deepcopy(snapshot)  # the order of the lists does not matter
        random.Random(1).shuffle(shuffled["nodes"])
        random.Random(2).shuffle(shuffled["relationships"])
        assert render.to_svg(shuffled) == render.to_svg(snapshot)


def test_svg_shows_names_legend_title_and_sources(snapshots: dict[str, Snapshot]) -> None:
    network = snapshots["network"]
    svg = render.to_svg(network)
    artifact("network.svg", svg)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert "DejaVu Sans" in root.get("font-family", "")

    names = visible_names(root)
    assert len(names) == len(network["nodes"])
    for prison in PRISONS:  # drawn in full, not truncated
        assert prison in names.values(), f"{prison} is not drawn"
    amra_names = visible_names(ET.fromstring(render.to_svg(snapshots["amra"])))
    assert "Mohamed Amra" in amra_names.values()
    for group in root.iter(f"{SVG}g"):  # every node's full name is in its tooltip
        if group.get("class") == "node":
            tooltip = group.find(f"{SVG}title")
            assert tooltip is not None and tooltip.text
            node = next(n for n in network["nodes"] if n["id"] == group.get("data-id"))
            assert tooltip.text.startswith(node["properties"]["name"])

    legend = {g.get("data-label") for g in root.iter(f"{SVG}g") if g.get("class") == "legend-entry"}
    drawn = {styles.style_label(n["labels"]) for n in network["nodes"]}
    assert legend == drawn
    assert drawn >= {"Attack", "CriminalNetwork", "Facility", "Location", "Measure", "Method"}
    legend_text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Facility (5)" in legend_text and "Criminal network (1)" in legend_text

    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Organized crime networks, 2 hops"
    header = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "header")
    assert "Organized crime networks, 2 hops" in "".join(header.itertext())

    notes = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "footnotes")
    footnotes = " ".join(t.text or "" for t in notes.iter(f"{SVG}text"))
    assert network["id"] in footnotes
    assert network["content_hash"][:16] in footnotes
    assert "created 22 November 2026, 15:24 UTC" in footnotes
    assert "Africa-Press \u2013 Lesotho" in footnotes
    assert "retrieved 22 November 2026" in footnotes
    for number, source in enumerate(network["sources"], start=1):
        assert f"[{number}] \u201c{source['title'][:40]}" in footnotes

    edge_labels = {e.text for e in picture_layout.layout(network).edges}
    assert "attributed to" in edge_labels and "occurred at \u00b7 targeted" in edge_labels
    assert len(list(root.iter(f"{SVG}polygon"))) >= len(
        picture_layout.layout(network).edges
    )  # arrows


def test_text_is_escaped_and_the_svg_parses() -> None:
    snapshot = synthetic(3)
    nasty = "<script>alert(\"x\")</script> & 'Ops' \x07 \u00e9t\u00e9"
    snapshot["nodes"][0]["properties"]["name"] = nasty
    snapshot["title"] = "Ops <b>&</b>"
    svg = render.to_svg(snapshot)
    page = render.to_html(snapshot)
    assert "<script" not in svg and "<script" not in page and "<b>" not in page
    root = ET.fromstring(svg)
    tooltips = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert any(
        t.startswith("<script>alert(\"x\")</script> & 'Ops' \ufffd \u00e9t\u00e9") for t in tooltips
    )
    assert root.find(f"{SVG}title").text == "Ops <b>&</b>"  # type: ignore[union-attr]


def test_attribute_values_are_escaped() -> None:
    """Ids, types and labels land in attributes: a quote in them must not end the attribute."""
    snapshot = synthetic(3)
    hostile = 'x" onmouseover="alert(1)'
    old_id = snapshot["nodes"][0]["id"]
    snapshot["nodes"][0]["id"] = hostile
    for rel in snapshot["relationships"]:
        rel["type"] = 'PART_OF" onclick="alert(2)'
        for end in ("from_id", "to_id"):
            rel[end] = hostile if rel[end] == old_id else rel[end]
    root = ET.fromstring(render.to_svg(snapshot))
    ids = {g.get("data-id") for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    assert hostile in ids
    assert all(not any(a.startswith("on") for a in e.attrib) for e in root.iter())
    attributes: list[tuple[str, str | None]] = []

    class Attributes(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            attributes.extend(attrs)

    Attributes().feed(render.to_html(snapshot))
    assert ("title", 'PART_OF" onclick="alert(2)') in attributes
    assert ("data-id", hostile) in attributes
    assert not [name for name, _ in attributes if name.startswith("on")]


def test_the_templates_ship_as_package_data() -> None:
    """An installed crimegraph draws from graph/briefing/templates: the wheel's package data must
    hold every template file (setuptools matches these globs against paths under graph/briefing/)."""
    import fnmatch
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["graph.briefing"]
    package = REPO / "graph" / "briefing"
    templates = sorted((package / "templates").iterdir())
    assert {t.name for t in templates} >= {"picture.svg.j2", "briefing.html.j2"}
    for template in templates:
        relative = template.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, g) for g in globs), f"{relative} is not shipped"


def assert_no_overlap(layout: picture_layout.Layout) -> None:
    boxes = [(n.name, n.box) for n in layout.nodes]
    for i, (name_a, a) in enumerate(boxes):
        for name_b, b in boxes[i + 1 :]:
            assert not a.overlaps(b), f"the labels of {name_a!r} and {name_b!r} overlap"
    for n in layout.nodes:  # each box holds the node's marker and its name
        assert n.box.x0 < n.x < n.box.x1 and n.box.y0 < n.y < n.box.y1
        for line in n.lines:
            assert metrics.text_width(line, picture_layout.NODE_FONT, n.seed) <= n.box.x1 - n.box.x0
        assert n.box.x0 >= 0 and n.box.x1 <= layout.width + 0.01
        assert n.box.y0 >= 0 and n.box.y1 <= layout.height + 0.01


def test_links_both_ways_bend_apart() -> None:
    snapshot = synthetic(4)
    first = snapshot["relationships"][0]
    snapshot["relationships"].append(
        {"id": "zz-back", "type": "PART_OF", "from_id": first["to_id"], "to_id": first["from_id"],
         "properties": {}}
    )  # fmt: skip
    edges = {(e.from_id, e.to_id): e for e in picture_layout.layout(snapshot).edges}
    there = edges[(first["from_id"], first["to_id"])]
    back = edges[(first["to_id"], first["from_id"])]
    assert there.control is not None and back.control is not None
    assert math.dist(there.control, back.control) > 40  # one bends each way
    assert not there.label_box.overlaps(back.label_box)


def test_no_two_node_labels_overlap(snapshots: dict[str, Snapshot]) -> None:
    for snapshot in snapshots.values():
        assert_no_overlap(picture_layout.layout(snapshot))


def test_no_overlap_at_the_cap_and_refusal_beyond_it() -> None:
    at_cap = synthetic(picture_layout.MAX_PICTURE_NODES)
    assert_no_overlap(picture_layout.layout(at_cap))
    too_many = synthetic(picture_layout.MAX_PICTURE_NODES + 1)
    for draw in (render.to_svg, render.to_png, picture_layout.layout):
        with pytest.raises(InvalidInput, match="151 entities; a picture shows at most 150"):
            draw(too_many)
    page = render.to_html(too_many)  # the briefing still lists everything, without a picture
    assert "<svg" not in page and "No picture: 151 entities" in page
    assert escape(too_many["nodes"][0]["properties"]["name"]) in page


def test_wrap_measures_dejavu_widths() -> None:
    import resvg_py

    for text, bold in (
        ("Fresnes prison", False),
        ("Vendin-le-Vieil prison", True),
        ("WAVE 66 %", False),
    ):
        estimate = metrics.text_width(text, 20, bold)
        weight = ' font-weight="bold"' if bold else ""
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40">'
            f'<text x="10" y="30" font-size="20" font-family="DejaVu Sans"{weight}>{text}</text></svg>'
        )
        fonts = render.dejavu_fonts()
        png = resvg_py.svg_to_bytes(
            svg_string=svg,
            background="#ffffff",
            skip_system_fonts=bool(fonts),
            font_files=fonts or None,
        )
        width, _, pixels = png_pixels(bytes(png))
        inked = [i % width for i, c in enumerate(pixels) if max(c) < 160]
        drawn = max(inked) - min(inked)
        assert 0.85 * estimate <= drawn <= estimate, (
            f"{text!r}: drawn {drawn}px, estimated {estimate:.1f}px"
        )
    assert metrics.text_width("WWW", 12, bold=True) > metrics.text_width("WWW", 12)
    lines = metrics.wrap(
        "Use of improvised weapons and external support teams to breach the perimeter",
        150,
        12,
        max_lines=3,
    )
    assert len(lines) == 3 and lines[-1].endswith("\u2026")
    assert all(metrics.text_width(line, 12) <= 150 for line in lines)


def test_the_width_table_is_dejavu_sans() -> None:
    """render keeps DejaVu Sans's advance widths as a table, so a layout needs no font file;
    the table must be the font's, as Pillow (FreeType) reads it from the installed files."""
    from PIL import ImageFont

    fonts = render.dejavu_fonts()
    if not fonts:
        pytest.skip("DejaVu Sans is not installed (Debian: fonts-dejavu-core)")
    chars = [chr(code) for code in range(32, 127)] + list(metrics._PUNCTUATION)
    for path, bold in zip(fonts, (False, True), strict=True):
        # at 2048 px, one px is one font unit: the advances come out exact
        font = ImageFont.truetype(path, 2048, layout_engine=ImageFont.Layout.BASIC)
        wrong = {c: (font.getlength(c), metrics._advance(c, bold)) for c in chars}
        wrong = {c: pair for c, pair in wrong.items() if pair[0] != pair[1]}
        assert not wrong, f"{path}: (font, table) advances differ: {wrong}"


def test_every_label_of_the_model_has_its_own_look(model: Model) -> None:
    for label in model.node_labels:
        assert label in styles.STYLES, f"{label} has no style in graph.briefing.styles.STYLES"
        assert label in render.READING_ORDER, (
            f"{label} is not in graph.briefing.render.READING_ORDER"
        )
    looks = [(s.shape, s.fill) for s in styles.STYLES.values()]
    assert len(set(looks)) == len(looks), "two labels are drawn alike"


# --- PNG ----------------------------------------------------------------------------------


def test_png_has_a_sensible_size_and_is_not_blank(snapshots: dict[str, Snapshot]) -> None:
    network = snapshots["network"]
    root = ET.fromstring(render.to_svg(network))
    svg_width, svg_height = float(root.get("width", 0)), float(root.get("height", 0))
    small = render.to_png(network, scale=1)
    large = render.to_png(network, scale=2)
    artifact("network.png", large)
    artifact("amra.png", render.to_png(snapshots["amra"]))
    assert png_size(small) == (round(svg_width), round(svg_height))
    assert png_size(large) == (round(svg_width * 2), round(svg_height * 2))
    width, height = png_size(small)
    assert 900 <= width <= 2000 and 500 <= height <= 2000
    assert_looks_like_a_picture(small)
    with pytest.raises(InvalidInput, match="scale"):
        render.to_png(network, scale=0)


def test_png_matches_the_reference(snapshots: dict[str, Snapshot]) -> None:
    fresh = render.to_png(snapshots["network"], scale=1)
    artifact("network-scale1.png", fresh)
    if os.environ.get("CRIMEGRAPH_UPDATE_REFERENCE") == "1":
        REFERENCE.parent.mkdir(exist_ok=True)
        REFERENCE.write_bytes(fresh)
        pytest.skip(f"reference written to {REFERENCE}: look at it before committing")
    assert REFERENCE.exists(), (
        f"{REFERENCE} is missing; create it with CRIMEGRAPH_UPDATE_REFERENCE=1 (see module docstring)"
    )
    expected = REFERENCE.read_bytes()
    if fresh == expected:
        return
    width, height, got = png_pixels(fresh)
    ref_width, ref_height, want = png_pixels(expected)
    assert (width, height) == (ref_width, ref_height), (
        f"the picture is {width}x{height}, the reference {ref_width}x{ref_height}: the layout "
        "changed; see test-artifacts/network-scale1.png and the module docstring"
    )
    differing = sum(1 for a, b in zip(got, want, strict=True) if not near(a, b, 48))
    assert differing <= 0.002 * len(got), (
        f"{differing} pixels differ from the reference; see test-artifacts/network-scale1.png"
    )


# --- HTML ---------------------------------------------------------------------------------


def test_html_briefing_content(snapshots: dict[str, Snapshot]) -> None:
    network = snapshots["network"]
    page = render.to_html(network)
    artifact("briefing-network.html", page)
    artifact("briefing-amra.html", render.to_html(snapshots["amra"]))
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>Organized crime networks, 2 hops</h1>" in page
    assert page.count("<svg") == 1 and "<script" not in page
    for outside in ("<link", "src=", "url(", "@import"):
        assert outside not in page, f"the briefing loads something from outside: {outside}"
    assert page.count("http") == page.count('xmlns="http://www.w3.org/2000/svg"')
    assert "size: A4 portrait" in page

    timeline = page[page.index('<ol class="timeline">') : page.index("</ol>")]
    dates = [d.split("<")[0].strip() for d in timeline.split('<div class="when">')[1:]]
    assert dates[:5] == ["2024", "12 April 2024", "15 April 2024", "17 April 2024", "19 April 2024"]
    assert all("no date" in d or d == "undated" for d in dates[5:]) and len(dates) == 11
    assert "Last month (no date)" in dates
    assert (
        "\u201cFresnes | April 12, 2024 | Mass disturbance with arson | Under investigation |\u201d"
        in page
    )

    for node in network["nodes"]:
        assert escape(node["properties"]["name"]) in page
    for source in network["sources"]:
        assert escape(source["title"]) in page
        assert source["content_sha256"][:16] in page and source["id"] in page
    assert "retrieved 22 November 2026" in page and "Africa-Press \u2013 Lesotho" in page
    assert network["content_hash"] in page and network["id"] in page
    assert "<dt>Kind</dt><dd>neighbourhood</dd>" in page and "<dt>Depth</dt><dd>2</dd>" in page
    assert network["query"]["entity_ids"][0] in page


def test_undated_events_follow_the_followed_links(snapshots: dict[str, Snapshot]) -> None:
    names = [e["properties"]["name"] for e in render.timeline(snapshots["amra"])]
    assert names == [
        "Escape of Mohamed Amra",
        "Arrest of Mohamed Amra in Romania",
        "Extradition of Mohamed Amra to France",
    ]
    page = render.to_html(snapshots["amra"])
    assert page.index("Escape of Mohamed Amra</strong>") < page.index(
        "Arrest of Mohamed Amra in Romania</strong>"
    )


def test_html_dates_are_shown_at_their_precision() -> None:
    snapshot = synthetic(4)
    events = snapshot["nodes"]
    for node, (date, precision, text) in zip(
        events,
        [
            ("2024-04", "month", "in April 2024"),
            ("2024-04-12", "day", None),
            (None, None, "May last year"),
            ("2023", "year", None),
        ],
        strict=True,
    ):
        node["labels"] = ["Entity", "Escape", "Event"]
        node["properties"].update({"date": date, "date_precision": precision, "date_text": text})
    page = render.to_html(snapshot)
    timeline = page[page.index('<ol class="timeline">') : page.index("</ol>")]
    dates = [d.split("<")[0].strip() for d in timeline.split('<div class="when">')[1:]]
    assert dates == ["2023", "April 2024", "12 April 2024", "May last year (no date)"]
    assert "1 April 2024" not in page


def test_chromium_renders_the_briefing(snapshots: dict[str, Snapshot], tmp_path: Path) -> None:
    browser.require_chromium()
    for key, snapshot in snapshots.items():
        page = artifact(f"briefing-{key}.html", render.to_html(snapshot))
        shot = ARTIFACTS / f"briefing-{key}.png"
        shot.unlink(missing_ok=True)
        browser.chromium(f"file://{page}", tmp_path / key, (1240, 1754), f"--screenshot={shot}")
        data = shot.read_bytes()
        assert png_size(data) == (1240, 1754)
        assert_looks_like_a_picture(data, attacks=key == "network")
