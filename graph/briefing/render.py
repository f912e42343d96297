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

The markup comes from Jinja2 templates in graph/briefing/templates (picture.svg.j2, briefing.html.j2,
briefing.css), autoescaped; this module computes what they show and every coordinate.
The layout stays hand-written: benchmarks/layout_quality.py measured Graphviz's neato and
igraph's layouts in its place on the seed snapshots, at 40 entities and at the cap; none was
at least as legible on all of them (benchmarks/README.md, "Legibility of the briefing
pictures").
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import jinja2
import networkx as nx
from markupsafe import Markup

from graph.briefing.layout import (
    EDGE_FONT,
    MARKER,
    MAX_PICTURE_NODES,
    NODE_FONT,
    NODE_LINE,
    SEED_RING,
    Layout,
    check_snapshot,
    layout,
    unit_vector,
)
from graph.briefing.metrics import ASCENT, text_width, wrap
from graph.briefing.styles import (
    READING_ORDER,
    display_label,
    humanise,
    label_style,
    marker_shape,
    node_name,
    num,
    rect_attrs,
    style_label,
)
from graph.core.errors import InvalidInput
from graph.core.text import MONTHS, display_date

FONT_STACK = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif"

MARGIN = 32.0
MIN_WIDTH = 960.0
DASH = "\u2013"
SEP = " \u00b7 "
TEXT = "#1f2328"
MUTED = "#59636e"
EDGE = "#8c959f"
EDGE_DARK = "#57606a"

# --- small helpers ------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ISO_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")


def _xml_text(value: object) -> object:
    """What the templates write for a value: XML-illegal characters replaced (markup, the
    picture inside the briefing, is left as it is); autoescaping then escapes it."""
    return value if isinstance(value, Markup) else _XML_ILLEGAL.sub("\ufffd", str(value))


# Templates are package data (graph/briefing/templates), read through importlib.resources.
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("graph.briefing", "templates"),
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


# --- SVG ----------------------------------------------------------------------------------


def _source_numbers(snapshot: dict[str, Any]) -> dict[str, int]:
    return {s["id"]: i for i, s in enumerate(snapshot.get("sources") or [], start=1)}


def _refs(props: dict[str, Any], numbers: dict[str, int]) -> str:
    return "".join(f"[{numbers[s]}]" for s in props.get("source_ids") or [] if s in numbers)


def describe_query(snapshot: dict[str, Any]) -> str:
    query = snapshot.get("query") or {}
    names = {n["id"]: node_name(n) for n in snapshot.get("nodes") or []}
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
    lines = [node_name(node), labels]
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
        "x": num(x),
        "y": num(y),
        "text": text,
        "size": num(size),
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
        y += 22 * ASCENT
        header.append(_text(MARGIN, y, line, 22, bold=True))
        y += 22 * 0.3
    rel_count = len(snapshot.get("relationships") or [])
    counts = f"{len(geo.nodes)} entities{SEP}{rel_count} relationships"
    for line in wrap(f"{describe_query(snapshot)}{SEP}{counts}", inner, 12.5, max_lines=2):
        y += 8 + 12.5 * ASCENT
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
                "marker": marker_shape(label_style(label), x + 9, cy, 7.0, 1.1),
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
        back = unit_vector(*((ex - ctrl[0], ey - ctrl[1]) if ctrl else (ex - sx, ey - sy)))
        bx, by = ex - back[0] * 8, ey - back[1] * 8  # the line stops inside the arrowhead
        if ctrl is None:
            path = f"M{num(sx)},{num(sy)} L{num(bx)},{num(by)}"
        else:
            path = f"M{num(sx)},{num(sy)} Q{num(ctrl[0])},{num(ctrl[1])} {num(bx)},{num(by)}"
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
                f"{node_name(nodes[rel['from_id']])} \u2014 {rel['type']} \u2192 {node_name(nodes[rel['to_id']])}"
                f" ({grading(props)}, confidence {props.get('confidence', '?')}%) {_refs(props, numbers)}"
                + (f"\n\u201c{props['quote']}\u201d" if props.get("quote") else "")
            )
        links.append(
            {
                "types": " ".join(e.types),
                "tooltip": "\n".join(tip),
                "path": path,
                "arrow": " ".join(f"{num(a)},{num(b)}" for a, b in arrow),
            }
        )
        lx, ly = at(e.label_at)
        box = e.label_box.moved(ox, oy)
        link_labels.append(
            {
                **rect_attrs(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0),
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
                "ring": {"cx": num(cx), "cy": num(cy), "r": num(SEED_RING - 1)} if n.seed else None,
                "marker": marker_shape(label_style(n.label), cx, cy, MARKER),
                "background": rect_attrs(
                    cx - text_w / 2 - 3, top - 1, text_w + 6, len(n.lines) * NODE_LINE + 3
                ),
                "font_size": num(NODE_FONT),
                "bold": n.seed,
                "lines": [
                    {"x": num(cx), "y": num(top + NODE_FONT * ASCENT + k * NODE_LINE), "text": line}
                    for k, line in enumerate(n.lines)
                ],
            }
        )
    return {"links": links, "link_labels": link_labels, "nodes": drawn}


def _svg_footer(snapshot: dict[str, Any], width: float, y: float) -> tuple[dict[str, Any], float]:
    """A rule, then the snapshot's identity and the sources cited; and where the footer ends."""
    inner = width - 2 * MARGIN
    footer: dict[str, Any] = {"x1": num(MARGIN), "x2": num(width - MARGIN), "y": num(y)}
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
    events.sort(key=lambda n: (*_date_key(n["properties"]), node_name(n).lower(), n["id"]))
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
                "fill": label_style(label).fill,
                "stroke": label_style(label).stroke,
                "when": display_date(
                    props.get("date"), props.get("date_precision"), props.get("date_text")
                ),
                # what the source said, beside a date less precise than a day
                "said": props["date_text"]
                if props.get("date")
                and props.get("date_text")
                and props.get("date_precision") != "day"
                else None,
                "name": node_name(node),
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
        nodes,
        key=lambda n: (order.get(style_label(n["labels"]), 99), node_name(n).lower(), n["id"]),
    ):
        props = node["properties"]
        shown = style_label(node["labels"])
        broader = [label for label in node["labels"] if label not in ("Entity", shown)]
        rows.append(
            {
                "name": node_name(node),
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
    check_snapshot(snapshot)
    nodes = sorted(snapshot.get("nodes") or [], key=lambda n: n["id"])
    rels = sorted(snapshot.get("relationships") or [], key=lambda r: r["id"])
    sources = snapshot.get("sources") or []
    numbers = _source_numbers(snapshot)
    names = {n["id"]: node_name(n) for n in nodes}
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
