"""Pictures and briefings of a snapshot: SVG, PNG and a one-page HTML briefing.

Everything here is a pure function of the snapshot (docs/snapshot-format.md): the same
snapshot renders to the same bytes, on any machine. The only date shown that is not a
property of the data is the snapshot's own `created`.

The picture is laid out in pure Python, with no numpy, so that its coordinates do not depend
on a BLAS or on the CPU's vector unit:

1. each connected component is laid out by stress majorization (the model behind Graphviz's
   neato and Kamada-Kawai): ideal distances are path lengths in EDGE_LENGTH units, a link
   being longer the better connected its ends; it starts once from a classical MDS embedding
   and a few times from seeded random positions, and the least cluttered result is kept
   (fewest crossings and links through other nodes' boxes);
2. the component is turned so that its long axis is horizontal (the picture goes on a page);
3. an overlap-removal pass moves nodes until no two node label boxes overlap (the box of a
   node holds its marker and its wrapped name, text widths measured with DejaVu Sans metrics);
4. the components are packed on shelves, then each link's label is put at the first spot
   along the link, or just beside it, that collides with no node box and no other label; a
   link whose label finds none is lengthened and the overlap removal run again, a few times.

Pictures are capped at MAX_PICTURE_NODES entities: beyond that no layout stays legible.

The markup comes from Jinja2 templates in graph/templates (picture.svg.j2, briefing.html.j2,
briefing.css), autoescaped; this module computes what they show and every coordinate.
The layout stays hand-written: benchmarks/layout_quality.py measured Graphviz's neato and
igraph's layouts in its place on the seed snapshots, at 40 entities and at the cap; none was
at least as legible on all of them (benchmarks/README.md, "Legibility of the briefing
pictures").
"""

from __future__ import annotations

import json
import math
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import networkx as nx
from markupsafe import Markup

from graph.errors import InvalidInput
from graph.palette import FALLBACK_STYLE, STYLES, Style
from graph.text import MONTHS, display_date

MAX_PICTURE_NODES = 150
SNAPSHOT_FORMAT = "crimegraph.snapshot/1"
FONT_STACK = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif"
LAYOUT_SEED = 20240412

# Geometry, in SVG user units (px at scale 1).
MARKER = 13.0  # "radius" of a node marker
SEED_RING = 1.62 * MARKER  # the ring around the entities the query started from
EDGE_LENGTH = 150.0  # ideal length of a one-hop link before overlap removal
NODE_FONT = 12.0
NODE_LINE = 14.5
NODE_LABEL_WIDTH = 150.0
NODE_LABEL_LINES = 3
EDGE_FONT = 9.5
REPAIR_STEPS = 4  # rounds that lengthen links whose labels find no clear spot
# Where a link label may go: fractions along the link, on it (0) or beside it (-1, 1); the
# first that collides with nothing wins, else the least colliding one.
LABEL_SPOTS = tuple(
    (round(0.5 + sign * step, 2), side)
    for side in (0, 1, -1)
    for step in (0.0, 0.06, 0.12, 0.18, 0.24, 0.3)
    for sign in ((1,) if step == 0 else (-1, 1))
)
BOX_PAD = 6.0  # minimum gap between two node label boxes
MARGIN = 32.0
MIN_WIDTH = 960.0
DASH = "\u2013"
SEP = " \u00b7 "
TEXT = "#1f2328"
MUTED = "#59636e"
EDGE = "#8c959f"
EDGE_DARK = "#57606a"

# --- text metrics -------------------------------------------------------------------------

# Advance widths of DejaVu Sans (Book and Bold, 2048 units per em) for U+0020..U+007E, read
# from the fonts of Debian's fonts-dejavu-core 2.37. Shaping applies kerning, which only
# narrows a line, so sums of advances never underestimate the rendered width. A table rather
# than the font file (Pillow or fontTools could read it): the layout, hence the SVG and HTML
# bytes, must not depend on which fonts a machine has; tests/test_render.py checks the table
# against the installed font with Pillow.
_UNITS_PER_EM = 2048
_ASCENT = 1901 / 2048
_REGULAR = (
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716,
    1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767,
    1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690,
    799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186,
    569, 1995, 1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075,
    1303, 690, 1303, 1716,
)  # fmt: skip
_BOLD = (
    713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748,
    1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819, 819, 1716, 1716, 1716,
    1188, 2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038,
    1714, 1741, 1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936, 748,
    936, 1716, 1024, 1024, 1382, 1466, 1214, 1466, 1389, 891, 1466, 1458, 702, 702, 1362,
    702, 2134, 1458, 1407, 1466, 1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192,
    1458, 748, 1458, 1716,
)  # fmt: skip
_PUNCTUATION = {  # regular, bold
    "\u2018": (651, 778), "\u2019": (651, 778), "\u201c": (1061, 1346), "\u201d": (1061, 1346),
    "\u2013": (1024, 1024), "\u2014": (2048, 2048), "\u2026": (2048, 2048),
    "\u00b7": (651, 778), "\u2022": (1208, 1309), "\u2192": (1716, 1716),
    "\u00ab": (1253, 1323), "\u00bb": (1253, 1323), "\u00a0": (651, 713),
}  # fmt: skip


def _advance(char: str, bold: bool) -> int:
    code = ord(char)
    if 32 <= code <= 126:
        return (_BOLD if bold else _REGULAR)[code - 32]
    if char in _PUNCTUATION:
        return _PUNCTUATION[char][1 if bold else 0]
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    base = unicodedata.normalize("NFD", char)[0]
    if base != char and 32 <= ord(base) <= 126:
        return (_BOLD if bold else _REGULAR)[ord(base) - 32]
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return _UNITS_PER_EM
    return 1425 if bold else 1303


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of one line of DejaVu Sans at `size` px (an upper bound: no kerning)."""
    return sum(_advance(c, bold) for c in text) * size / _UNITS_PER_EM


def _fit(text: str, width: float, size: float, bold: bool) -> str:
    """The longest prefix of `text` that fits with an ellipsis."""
    if text_width(text, size, bold) <= width:
        return text
    cut = text
    while cut and text_width(cut.rstrip() + "\u2026", size, bold) > width:
        cut = cut[:-1]
    return cut.rstrip(" ,;:-\u2013") + "\u2026"


def wrap(
    text: str, width: float, size: float, bold: bool = False, max_lines: int = 99
) -> list[str]:
    """Greedy word wrap by measured width; the last line ends with "…" when text is left."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while text_width(word, size, bold) > width:  # a word longer than a line: break it
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut] + "-", size, bold) > width:
                cut -= 1
            lines.append(word[:cut] + "-")
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        kept = lines[: max_lines - 1]
        kept.append(_fit(" ".join(lines[max_lines - 1 :]), width, size, bold))
        lines = kept
    return lines or [""]


# --- styles -------------------------------------------------------------------------------

# The palette (one per label, shared with /explore and the Neo4j Browser) is graph.palette.
# The order of the legend and of the entity table: actors, places, things, then events.
READING_ORDER = (
    "Person", "CriminalNetwork", "Organization", "PublicBody", "Company", "Facility",
    "Location", "Asset", "Method", "Document", "Event", "Attack", "Escape", "Arrest",
    "Seizure", "Operation", "Measure",
)  # fmt: skip
PLURALS = {"Entity": "Entities", "Company": "Companies", "PublicBody": "Public bodies"}


