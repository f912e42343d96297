"""How legible the briefing pictures are: label overlaps and crossings, layout against layout.

    .venv/bin/python -m benchmarks.layout_quality --before cc9bf23

Freezes the snapshots tests/test_render.py draws (the 2-hop neighbourhoods of Mohamed Amra
and of the organized crime networks, from the seed graph in a fresh embedded engine), adds
two synthetic ones (40 and 150 entities, the cap), lays each out with graph/briefing/render.py as it
is in the work tree and, with --before REV, as it was at that commit (loaded from git), and
counts in each picture:

- node label overlaps: two node boxes (marker and wrapped name) that overlap;
- edge labels on node labels: a link's label box overlapping a node's box;
- edge label overlaps: two links' label boxes overlapping;
- edges through edge labels: a link's line passing through another link's label;
- edges through node labels: a link's line passing through the box of a node it does not
  join;
- edge crossings: two links' lines crossing (links sharing an end excepted);
- the picture's area, in thousands of square px (smaller is more compact).

Lower is better everywhere. Curved links (a pair linked both ways) are measured along
their curve. Prints a Markdown table; --snapshots FILE reuses frozen snapshots (written
there on the first run) instead of starting an engine.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from graph.briefing import layout as picture_layout
from graph.core.settings import REPO_ROOT, Settings
from graph.db.service import open_store
from graph.investigate.links import LinkFilter
from graph.investigate.snapshot import freeze_neighbourhood
from graph.model.schema import load_model
from seed.loader import load_seed
from tests.test_render import CREATED, synthetic

Snapshot = dict[str, Any]
METRICS = (
    "node label overlaps",
    "edge labels on node labels",
    "edge label overlaps",
    "edges through edge labels",
    "edges through node labels",
    "edge crossings",
    "area (kpx²)",
)


def seed_snapshots() -> dict[str, Snapshot]:
    """The two snapshots tests/test_render.py draws, frozen the same way."""
    model = load_model()
    types = LinkFilter(tuple(t for t in model.relationship_types if t != "MENTIONS"))
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), neo4j_uri=None, engine_heap="512m")
        with open_store(settings) as store:
            load_seed(store, model, settings.seed_dir / "data", settings.seed_dir / "documents")
            found = {
                "amra": store.run("search_entities", {"q": "amra", "label": "Person", "limit": 1}),
                "network": store.run(
                    "search_entities",
                    {"q": "organized crime networks", "label": "CriminalNetwork", "limit": 1},
                ),
            }
            snapshots = {}
            for key, title in (
                ("amra", "Mohamed Amra, 2 hops"),
                ("network", "Organized crime networks, 2 hops"),
            ):
                snapshot = freeze_neighbourhood(store, [found[key][0]["id"]], 2, types, title=title)
                snapshot["created"] = CREATED
                snapshots[key] = snapshot
    return snapshots


def module_at(revision: str) -> ModuleType:
    """The picture layout as it was at `revision` (graph/briefing/layout.py; before the rooms,
    graph/render.py), imported under another name."""
    for path in ("graph/briefing/layout.py", "graph/render.py"):
        shown = subprocess.run(
            ["git", "show", f"{revision}:{path}"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        if shown.returncode == 0:
            break
    shown.check_returncode()
    source = shown.stdout
    spec = importlib.util.spec_from_loader(f"render_at_{revision}", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    exec(compile(source, f"{revision}:{path}", "exec"), module.__dict__)
    return module


# --- library layouts in place of the stress majorization -------------------------------------


def igraph_layout(kind: str) -> Callable[..., dict[str, list[float]]]:
    """A stand-in for picture_layout._stress_layout from python-igraph: Kamada-Kawai (the same energy
    as stress majorization, weights 1/d², solved another way), Fruchterman-Reingold or
    classical MDS, started from the same seeded random positions or igraph's MDS, in the
    same units (EDGE_LENGTH per link length); everything after it (orientation, overlap
    removal, best of the seeded attempts, packing, label placement) is render's own."""
    import igraph

    def lay(
        members: list[str], dist: dict[str, dict[str, float]], rng: random.Random, mds: bool
    ) -> dict[str, list[float]]:
        sub = _component["sub"]
        if len(members) <= 2:
            return _hand["stress"](members, dist, rng, mds)
        index = {m: i for i, m in enumerate(members)}
        links = sorted((min(index[a], index[b]), max(index[a], index[b])) for a, b in sub.edges())
        lengths = [sub.edges[members[a], members[b]]["length"] for a, b in links]
        graph = igraph.Graph(n=len(members), edges=links)
        d = [[dist[a][b] for b in members] for a in members]
        if mds:
            start = [list(p) for p in graph.layout_mds(dist=d)]
        else:
            side = math.sqrt(len(members))
            start = [[rng.uniform(0.0, side), rng.uniform(0.0, side)] for _ in members]
        if kind == "kamada-kawai":
            coords = graph.layout_kamada_kawai(seed=start, weights=lengths)
        elif kind == "fruchterman-reingold":
            # it draws random numbers as it goes, from Python's global `random` unless told
            igraph.set_random_number_generator(random.Random(rng.random()))
            try:
                coords = graph.layout_fruchterman_reingold(
                    seed=start, weights=[1 / x for x in lengths], niter=1000
                )
            finally:
                igraph.set_random_number_generator(random)
        else:
            coords = graph.layout_mds(dist=d)
        scale = 1.0  # Kamada-Kawai and MDS work in the distances' own units, link lengths
        if kind == "fruchterman-reingold":  # its own units: make the mean link the ideal one
            scale = (sum(lengths) / len(lengths)) / (
                sum(math.dist(coords[a], coords[b]) for a, b in links) / len(links)
            )
        return {
            m: [
                p[0] * scale * picture_layout.EDGE_LENGTH,
                p[1] * scale * picture_layout.EDGE_LENGTH,
            ]
            for m, p in zip(members, coords, strict=True)
        }

    return lay


