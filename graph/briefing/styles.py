"""How each label is drawn in the briefings: shape, fill and stroke, names in the legend."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from graph.briefing.palette import FALLBACK_STYLE, STYLES, Style

# --- styles -------------------------------------------------------------------------------


# The palette (one per label, shared with /explore and the Neo4j Browser): graph.briefing.palette.
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


def label_style(label: str) -> Style:
    return STYLES.get(label, FALLBACK_STYLE)


def num(value: float) -> str:
    """A coordinate as written in SVG: one decimal, no "-0"."""
    text = f"{value:.1f}"
    return "0" if text in ("0.0", "-0.0") else text.removesuffix(".0")


def _polygon(points: Sequence[tuple[float, float]], x: float, y: float, size: float) -> str:
    return " ".join(f"{num(x + px * size)},{num(y + py * size)}" for px, py in points)


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


def marker_shape(
    style: Style, x: float, y: float, size: float, stroke_width: float = 1.4
) -> dict[str, str]:
    """A marker's element and its attributes as written (the template's `marker` draws it)."""
    paint = {"fill": style.fill, "stroke": style.stroke, "stroke_width": num(stroke_width)}
    if style.shape == "circle":
        return {"tag": "circle", "cx": num(x), "cy": num(y), "r": num(size), **paint}
    if style.shape in ("square", "pill"):
        w, h, rx = (
            (1.8 * size, 1.8 * size, size * 0.18)
            if style.shape == "square"
            else (2.5 * size, 1.5 * size, 0.75 * size)
        )
        return {
            "tag": "rect",
            **rect_attrs(x - w / 2, y - h / 2, w, h),
            "rx": num(rx),
            **paint,
        }
    return {"tag": "polygon", "points": _polygon(_SHAPES[style.shape], x, y, size), **paint}


def rect_attrs(x: float, y: float, width: float, height: float) -> dict[str, str]:
    return {"x": num(x), "y": num(y), "width": num(width), "height": num(height)}


def humanise(rel_type: str) -> str:
    """ATTRIBUTED_TO -> "attributed to"."""
    return rel_type.replace("_", " ").lower()


def node_name(node: dict[str, Any]) -> str:
    return str(node["properties"].get("name") or node["id"])