def style_label(labels: Iterable[str]) -> str:
    """The label a node is drawn as: its most specific known label, else its first label
    other than the root one (a label the model gains later is drawn in the fallback style)."""
    present = set(labels)
    for label in STYLES:
        if label in present:
            return label
    others = sorted(present - {"Entity"})
    return others[0] if others else "Entity"


def display_label(label: str) -> str:
    """CriminalNetwork -> "Criminal network"."""
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", label) or [label]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def _style(label: str) -> Style:
    return STYLES.get(label, FALLBACK_STYLE)


def _r(value: float) -> str:
    """A coordinate as written in SVG: one decimal, no "-0"."""
    text = f"{value:.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


def _polygon(points: Sequence[tuple[float, float]], x: float, y: float, size: float) -> str:
    return " ".join(f"{_r(x + px * size)},{_r(y + py * size)}" for px, py in points)


def _regular(count: int, radius: float, start: float) -> list[tuple[float, float]]:
    return [
        (
            round(radius * math.cos(start + 2 * math.pi * k / count), 4),
            round(radius * math.sin(start + 2 * math.pi * k / count), 4),
        )
        for k in range(count)
    ]


_SHAPES: dict[str, list[tuple[float, float]]] = {
    "diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
    "triangle": [(0, -1.3), (1.2, 0.9), (-1.2, 0.9)],
    "pin": [(-1.2, -0.9), (1.2, -0.9), (0, 1.3)],
    "hexagon": _regular(6, 1.18, 0.0),
    "octagon": _regular(8, 1.12, math.pi / 8),
    "house": [(0, -1.25), (1.05, -0.3), (1.05, 1.0), (-1.05, 1.0), (-1.05, -0.3)],
    "parallelogram": [(-0.75, -0.85), (1.35, -0.85), (0.75, 0.85), (-1.35, 0.85)],
    "document": [(-0.85, -1.1), (0.4, -1.1), (0.85, -0.65), (0.85, 1.1), (-0.85, 1.1)],
    "burst": [
        (p[0] * (1.0 if k % 2 == 0 else 0.55), p[1] * (1.0 if k % 2 == 0 else 0.55))
        for k, p in enumerate(_regular(16, 1.38, -math.pi / 2))
    ],
}


def _marker(
    style: Style, x: float, y: float, size: float, stroke_width: float = 1.4
) -> dict[str, str]:
    """A marker's element and its attributes as written (the template's `marker` draws it)."""
    paint = {"fill": style.fill, "stroke": style.stroke, "stroke_width": _r(stroke_width)}
    if style.shape == "circle":
        return {"tag": "circle", "cx": _r(x), "cy": _r(y), "r": _r(size), **paint}
    if style.shape in ("square", "pill"):
        w, h, rx = (
            (1.8 * size, 1.8 * size, size * 0.18)
            if style.shape == "square"
            else (2.5 * size, 1.5 * size, 0.75 * size)
        )
        return {
            "tag": "rect",
            **_rect(x - w / 2, y - h / 2, w, h),
            "rx": _r(rx),
            **paint,
        }
    return {"tag": "polygon", "points": _polygon(_SHAPES[style.shape], x, y, size), **paint}


def _rect(x: float, y: float, width: float, height: float) -> dict[str, str]:
    return {"x": _r(x), "y": _r(y), "width": _r(width), "height": _r(height)}


# --- small helpers ------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ISO_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")


def _xml_text(value: object) -> object:
    """What the templates write for a value: XML-illegal characters replaced (markup, the
    picture inside the briefing, is left as it is); autoescaping then escapes it."""
    return value if isinstance(value, Markup) else _XML_ILLEGAL.sub("\ufffd", str(value))


# Templates are package data (graph/templates), read through importlib.resources.
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("graph", "templates"),
    autoescape=True,
    finalize=_xml_text,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def display_created(created: str) -> str:
    """The snapshot's creation time, "22 November 2026, 15:24 UTC"."""
    match = _ISO_TIME.match(created or "")
    if match is None:
        return created or "unknown"
    year, month, day, hour, minute = match.groups()
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}, {hour}:{minute} UTC"


def humanise(rel_type: str) -> str:
    """ATTRIBUTED_TO -> "attributed to"."""
    return rel_type.replace("_", " ").lower()


def grading(props: dict[str, Any]) -> str:
    """The Admiralty code, e.g. "B2" ("" when ungraded)."""
    return f"{props.get('reliability') or ''}{props.get('credibility') or ''}"


RELIABILITY = {
    "A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
    "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged",
}  # fmt: skip
CREDIBILITY = {
    1: "confirmed", 2: "probably true", 3: "possibly true", 4: "doubtful", 5: "improbable",
    6: "truth cannot be judged",
}  # fmt: skip


def grading_words(props: dict[str, Any]) -> str:
    reliability = RELIABILITY.get(str(props.get("reliability")), "")
    credibility = CREDIBILITY.get(props.get("credibility") or 0, "")
    return ", ".join(
        part for part in (f"source {reliability}" if reliability else "", credibility) if part
    )


def _name(node: dict[str, Any]) -> str:
    return str(node["properties"].get("name") or node["id"])


def _check(snapshot: dict[str, Any]) -> None:
    if not isinstance(snapshot, dict) or snapshot.get("format") != SNAPSHOT_FORMAT:
        raise InvalidInput(f"not a snapshot: the format must be {SNAPSHOT_FORMAT!r}")
    ids = set()
    for node in snapshot.get("nodes") or []:
        if not isinstance(node, dict) or "id" not in node:
            raise InvalidInput("a snapshot node has no id")
        ids.add(node["id"])
    for rel in snapshot.get("relationships") or []:
        if rel.get("from_id") not in ids or rel.get("to_id") not in ids:
            raise InvalidInput(f"relationship {rel.get('id')!r} links an entity the snapshot lacks")


def _check_picture(snapshot: dict[str, Any]) -> None:
    _check(snapshot)
    count = len(snapshot.get("nodes") or [])
    if count == 0:
        raise InvalidInput("the snapshot holds no entity: there is nothing to draw")
    if count > MAX_PICTURE_NODES:
        raise InvalidInput(
            f"the snapshot holds {count} entities; a picture shows at most {MAX_PICTURE_NODES} "
            "legibly: narrow the snapshot (fewer hops, fewer relationship types or fewer "
            "starting entities) or use the HTML briefing's tables"
        )


# --- layout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        """True when the boxes overlap or come closer than `gap`."""
        return (
            self.x0 < other.x1 + gap
            and other.x0 < self.x1 + gap
            and self.y0 < other.y1 + gap
            and other.y0 < self.y1 + gap
        )

    def area_with(self, other: Box) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)


@dataclass(frozen=True)
class NodeLayout:
    id: str
    name: str
    label: str  # the label it is drawn as
    x: float
    y: float
    lines: tuple[str, ...]
    seed: bool  # one of the entities the query started from
    box: Box  # marker and name: no two of these overlap