def graphviz_layout(kind: str) -> Callable[..., dict[str, list[float]]]:
    """A stand-in for picture_layout._stress_layout from Graphviz's neato (stress majorization, as
    render's own), through pygraphviz's wheel, which bundles Graphviz: links as long as
    render's ideal lengths, seeded start. With "neato-prism" the nodes are render's label
    boxes and Graphviz removes their overlaps itself (prism, BOX_PAD apart), so render's own
    overlap removal then finds nothing left to do."""
    import pygraphviz

    def lay(
        members: list[str], dist: dict[str, dict[str, float]], rng: random.Random, mds: bool
    ) -> dict[str, list[float]]:
        sub = _component["sub"]
        if len(members) <= 2:
            return _hand["stress"](members, dist, rng, mds)
        graph = pygraphviz.AGraph(strict=False, directed=False)
        graph.graph_attr.update(mode="major", start=str(rng.randrange(1, 2**31)))
        boxes = _component["boxes"]
        for m in members:
            box = boxes[m]
            graph.add_node(
                m,
                label="",
                shape="box",
                fixedsize="true",
                width=f"{(box.x1 - box.x0) / 72:.4f}",
                height=f"{(box.y1 - box.y0) / 72:.4f}",
            )
        if kind == "neato-prism":
            graph.graph_attr.update(overlap="prism", sep=f"+{picture_layout.BOX_PAD:g}")
        for a, b in sorted(tuple(sorted(edge)) for edge in sub.edges()):
            graph.add_edge(
                a, b, len=f"{sub.edges[a, b]['length'] * picture_layout.EDGE_LENGTH / 72:.4f}"
            )
        graph.layout(prog="neato")
        pos = {}
        for m in members:
            x, y = (float(v) for v in graph.get_node(m).attr["pos"].split(","))
            box = boxes[m]  # Graphviz places the box's centre, y upwards: back to the marker
            pos[m] = [x - (box.x0 + box.x1) / 2, -y - (box.y0 + box.y1) / 2]
        return pos

    return lay


_component: dict[str, Any] = {"boxes": {}}
_hand: dict[str, Any] = {}


@contextlib.contextmanager
def stress_layout_replaced(module: ModuleType, kind: str) -> Iterator[ModuleType]:
    """`module` (graph.briefing.layout) with its stress majorization replaced by a library's layout."""
    ideal, stress, shape = module._ideal_distances, module._stress_layout, module._node_shape

    def capture(sub: Any) -> dict[str, dict[str, float]]:
        _component["sub"] = sub
        return ideal(sub)

    def capture_shape(node: dict[str, Any], seed: bool) -> Any:
        lines, box = shape(node, seed)
        _component["boxes"][node["id"]] = box
        return lines, box

    _hand["stress"] = stress
    module._ideal_distances, module._node_shape = capture, capture_shape
    module._stress_layout = (
        graphviz_layout(kind) if kind.startswith("neato") else igraph_layout(kind)
    )
    try:
        yield module
    finally:
        module._ideal_distances, module._stress_layout = ideal, stress
        module._node_shape = shape


# --- geometry -------------------------------------------------------------------------------

Point = tuple[float, float]


def polyline(edge: Any) -> list[Point]:
    """The link's line as segments: straight, or its quadratic curve in 16 pieces."""
    if edge.control is None:
        return [edge.start, edge.end]
    (sx, sy), (cx, cy), (ex, ey) = edge.start, edge.control, edge.end
    points = []
    for k in range(17):
        t = k / 16
        u = 1 - t
        points.append(
            (u * u * sx + 2 * u * t * cx + t * t * ex, u * u * sy + 2 * u * t * cy + t * t * ey)
        )
    return points


