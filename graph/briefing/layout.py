"""Where every node and link label of a briefing picture goes (the steps: graph.briefing.render).

Pure Python, no numpy, seeded: the same snapshot gets the same coordinates on any machine.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import networkx as nx

from graph.briefing.metrics import text_width, wrap
from graph.briefing.styles import humanise, node_name, style_label
from graph.core.errors import InvalidInput

MAX_PICTURE_NODES = 150
SNAPSHOT_FORMAT = "crimegraph.snapshot/1"
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
    lines = tuple(wrap(node_name(node), NODE_LABEL_WIDTH, NODE_FONT, seed, NODE_LABEL_LINES))
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


def unit_vector(dx: float, dy: float) -> tuple[float, float]:
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
    ux, uy = unit_vector(bx - ax, by - ay)
    if both_ways:
        bend = 28.0  # the normal turns with the direction: the two ways bend apart
        control = ((ax + bx) / 2 - uy * bend, (ay + by) / 2 + ux * bend)
    toward_b = unit_vector((control or (bx, by))[0] - ax, (control or (bx, by))[1] - ay)
    toward_a = unit_vector((control or (ax, ay))[0] - bx, (control or (ax, ay))[1] - by)
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
                nx_, ny_ = unit_vector(-(ty - cy), tx - cx)
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
            ux, uy = unit_vector(
                pos[e.to_id][0] - pos[e.from_id][0], pos[e.to_id][1] - pos[e.from_id][1]
            )
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
    check_picture(snapshot)
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
            node_name(by_id[m]),
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


def check_snapshot(snapshot: dict[str, Any]) -> None:
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


def check_picture(snapshot: dict[str, Any]) -> None:
    check_snapshot(snapshot)
    count = len(snapshot.get("nodes") or [])
    if count == 0:
        raise InvalidInput("the snapshot holds no entity: there is nothing to draw")
    if count > MAX_PICTURE_NODES:
        raise InvalidInput(
            f"the snapshot holds {count} entities; a picture shows at most {MAX_PICTURE_NODES} "
            "legibly: narrow the snapshot (fewer hops, fewer relationship types or fewer "
            "starting entities) or use the HTML briefing's tables"
        )