@dataclass(frozen=True)
class EdgeLayout:
    from_id: str
    to_id: str
    types: tuple[str, ...]
    rel_ids: tuple[str, ...]
    text: str  # the label drawn on the link
    start: tuple[float, float]
    control: tuple[float, float] | None  # a quadratic curve when links run both ways
    end: tuple[float, float]  # the arrow's tip
    label_at: tuple[float, float]
    label_box: Box


@dataclass(frozen=True)
class Layout:
    """The picture's geometry in the graph area (top-left at 0,0)."""

    width: float
    height: float
    nodes: tuple[NodeLayout, ...]
    edges: tuple[EdgeLayout, ...]


def _node_shape(node: dict[str, Any], seed: bool) -> tuple[tuple[str, ...], Box]:
    """The wrapped name and the label box relative to the marker's centre."""
    lines = tuple(wrap(_name(node), NODE_LABEL_WIDTH, NODE_FONT, seed, NODE_LABEL_LINES))
    extent = SEED_RING if seed else 1.38 * MARKER
    text_w = max(text_width(line, NODE_FONT, seed) for line in lines)
    half = max(extent, text_w / 2 + 3)
    bottom = extent + 3 + len(lines) * NODE_LINE + 2
    return lines, Box(-half, -extent, half, bottom)


def _stress_layout(
    members: list[str], dist: dict[str, dict[str, float]], rng: random.Random, mds: bool
) -> dict[str, list[float]]:
    """Positions whose Euclidean distances come close to the ideal ones, in EDGE_LENGTH units
    (stress majorization), started from a classical MDS embedding or from seeded random
    positions."""
    n = len(members)
    if n == 1:
        return {members[0]: [0.0, 0.0]}
    if n == 2:
        return {members[0]: [0.0, 0.0], members[1]: [EDGE_LENGTH, 0.0]}
    d = [[dist[a][b] * EDGE_LENGTH for b in members] for a in members]
    if mds:
        pos = _mds(d, members, rng)
    else:
        side = EDGE_LENGTH * math.sqrt(n)
        pos = {m: [rng.uniform(0.0, side), rng.uniform(0.0, side)] for m in members}
    # stress majorization, one node at a time (weights 1/d^2)
    terms = [
        [(members[j], d[i][j], 1.0 / (d[i][j] * d[i][j])) for j in range(n) if j != i]
        for i in range(n)
    ]
    for _ in range(300):
        largest = 0.0
        for i, m in enumerate(members):
            p = pos[m]
            num_x = num_y = den = 0.0
            for other, target, weight in terms[i]:
                q = pos[other]
                dx, dy = p[0] - q[0], p[1] - q[1]
                length = math.sqrt(dx * dx + dy * dy) or 1e-6
                num_x += weight * (q[0] + target * dx / length)
                num_y += weight * (q[1] + target * dy / length)
                den += weight
            new_x, new_y = num_x / den, num_y / den
            largest = max(largest, abs(new_x - p[0]), abs(new_y - p[1]))
            p[0], p[1] = new_x, new_y
        if largest < 0.05:
            break
    return pos


def _mds(d: list[list[float]], members: list[str], rng: random.Random) -> dict[str, list[float]]:
    """Classical MDS: the top two eigenvectors of the double-centred squared distances, by
    power iteration from seeded random vectors."""
    n = len(members)
    sq = [[v * v for v in row] for row in d]
    row_mean = [sum(row) / n for row in sq]
    grand = sum(row_mean) / n
    b = [
        [-0.5 * (sq[i][j] - row_mean[i] - row_mean[j] + grand) for j in range(n)] for i in range(n)
    ]
    axes: list[tuple[float, list[float]]] = []
    for _ in range(2):
        v = [rng.uniform(-1.0, 1.0) for _ in range(n)]
        value = 0.0
        for _ in range(60):
            w = [sum(b_i[j] * v[j] for j in range(n)) for b_i in b]
            for eig, vec in axes:  # deflate the axis already found
                dot = sum(vec[k] * v[k] for k in range(n))
                w = [w[k] - eig * dot * vec[k] for k in range(n)]
            norm = math.sqrt(sum(x * x for x in w)) or 1.0
            value = sum(w[k] * v[k] for k in range(n))
            v = [x / norm for x in w]
        axes.append((value, v))
    return {
        m: [
            math.sqrt(max(axes[0][0], 1.0)) * axes[0][1][i] + rng.uniform(-1.0, 1.0),
            math.sqrt(max(axes[1][0], 1.0)) * axes[1][1][i] + rng.uniform(-1.0, 1.0),
        ]
        for i, m in enumerate(members)
    }


def _orient(pos: dict[str, list[float]], first: str | None) -> None:
    """Turn the component so its long axis is horizontal, the starting entity left and up."""
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    a = sum((x - cx) ** 2 for x in xs)
    c = sum((y - cy) ** 2 for y in ys)
    b = sum((x - cx) * (y - cy) for x, y in zip(xs, ys, strict=True))
    largest = (a + c) / 2 + math.sqrt(((a - c) / 2) ** 2 + b * b)
    ux, uy = (b, largest - a) if abs(b) > 1e-9 else ((1.0, 0.0) if a >= c else (0.0, 1.0))
    norm = math.sqrt(ux * ux + uy * uy)
    ux, uy = ux / norm, uy / norm
    for p in pos.values():
        x, y = p[0] - cx, p[1] - cy
        p[0], p[1] = x * ux + y * uy, -x * uy + y * ux
    if first is not None and first in pos:
        if pos[first][0] > 0:
            for p in pos.values():
                p[0] = -p[0]
        if pos[first][1] > 0:
            for p in pos.values():
                p[1] = -p[1]


def _boxes_at(pos: dict[str, list[float]], rel: dict[str, Box], order: list[str]) -> list[Box]:
    return [rel[m].moved(pos[m][0], pos[m][1]) for m in order]


def _first_overlap(boxes: list[Box], gap: float) -> tuple[int, int] | None:
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i].x0, i))
    for k, i in enumerate(order):
        for j in order[k + 1 :]:
            if boxes[j].x0 >= boxes[i].x1 + gap:
                break
            if boxes[i].overlaps(boxes[j], gap):
                return i, j
    return None