# The geometry below is the measuring tool's own, not graph.briefing.render's (which has a clipping test
# of its own for its repair rounds): it measures layouts of other revisions (`--before`) and of
# other libraries, so it must not change with the code it measures.


def overlaps(a: Any, b: Any) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def segment_in_box(p: Point, q: Point, box: Any) -> bool:
    """Whether the segment p-q passes through the box's inside (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for edge_p, edge_q in (
        (-dx, p[0] - box.x0),
        (dx, box.x1 - p[0]),
        (-dy, p[1] - box.y0),
        (dy, box.y1 - p[1]),
    ):
        if edge_p == 0:
            if edge_q <= 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 >= t1:
            return False
    return True


def line_in_box(line: list[Point], box: Any) -> bool:
    return any(segment_in_box(p, q, box) for p, q in itertools.pairwise(line))


def segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    def side(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return side(q1, q2, p1) * side(q1, q2, p2) < 0 and side(p1, p2, q1) * side(p1, p2, q2) < 0


def lines_cross(a: list[Point], b: list[Point]) -> bool:
    return any(
        segments_cross(p1, p2, q1, q2)
        for p1, p2 in itertools.pairwise(a)
        for q1, q2 in itertools.pairwise(b)
    )


def measure(geo: Any) -> dict[str, float]:
    nodes = list(geo.nodes)
    edges = list(geo.edges)
    lines = [polyline(e) for e in edges]
    counts = dict.fromkeys(METRICS, 0.0)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            counts["node label overlaps"] += overlaps(a.box, b.box)
    for i, e in enumerate(edges):
        for n in nodes:
            counts["edge labels on node labels"] += overlaps(e.label_box, n.box)
            if n.id not in (e.from_id, e.to_id):
                counts["edges through node labels"] += line_in_box(lines[i], n.box)
        for j, f in enumerate(edges):
            if j == i:
                continue
            counts["edges through edge labels"] += line_in_box(lines[i], f.label_box)
            if j > i:
                counts["edge label overlaps"] += overlaps(e.label_box, f.label_box)
                shared = {e.from_id, e.to_id} & {f.from_id, f.to_id}
                counts["edge crossings"] += not shared and lines_cross(lines[i], lines[j])
    counts["area (kpx²)"] = round(geo.width * geo.height / 1000)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="a git revision whose graph/briefing/render.py to compare")
    parser.add_argument("--snapshots", type=Path, help="frozen snapshots (JSON), reused")
    parser.add_argument(
        "--igraph",
        action="append",
        default=[],
        choices=("kamada-kawai", "fruchterman-reingold", "mds"),
        help="also lay out with this igraph layout in place of the stress majorization "
        "(needs `pip install igraph`); repeatable",
    )
    parser.add_argument(
        "--graphviz",
        action="append",
        default=[],
        choices=("neato", "neato-prism"),
        help="also lay out with Graphviz's neato in place of the stress majorization "
        "(needs `pip install pygraphviz`, whose wheel bundles Graphviz); repeatable",
    )
    args = parser.parse_args()
    if args.snapshots and args.snapshots.exists():
        snapshots = json.loads(args.snapshots.read_text())
    else:
        snapshots = seed_snapshots()
        if args.snapshots:
            args.snapshots.write_text(json.dumps(snapshots, sort_keys=True))
    snapshots["synthetic-40"] = synthetic(40)
    snapshots["synthetic-150"] = synthetic(picture_layout.MAX_PICTURE_NODES)
    versions: list[tuple[str, Any, str | None]] = []
    if args.before:
        versions.append((f"before ({args.before})", module_at(args.before), None))
    versions.append(("now", picture_layout, None))
    versions += [(f"igraph {kind}", picture_layout, kind) for kind in args.igraph]
    versions += [(f"graphviz {kind}", picture_layout, kind) for kind in args.graphviz]
    print(
        "| snapshot | entities | links | layout | "
        + " | ".join(METRICS)
        + " | layout s |\n|---|---:|---:|---|"
        + "---:|" * (len(METRICS) + 1)
    )
    for key, snapshot in snapshots.items():
        for name, module, kind in versions:
            with contextlib.ExitStack() as stack:
                if kind:
                    stack.enter_context(stress_layout_replaced(module, kind))
                started = time.perf_counter()
                geo = module.layout(snapshot)
                seconds = time.perf_counter() - started
            counts = measure(geo)
            print(
                f"| {key} | {len(geo.nodes)} | {len(geo.edges)} | {name} | "
                + " | ".join(f"{counts[m]:g}" for m in METRICS)
                + f" | {seconds:.2f} |"
            )


if __name__ == "__main__":
    main()