def _remove_overlaps(pos: dict[str, list[float]], rel: dict[str, Box], gap: float) -> None:
    """Push apart every two label boxes closer than `gap`, along the axis where they overlap
    least, until none do. Rounds that do not settle spread the whole component by 5%, so
    the loop ends: spreading alone separates any two distinct centres."""
    order = sorted(pos)
    index = {m: i for i, m in enumerate(order)}
    for round_ in range(2000):
        boxes = _boxes_at(pos, rel, order)
        sweep = sorted(range(len(order)), key=lambda i: (boxes[i].x0, i))
        moved = False
        for k, i in enumerate(sweep):
            for j in sweep[k + 1 :]:
                bi, bj = boxes[i], boxes[j]
                if bj.x0 >= bi.x1 + gap:
                    break
                if not bi.overlaps(bj, gap):
                    continue
                moved = True
                over_x = min(bi.x1, bj.x1) - max(bi.x0, bj.x0) + gap
                over_y = min(bi.y1, bj.y1) - max(bi.y0, bj.y0) + gap
                pi, pj = pos[order[i]], pos[order[j]]
                if over_x * 0.6 <= over_y:  # wide boxes: prefer sideways moves a little
                    side = 1.0 if (pj[0], index[order[j]]) >= (pi[0], index[order[i]]) else -1.0
                    shift = over_x / 2 + 0.05
                    pi[0] -= side * shift
                    pj[0] += side * shift
                    boxes[i] = bi.moved(-side * shift, 0)
                    boxes[j] = bj.moved(side * shift, 0)
                else:
                    side = 1.0 if (pj[1], index[order[j]]) >= (pi[1], index[order[i]]) else -1.0
                    shift = over_y / 2 + 0.05
                    pi[1] -= side * shift
                    pj[1] += side * shift
                    boxes[i] = bi.moved(0, -side * shift)
                    boxes[j] = bj.moved(0, side * shift)
        if not moved and _first_overlap(_boxes_at(pos, rel, order), gap) is None:
            return
        if round_ % 40 == 39:
            cx = sum(p[0] for p in pos.values()) / len(pos)
            cy = sum(p[1] for p in pos.values()) / len(pos)
            for p in pos.values():
                p[0], p[1] = cx + (p[0] - cx) * 1.05, cy + (p[1] - cy) * 1.05
    raise AssertionError("overlap removal did not settle")  # pragma: no cover


def _pack(components: list[tuple[dict[str, list[float]], Box]], gap: float) -> None:
    """Shelf packing: components left to right in rows, biggest first, rows centred."""
    area = sum((b.x1 - b.x0 + gap) * (b.y1 - b.y0 + gap) for _, b in components)
    widest = max(b.x1 - b.x0 for _, b in components)
    row_width = max(widest, math.sqrt(area) * 1.5)
    rows: list[list[tuple[dict[str, list[float]], Box]]] = [[]]
    used = 0.0
    for comp in components:
        w = comp[1].x1 - comp[1].x0
        if rows[-1] and used + w > row_width:
            rows.append([])
            used = 0.0
        rows[-1].append(comp)
        used += w + gap
    y = 0.0
    for row in rows:
        total = sum(b.x1 - b.x0 for _, b in row) + gap * (len(row) - 1)
        x = (row_width - total) / 2
        height = max(b.y1 - b.y0 for _, b in row)
        for pos, b in row:
            dx = x - b.x0
            dy = y + (height - (b.y1 - b.y0)) / 2 - b.y0
            for p in pos.values():
                p[0] += dx
                p[1] += dy
            x += b.x1 - b.x0 + gap
        y += height + gap


def _edge_text(rels: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for rel in rels:
        role = (rel.get("properties") or {}).get("role")
        text = humanise(rel["type"]) + (f": {role}" if role else "")
        if text not in parts:
            parts.append(text)
    return " \u00b7 ".join(parts)


def _unit(dx: float, dy: float) -> tuple[float, float]:
    length = math.sqrt(dx * dx + dy * dy) or 1.0
    return dx / length, dy / length


def _along(e: EdgeLayout | tuple[Any, ...], t: float) -> tuple[float, float]:
    start, control, end = (e.start, e.control, e.end) if isinstance(e, EdgeLayout) else e
    if control is None:
        return start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t
    u = 1 - t
    return (
        u * u * start[0] + 2 * u * t * control[0] + t * t * end[0],
        u * u * start[1] + 2 * u * t * control[1] + t * t * end[1],
    )


def _link_geometry(
    a: str, b: str, pos: dict[str, list[float]], seeds: set[str], both_ways: bool
) -> tuple[tuple[float, float], tuple[float, float] | None, tuple[float, float]]:
    """Start, control point (None for a straight link) and arrow tip of the link a -> b."""
    (ax, ay), (bx, by) = pos[a], pos[b]
    if a == b:  # a self-link: a loop above the marker
        return (
            (ax - MARKER * 0.8, ay - MARKER * 1.1),
            (ax, ay - MARKER * 4.2),
            (ax + MARKER * 0.8, ay - MARKER * 1.2),
        )
    control = None
    ux, uy = _unit(bx - ax, by - ay)
    if both_ways:
        bend = 28.0  # the normal turns with the direction: the two ways bend apart
        control = ((ax + bx) / 2 - uy * bend, (ay + by) / 2 + ux * bend)
    toward_b = _unit((control or (bx, by))[0] - ax, (control or (bx, by))[1] - ay)
    toward_a = _unit((control or (ax, ay))[0] - bx, (control or (ax, ay))[1] - by)
    start_gap = (SEED_RING if a in seeds else MARKER * 1.3) + 2
    end_gap = (SEED_RING if b in seeds else MARKER * 1.3) + 3
    start = (ax + toward_b[0] * start_gap, ay + toward_b[1] * start_gap)
    end = (bx + toward_a[0] * end_gap, by + toward_a[1] * end_gap)
    return start, control, end


def _place_links(
    groups: dict[tuple[str, str], list[dict[str, Any]]],
    pos: dict[str, list[float]],
    node_boxes: dict[str, Box],
    seeds: set[str],
) -> tuple[list[EdgeLayout], list[EdgeLayout]]:
    """Link paths and label spots; and the links whose label collides with something. Short links
    are labelled first (they have the fewest spots), each at the first spot along it that
    is clear of every node box and every label already placed."""
    obstacles = list(node_boxes.values())
    placed: list[Box] = []
    clashing: list[EdgeLayout] = []
    found: dict[tuple[str, str], EdgeLayout] = {}

    def length(key: tuple[str, str]) -> float:
        (ax, ay), (bx, by) = pos[key[0]], pos[key[1]]
        return math.sqrt((ax - bx) ** 2 + (ay - by) ** 2)

    for key in sorted(groups, key=lambda k: (length(k), k)):
        a, b = key
        members = groups[key]
        start, control, end = _link_geometry(a, b, pos, seeds, (b, a) in groups)
        text = _edge_text(members)
        w = text_width(text, EDGE_FONT) + 6
        h = EDGE_FONT * 1.45
        best: tuple[float, Box, tuple[float, float], float] | None = None
        for t, side in LABEL_SPOTS:
            cx, cy = _along((start, control, end), t)
            if side:  # beside the line rather than on it, touching it
                tx, ty = _along((start, control, end), min(t + 0.01, 1.0))
                nx_, ny_ = _unit(-(ty - cy), tx - cx)
                reach = abs(nx_) * (w / 2) + abs(ny_) * (h / 2) + 1.5
                cx, cy = cx + side * nx_ * reach, cy + side * ny_ * reach
            box = Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            clash = sum(box.area_with(o) for o in obstacles) * 3
            clash += sum(box.area_with(o) for o in placed)
            cost = clash + abs(t - 0.5) * 40 + abs(side) * 12  # on the line, mid-way reads best
            if best is None or cost < best[0]:
                best = (cost, box, (cx, cy), clash)
            if clash == 0:
                break
        assert best is not None
        placed.append(best[1])
        found[key] = EdgeLayout(
            a,
            b,
            tuple(sorted({r["type"] for r in members})),
            tuple(r["id"] for r in members),
            text,
            start,
            control,
            end,
            best[2],
            best[1],
        )
        if best[3] > 0:
            clashing.append(found[key])
    return [found[key] for key in sorted(found)], clashing


def _ideal_distances(sub: nx.Graph[str]) -> dict[str, dict[str, float]]:
    """Ideal distances in link lengths: a link is longer the better connected its ends are,
    so a hub has room around it for its neighbours' labels and its links' labels."""
    for u, v in sub.edges():
        sub.edges[u, v]["length"] = 0.7 + 0.15 * (
            math.sqrt(sub.degree(u)) + math.sqrt(sub.degree(v))
        )
    return {
        a: dict(lengths) for a, lengths in nx.all_pairs_dijkstra_path_length(sub, weight="length")
    }


def _attempts(size: int) -> int:
    """How many seeded layouts of a component to try (the least cluttered one is kept)."""
    return 8 if size <= 30 else 4 if size <= 60 else 2 if size <= 100 else 1


def _crosses(p1: list[float], p2: list[float], q1: list[float], q2: list[float]) -> bool:
    def side(a: list[float], b: list[float], c: list[float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = side(q1, q2, p1), side(q1, q2, p2)
    d3, d4 = side(p1, p2, q1), side(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def _through(p: list[float], q: list[float], box: Box) -> bool:
    """Whether the segment p-q passes through the box (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for edge_p, edge_q in (
        (-dx, p[0] - box.x0),
        (dx, box.x1 - p[0]),
        (-dy, p[1] - box.y0),
        (dy, box.y1 - p[1]),
    ):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _clutter(
    pos: dict[str, list[float]], rel: dict[str, Box], links: list[tuple[str, ...]]
) -> tuple[int, float]:
    """How cluttered a layout reads: link crossings plus links through other nodes' boxes
    (each counts double), then the total link length (shorter is more compact)."""
    count = 0
    for k, (a, b) in enumerate(links):
        for c, d in links[k + 1 :]:
            if len({a, b, c, d}) == 4 and _crosses(pos[a], pos[b], pos[c], pos[d]):
                count += 1
        for m, box in rel.items():
            if m not in (a, b) and _through(pos[a], pos[b], box.moved(pos[m][0], pos[m][1])):
                count += 2
    total = sum(math.dist(pos[a], pos[b]) for a, b in links)
    return count, round(total, 3)


def _component_layout(
    graph: nx.Graph[str], members: list[str], seeds: set[str], rel_boxes: dict[str, Box]
) -> dict[str, list[float]]:
    """Positions of one connected component: the least cluttered of its seeded layouts,
    each turned to lie horizontally and with its label boxes separated."""
    sub: nx.Graph[str] = nx.Graph(graph.subgraph(members))
    dist = _ideal_distances(sub)
    first = next((m for m in sorted(seeds) if m in members), None)
    if first is None:  # no starting entity here: the best connected one goes left
        first = max(members, key=lambda m: (graph.degree(m), m))
    sub_boxes = {m: rel_boxes[m] for m in members}
    links = sorted({tuple(sorted(edge)) for edge in sub.edges()})
    best: tuple[tuple[int, float], dict[str, list[float]]] | None = None
    for attempt in range(_attempts(len(members))):
        rng = random.Random(LAYOUT_SEED + attempt)
        candidate = _stress_layout(members, dist, rng, mds=attempt == 0)
        _orient(candidate, first)
        _remove_overlaps(candidate, sub_boxes, BOX_PAD)
        score = _clutter(candidate, sub_boxes, links)
        if best is None or score < best[0]:
            best = (score, candidate)
    assert best is not None
    return best[1]


def _links(
    rels: list[dict[str, Any]],
    pos: dict[str, list[float]],
    rel_boxes: dict[str, Box],
    seeds: set[str],
) -> tuple[list[EdgeLayout], dict[str, list[float]]]:
    """One drawn line per ordered pair, curved when the pair is linked both ways, and the
    node positions they were placed with. A link whose label finds no clear spot is
    lengthened, the node boxes separated again and the labels placed again; the try with the
    fewest clashing labels is kept."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for rel in rels:
        groups[(rel["from_id"], rel["to_id"])].append(rel)
    best_try: tuple[int, list[EdgeLayout], dict[str, list[float]]] | None = None
    for attempt in range(REPAIR_STEPS + 1):
        node_boxes = {m: rel_boxes[m].moved(pos[m][0], pos[m][1]) for m in pos}
        edges, clashing = _place_links(groups, pos, node_boxes, seeds)
        if best_try is None or len(clashing) < best_try[0]:
            best_try = (len(clashing), edges, {m: list(p) for m, p in pos.items()})
        if not clashing or attempt == REPAIR_STEPS:
            break
        for e in clashing:  # lengthen the link, then separate the node boxes again
            ux, uy = _unit(pos[e.to_id][0] - pos[e.from_id][0], pos[e.to_id][1] - pos[e.from_id][1])
            step = (e.label_box.x1 - e.label_box.x0) * 0.3
            pos[e.from_id][0] -= ux * step
            pos[e.from_id][1] -= uy * step
            pos[e.to_id][0] += ux * step
            pos[e.to_id][1] += uy * step
        _remove_overlaps(pos, rel_boxes, BOX_PAD)
    assert best_try is not None
    return best_try[1], best_try[2]


def layout(snapshot: dict[str, Any]) -> Layout:
    """The picture's geometry: node positions and label boxes (no two overlap), link paths
    and link label positions. Refuses snapshots above MAX_PICTURE_NODES entities."""
    _check_picture(snapshot)
    nodes = sorted(snapshot["nodes"], key=lambda n: n["id"])
    by_id = {n["id"]: n for n in nodes}
    seeds = set((snapshot.get("query") or {}).get("entity_ids") or [])
    rels = sorted(snapshot.get("relationships") or [], key=lambda r: r["id"])
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(by_id)
    graph.add_edges_from((r["from_id"], r["to_id"]) for r in rels if r["from_id"] != r["to_id"])

    shapes = {n["id"]: _node_shape(n, n["id"] in seeds) for n in nodes}
    rel_boxes = {m: shape[1] for m, shape in shapes.items()}
    components: list[tuple[dict[str, list[float]], Box]] = []
    parts = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c))
    for members in parts:
        pos = _component_layout(graph, members, seeds, rel_boxes)
        boxes = _boxes_at(pos, rel_boxes, members)
        bound = Box(
            min(b.x0 for b in boxes),
            min(b.y0 for b in boxes),
            max(b.x1 for b in boxes),
            max(b.y1 for b in boxes),
        )
        components.append((pos, bound))
    _pack(components, 48.0)
    pos = {m: p for comp, _ in components for m, p in comp.items()}

    edges, pos = _links(rels, pos, rel_boxes, seeds)
    node_boxes = {m: rel_boxes[m].moved(pos[m][0], pos[m][1]) for m in pos}
    placed = [e.label_box for e in edges]

    # translate everything so the graph area starts at 0,0
    all_boxes = [*node_boxes.values(), *placed]
    left = min(b.x0 for b in all_boxes)
    top = min(b.y0 for b in all_boxes)
    right = max(b.x1 for b in all_boxes)
    bottom = max(b.y1 for b in all_boxes)
    for e in edges:
        if e.control is not None:
            top = min(top, _along(e, 0.5)[1] - 4)
            bottom = max(bottom, _along(e, 0.5)[1] + 4)
    dx, dy = -left, -top

    def shift(p: tuple[float, float]) -> tuple[float, float]:
        return p[0] + dx, p[1] + dy

    laid_nodes = tuple(
        NodeLayout(
            m,
            _name(by_id[m]),
            style_label(by_id[m]["labels"]),
            pos[m][0] + dx,
            pos[m][1] + dy,
            shapes[m][0],
            m in seeds,
            node_boxes[m].moved(dx, dy),
        )
        for m in sorted(pos)
    )
    laid_edges = tuple(
        EdgeLayout(
            e.from_id,
            e.to_id,
            e.types,
            e.rel_ids,
            e.text,
            shift(e.start),
            None if e.control is None else shift(e.control),
            shift(e.end),
            shift(e.label_at),
            e.label_box.moved(dx, dy),
        )
        for e in edges
    )
    return Layout(right - left, bottom - top, laid_nodes, laid_edges)


# --- SVG ----------------------------------------------------------------------------------


def _source_numbers(snapshot: dict[str, Any]) -> dict[str, int]:
    return {s["id"]: i for i, s in enumerate(snapshot.get("sources") or [], start=1)}


def _refs(props: dict[str, Any], numbers: dict[str, int]) -> str:
    return "".join(f"[{numbers[s]}]" for s in props.get("source_ids") or [] if s in numbers)


def describe_query(snapshot: dict[str, Any]) -> str:
    query = snapshot.get("query") or {}
    names = {n["id"]: _name(n) for n in snapshot.get("nodes") or []}
    if query.get("kind") == "neighbourhood":
        starts = ", ".join(names.get(i, i) for i in query.get("entity_ids") or [])
        depth = query.get("depth")
        return f"Neighbourhood of {starts}, {depth} hop{'s' if depth != 1 else ''}"
    if query.get("kind") == "named_query":
        return f"Named query {query.get('name')}"
    return "Query not recorded"


def _source_line(number: int, source: dict[str, Any]) -> str:
    title = source.get("title") or source.get("name") or source.get("id")
    publisher = source.get("publisher") or "publisher not stated"
    retrieved = source.get("retrieved")
    when = f"; retrieved {display_date(retrieved, None)}" if retrieved else ""
    return f"[{number}] \u201c{title}\u201d \u2014 {publisher}{when}"


def _tooltip_node(node: dict[str, Any], numbers: dict[str, int]) -> str:
    props = node["properties"]
    labels = ", ".join(label for label in node["labels"] if label != "Entity")
    lines = [_name(node), labels]
    if props.get("aliases"):
        lines.append("also known as " + ", ".join(props["aliases"]))
    if any(label in node["labels"] for label in ("Event",)) and (
        props.get("date") or props.get("date_text")
    ):
        lines.append(
            display_date(props.get("date"), props.get("date_precision"), props.get("date_text"))
        )
    lines.append(
        f"grading {grading(props)}, confidence {props.get('confidence', '?')}% {_refs(props, numbers)}"
    )
    if props.get("quote"):
        lines.append(f"\u201c{props['quote']}\u201d")
    return "\n".join(lines)


def _text(
    x: float,
    y: float,
    text: str,
    size: float,
    fill: str = TEXT,
    bold: bool = False,
    middle: bool = False,
) -> dict[str, Any]:
    """One line of text (the template's `text` draws it)."""
    return {
        "x": _r(x),
        "y": _r(y),
        "text": text,
        "size": _r(size),
        "fill": fill,
        "bold": bold,
        "middle": middle,
    }


def to_svg(snapshot: dict[str, Any]) -> str:
    """The picture of the snapshot's subgraph: title, legend, the graph, and footnotes that
    name the snapshot and the sources cited. Refuses more than MAX_PICTURE_NODES entities."""
    return _svg(snapshot, framed=True)


def _svg(snapshot: dict[str, Any], framed: bool) -> str:
    """The picture; unframed (for the HTML briefing, which says the rest) it holds only the
    legend and the graph."""
    geo = layout(snapshot)
    width = max(MIN_WIDTH if framed else MIN_WIDTH * 0.6, geo.width + 2 * MARGIN)
    title = str(snapshot.get("title") or snapshot.get("id") or "Snapshot")
    y = MARGIN if framed else MARGIN * 0.6
    header, y = _svg_header(snapshot, geo, title, width, y) if framed else ([], y)
    legend, y = _svg_legend(geo, width, y)
    graph_top = y
    drawing = _svg_graph(snapshot, geo, MARGIN + (width - 2 * MARGIN - geo.width) / 2, graph_top)
    y = graph_top + geo.height + 30
    footer = None
    if framed:
        footer, y = _svg_footer(snapshot, width, y)
        height = y + MARGIN
    else:
        height = y - 10
    size = {"width": str(math.ceil(width)), "height": str(math.ceil(height))}
    return _TEMPLATES.get_template("picture.svg.j2").render(
        **size,
        **drawing,
        title=title,
        description=f"{describe_query(snapshot)}; snapshot {snapshot.get('id', '')}",
        font_stack=FONT_STACK,
        header=header,
        legend=legend,
        footer=footer,
        colours={"text": TEXT, "edge": EDGE, "edge_dark": EDGE_DARK},
    )


def _svg_header(
    snapshot: dict[str, Any], geo: Layout, title: str, width: float, y: float
) -> tuple[list[dict[str, Any]], float]:
    """The title and what the picture shows, as lines of text; and where the legend starts."""
    inner = width - 2 * MARGIN
    header = []
    for line in wrap(title, inner, 22, bold=True, max_lines=3):
        y += 22 * _ASCENT
        header.append(_text(MARGIN, y, line, 22, bold=True))
        y += 22 * 0.3
    rel_count = len(snapshot.get("relationships") or [])
    counts = f"{len(geo.nodes)} entities{SEP}{rel_count} relationships"
    for line in wrap(f"{describe_query(snapshot)}{SEP}{counts}", inner, 12.5, max_lines=2):
        y += 8 + 12.5 * _ASCENT
        header.append(_text(MARGIN, y, line, 12.5, MUTED))
        y -= 4
    return header, y + 18


def _svg_legend(geo: Layout, width: float, y: float) -> tuple[list[dict[str, Any]], float]:
    """One entry per kind of entity drawn, in reading order, in rows; and where the graph
    starts."""
    present: dict[str, int] = defaultdict(int)
    for n in geo.nodes:
        present[n.label] += 1
    legend_order = [label for label in READING_ORDER if label in present] + sorted(
        label for label in present if label not in READING_ORDER
    )
    legend = []
    x = MARGIN
    row_h = 24.0
    for label in legend_order:
        text = f"{display_label(label)} ({present[label]})"
        w = 2 * 9 + 8 + text_width(text, 11.5) + 22
        if x > MARGIN and x + w > width - MARGIN:
            x = MARGIN
            y += row_h
        cy = y + row_h / 2
        legend.append(
            {
                "label": label,
                "marker": _marker(_style(label), x + 9, cy, 7.0, 1.1),
                "text": _text(x + 26, cy + 11.5 * 0.36, text, 11.5),
            }
        )
        x += w
    return legend, y + row_h + 22


def _svg_graph(
    snapshot: dict[str, Any], geo: Layout, ox: float, oy: float
) -> dict[str, list[dict[str, Any]]]:
    """The links, their labels and the nodes, the layout moved by (ox, oy)."""
    nodes = {n["id"]: n for n in snapshot["nodes"]}
    rels = {r["id"]: r for r in snapshot.get("relationships") or []}
    numbers = _source_numbers(snapshot)

    def at(p: tuple[float, float]) -> tuple[float, float]:
        return p[0] + ox, p[1] + oy

    links = []
    link_labels = []
    for e in geo.edges:
        (sx, sy), (ex, ey) = at(e.start), at(e.end)
        ctrl = None if e.control is None else at(e.control)
        back = _unit(*((ex - ctrl[0], ey - ctrl[1]) if ctrl else (ex - sx, ey - sy)))
        bx, by = ex - back[0] * 8, ey - back[1] * 8  # the line stops inside the arrowhead
        if ctrl is None:
            path = f"M{_r(sx)},{_r(sy)} L{_r(bx)},{_r(by)}"
        else:
            path = f"M{_r(sx)},{_r(sy)} Q{_r(ctrl[0])},{_r(ctrl[1])} {_r(bx)},{_r(by)}"
        px, py = -back[1], back[0]
        arrow = [
            (ex, ey),
            (ex - back[0] * 9.5 + px * 4.2, ey - back[1] * 9.5 + py * 4.2),
            (ex - back[0] * 9.5 - px * 4.2, ey - back[1] * 9.5 - py * 4.2),
        ]
        tip = []
        for rid in e.rel_ids:
            rel = rels[rid]
            props = rel.get("properties") or {}
            tip.append(
                f"{_name(nodes[rel['from_id']])} \u2014 {rel['type']} \u2192 {_name(nodes[rel['to_id']])}"
                f" ({grading(props)}, confidence {props.get('confidence', '?')}%) {_refs(props, numbers)}"
                + (f"\n\u201c{props['quote']}\u201d" if props.get("quote") else "")
            )
        links.append(
            {
                "types": " ".join(e.types),
                "tooltip": "\n".join(tip),
                "path": path,
                "arrow": " ".join(f"{_r(a)},{_r(b)}" for a, b in arrow),
            }
        )
        lx, ly = at(e.label_at)
        box = e.label_box.moved(ox, oy)
        link_labels.append(
            {
                **_rect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0),
                "text": _text(lx, ly + EDGE_FONT * 0.35, e.text, EDGE_FONT, MUTED, middle=True),
            }
        )

    drawn = []
    for n in geo.nodes:
        cx, cy = at((n.x, n.y))
        extent = SEED_RING if n.seed else 1.38 * MARKER
        top = cy + extent + 3
        text_w = max(text_width(line, NODE_FONT, n.seed) for line in n.lines)
        drawn.append(
            {
                "id": n.id,
                "label": n.label,
                "tooltip": _tooltip_node(nodes[n.id], numbers),
                "ring": {"cx": _r(cx), "cy": _r(cy), "r": _r(SEED_RING - 1)} if n.seed else None,
                "marker": _marker(_style(n.label), cx, cy, MARKER),
                "background": _rect(
                    cx - text_w / 2 - 3, top - 1, text_w + 6, len(n.lines) * NODE_LINE + 3
                ),
                "font_size": _r(NODE_FONT),
                "bold": n.seed,
                "lines": [
                    {"x": _r(cx), "y": _r(top + NODE_FONT * _ASCENT + k * NODE_LINE), "text": line}
                    for k, line in enumerate(n.lines)
                ],
            }
        )
    return {"links": links, "link_labels": link_labels, "nodes": drawn}


def _svg_footer(snapshot: dict[str, Any], width: float, y: float) -> tuple[dict[str, Any], float]:
    """A rule, then the snapshot's identity and the sources cited; and where the footer ends."""
    inner = width - 2 * MARGIN
    footer: dict[str, Any] = {"x1": _r(MARGIN), "x2": _r(width - MARGIN), "y": _r(y)}
    y += 8
    foot = 10.5
    identity = (
        f"Snapshot {snapshot.get('id', '?')} \u00b7 created {display_created(str(snapshot.get('created') or ''))}"
        f" \u00b7 content sha256 {str(snapshot.get('content_hash') or '?')[:16]}\u2026"
    )
    lines: list[tuple[str, str]] = [(line, TEXT) for line in wrap(identity, inner, foot)]
    sources = snapshot.get("sources") or []
    lines.append((f"Sources cited ({len(sources)}):" if sources else "No source cited.", TEXT))
    for number, source in enumerate(sources, start=1):
        for line in wrap(_source_line(number, source), inner - 14, foot, max_lines=2):
            lines.append(("\u2003" + line if not line.startswith("[") else line, MUTED))
    notes = []
    for line, colour in lines:
        y += foot * 1.4
        notes.append(_text(MARGIN, y, line, foot, colour))
    footer["notes"] = notes
    return footer, y


# --- PNG ----------------------------------------------------------------------------------

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)


def dejavu_fonts() -> list[str]:
    """DejaVu Sans (Book and Bold) files, when installed (Debian: fonts-dejavu-core)."""
    for folder in FONT_DIRS:
        files = [folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"]
        if all(f.is_file() for f in files):
            return [str(f) for f in files]
    return []


def to_png(snapshot: dict[str, Any], scale: float = 2.0) -> bytes:
    """The picture as PNG, rasterised by resvg (the resvg-py wheel: no system library).

    Text is set in DejaVu Sans from its font files alone when they are installed (Debian:
    fonts-dejavu-core), so the bytes do not depend on which other fonts a machine has;
    without them the system's fonts are used and the text widths are only approximate.
    """
    if not 0.25 <= scale <= 8:
        raise InvalidInput(f"scale {scale} is out of range: 0.25 to 8")
    import resvg_py  # imported here: only the PNG needs it

    svg = to_svg(snapshot)
    fonts = dejavu_fonts()
    if fonts:
        png = resvg_py.svg_to_bytes(
            svg_string=svg,
            zoom=scale,
            background="#ffffff",
            skip_system_fonts=True,
            font_files=fonts,
            font_family="DejaVu Sans",
            sans_serif_family="DejaVu Sans",
        )
    else:  # no DejaVu: the system's fonts, through the SVG's font stack
        png = resvg_py.svg_to_bytes(svg_string=svg, zoom=scale, background="#ffffff")
    return bytes(png)


# --- HTML ---------------------------------------------------------------------------------


def _date_key(props: dict[str, Any]) -> tuple[int, str]:
    date = props.get("date")
    return (0, str(date)) if date else (1, "")


def timeline(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshot's events in time order: dated ones by date (a less precise date first,
    at the start of its period), then the undated ones, those the FOLLOWED links order
    following them, the rest by name."""
    events = [n for n in snapshot.get("nodes") or [] if "Event" in n["labels"]]
    events.sort(key=lambda n: (*_date_key(n["properties"]), _name(n).lower(), n["id"]))
    dated = [n for n in events if n["properties"].get("date")]
    undated = {n["id"]: n for n in events if not n["properties"].get("date")}
    order: nx.DiGraph[str] = nx.DiGraph()
    order.add_nodes_from(undated)
    order.add_edges_from(
        (r["to_id"], r["from_id"])  # "a FOLLOWED b": b came first
        for r in snapshot.get("relationships") or []
        if r["type"] == "FOLLOWED" and r["from_id"] in undated and r["to_id"] in undated
    )
    rank = {m: i for i, m in enumerate(undated)}
    try:
        ids = list(nx.lexicographical_topological_sort(order, key=lambda m: rank[m]))
    except nx.NetworkXUnfeasible:  # a cycle: the sources disagree, keep the names' order
        ids = list(undated)
    return dated + [undated[m] for m in ids]


def _event_rows(snapshot: dict[str, Any], numbers: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for node in timeline(snapshot):
        props = node["properties"]
        label = style_label(node["labels"])
        rows.append(
            {
                "fill": _style(label).fill,
                "stroke": _style(label).stroke,
                "when": display_date(
                    props.get("date"), props.get("date_precision"), props.get("date_text")
                ),
                # what the source said, beside a date less precise than a day
                "said": props["date_text"]
                if props.get("date")
                and props.get("date_text")
                and props.get("date_precision") != "day"
                else None,
                "name": _name(node),
                "label": display_label(label),
                "status": props.get("status"),
                "quote": props.get("quote"),
                "sources": _cited(props, numbers),
            }
        )
    return rows


def _cited(props: dict[str, Any], numbers: dict[str, int]) -> list[int]:
    """The numbers of the sources the properties cite, in order."""
    return sorted({numbers[s] for s in props.get("source_ids") or [] if s in numbers})


# Shown elsewhere in the briefing (name, provenance columns, the timeline's dates) or only
# bookkeeping; every other property is a fact a reader should see beside the entity.
_NOT_FACTS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "description",
        "source_ids",
        "quote",
        "quotes",
        "confidence",
        "reliability",
        "credibility",
        "date",
        "date_precision",
        "date_day",
        "date_text",
    }
)


def _facts(props: dict[str, Any]) -> list[str]:
    """The entity's other properties, e.g. "fatalities: 2"."""
    return [
        f"{key.replace('_', ' ')}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
        for key, v in sorted(props.items())
        if key not in _NOT_FACTS
        and not key.endswith(("_precision", "_day"))
        and v not in (None, "", [])
    ]


def _grade(props: dict[str, Any]) -> dict[str, str]:
    return {"words": grading_words(props), "code": grading(props) or DASH}


def _entity_rows(nodes: list[dict[str, Any]], numbers: dict[str, int]) -> list[dict[str, Any]]:
    """The entities in reading order (actors, places, things, events), then by name."""
    order = {label: i for i, label in enumerate(READING_ORDER)}
    rows = []
    for node in sorted(
        nodes, key=lambda n: (order.get(style_label(n["labels"]), 99), _name(n).lower(), n["id"])
    ):
        props = node["properties"]
        shown = style_label(node["labels"])
        broader = [label for label in node["labels"] if label not in ("Entity", shown)]
        rows.append(
            {
                "name": _name(node),
                "aliases": ", ".join(props.get("aliases") or []),
                "description": props.get("description"),
                "facts": _facts(props),
                "label": display_label(shown),
                "broader": ", ".join(display_label(b) for b in broader),
                "grade": _grade(props),
                "confidence": props.get("confidence", DASH),
                "sources": _cited(props, numbers),
            }
        )
    return rows


def _link_rows(
    rels: list[dict[str, Any]], names: dict[str, str], numbers: dict[str, int]
) -> list[dict[str, Any]]:
    """The relationships by subject, type and object."""
    rows = []
    for rel in sorted(
        rels,
        key=lambda r: (names[r["from_id"]].lower(), r["type"], names[r["to_id"]].lower(), r["id"]),
    ):
        props = rel.get("properties") or {}
        rows.append(
            {
                "from_name": names[rel["from_id"]],
                "to_name": names[rel["to_id"]],
                "type": rel["type"],
                "verb": humanise(rel["type"]),
                "role": props.get("role"),
                "grade": _grade(props),
                "confidence": props.get("confidence", DASH),
                "quote": props.get("quote"),
                "sources": _cited(props, numbers),
            }
        )
    return rows


def _source_items(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "title": source.get("title") or source.get("name") or source["id"],
            "publisher": source.get("publisher") or "publisher not stated",
            "published": display_date(source["published"], None)
            if source.get("published")
            else None,
            "retrieved": display_date(source["retrieved"], None)
            if source.get("retrieved")
            else None,
            "sha256": str(source.get("content_sha256") or "")[:16],
            "id": source["id"],
            "url": source.get("url"),
        }
        for source in sources
    ]


def _query_rows(snapshot: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """What the query that produced the snapshot asked."""
    query = snapshot.get("query") or {}
    kind = query.get("kind", "not recorded")
    return {
        "kind": kind,
        "neighbourhood": kind == "neighbourhood",
        "named": kind == "named_query",
        "starts": [{"name": names.get(i, i), "id": i} for i in query.get("entity_ids") or []],
        "depth": query.get("depth"),
        "types": ", ".join(query.get("types") or []),
        "name": query.get("name"),
        "params": json.dumps(query.get("params") or {}, sort_keys=True, ensure_ascii=False),
    }


def to_html(snapshot: dict[str, Any]) -> str:
    """A one-page, self-contained HTML briefing: title, picture, timeline of the events,
    entities, links with their evidence, sources, and the query that produced it."""
    _check(snapshot)
    nodes = sorted(snapshot.get("nodes") or [], key=lambda n: n["id"])
    rels = sorted(snapshot.get("relationships") or [], key=lambda r: r["id"])
    sources = snapshot.get("sources") or []
    numbers = _source_numbers(snapshot)
    names = {n["id"]: _name(n) for n in nodes}
    picture = Markup(_svg(snapshot, framed=False)) if 0 < len(nodes) <= MAX_PICTURE_NODES else None
    return _TEMPLATES.get_template("briefing.html.j2").render(
        title=str(snapshot.get("title") or snapshot.get("id") or "Snapshot"),
        description=describe_query(snapshot),
        counts={"entities": len(nodes), "relationships": len(rels), "sources": len(sources)},
        id=snapshot.get("id", ""),
        created=display_created(str(snapshot.get("created") or "")),
        content_hash=snapshot.get("content_hash", ""),
        format=snapshot.get("format", ""),
        picture=picture,
        max_picture_nodes=MAX_PICTURE_NODES,
        events=_event_rows(snapshot, numbers),
        entities=_entity_rows(nodes, numbers),
        links=_link_rows(rels, names, numbers),
        sources=_source_items(sources),
        query=_query_rows(snapshot, names),
    )
