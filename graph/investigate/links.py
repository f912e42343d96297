"""Link questions answered with their evidence: neighbourhoods, shortest paths, and how
criminal networks connect to facilities.

Traversals run hop by hop through the named query `expand_frontier`, so the type, confidence,
grading and date filters hold on every hop, on every engine (see graph.db.dialect: ArcadeDB
applies a shortestPath WHERE only after the search). Every link carries its evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from graph.access import visibility
from graph.core.errors import InvalidInput, NotFound
from graph.db.store import Row, Store
from graph.model.schema import parse_grading, parse_partial_date

FRONTIER_CAP = 10_000  # links one hop may bring back before a traversal reports truncation


@dataclass(frozen=True)
class LinkFilter:
    """Which links a question may use: by type, confidence, Admiralty grade and date."""

    types: tuple[str, ...]
    min_confidence: int = 0
    max_reliability: str = "F"
    max_credibility: int = 6
    since: str = "0000"
    until: str = "9999"

    @classmethod
    def build(
        cls,
        types: tuple[str, ...],
        min_confidence: int = 0,
        min_grade: str | None = None,
        since: str | None = None,
        until: str | None = None,
        fields: tuple[str, str] = ("since", "until"),
    ) -> LinkFilter:
        """`fields` names the date bounds as the caller's user wrote them (the API's
        /incidents takes them as `from` and `to`), so an error points at what was sent."""
        reliability, credibility = "F", 6
        if min_grade:
            grade = parse_grading(min_grade.upper())
            if grade is None:
                raise InvalidInput(
                    f"min_grade {min_grade!r} is not an Admiralty code such as B2",
                    details=[{"field": "query.min_grade", "message": "letter A-F then digit 1-6"}],
                )
            reliability, credibility = grade
        for name, value in zip(fields, (since, until), strict=True):
            if value is not None:
                try:
                    parse_partial_date(value)  # the CLI's and the imports' own check
                except ValueError as exc:
                    raise InvalidInput(
                        f"{name}: {exc}",
                        details=[
                            {"field": f"query.{name}", "message": "YYYY, YYYY-MM or YYYY-MM-DD"}
                        ],
                    ) from None
        if since and until:
            shortest = min(len(since), len(until))
            if since[:shortest] > until[:shortest]:
                raise InvalidInput(
                    f"the range starts ({since}) after it ends ({until})",
                    details=[
                        {"field": f"query.{fields[1]}", "message": "must not be before the start"}
                    ],
                )
        return cls(
            types, min_confidence, reliability, credibility, since or "0000", until or "9999"
        )

    def dated(
        self, since: str | None, until: str | None, fields: tuple[str, str] = ("since", "until")
    ) -> LinkFilter:
        """The same filter limited to a date range (checked as in build)."""
        checked = LinkFilter.build(self.types, self.min_confidence, None, since, until, fields)
        return replace(self, since=checked.since, until=checked.until)

    def admits(self, date: str | None) -> bool:
        """Whether a traversal may enter an entity with this date: expand_frontier's test
        (undated: yes; date and bounds compared cut to the shorter of the two)."""
        if not date:
            return True
        return (
            date[: len(self.since)] >= self.since[: len(date)]
            and date[: len(self.until)] <= self.until[: len(date)]
        )

    def grading_params(self) -> dict[str, Any]:
        return {
            "min_confidence": self.min_confidence,
            "max_reliability": self.max_reliability,
            "max_credibility": self.max_credibility,
        }

    def params(self) -> dict[str, Any]:
        return {
            "types": list(self.types),
            **self.grading_params(),
            "since": self.since,
            "until": self.until,
        }


@dataclass(frozen=True)
class Link:
    """One relationship with its evidence."""

    id: str
    type: str
    from_id: str
    to_id: str
    source_ids: tuple[str, ...]
    quote: str
    confidence: int
    grading: str

    @classmethod
    def from_row(cls, row: Row) -> Link:
        return cls(
            id=row["id"],
            type=row["type"],
            from_id=row["from_id"],
            to_id=row["to_id"],
            source_ids=tuple(row.get("source_ids") or ()),
            quote=row.get("quote") or "",
            confidence=row.get("confidence") or 0,
            grading=f"{row.get('reliability') or 'F'}{row.get('credibility') or 6}",
        )


@dataclass(frozen=True)
class EntityRef:
    id: str
    name: str
    labels: tuple[str, ...]
    date: str | None = None
    date_precision: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> EntityRef:
        return cls(
            id=row["id"],
            name=row.get("name") or row["id"],
            labels=tuple(sorted(row.get("labels") or ())),
            date=row.get("date"),
            date_precision=row.get("date_precision"),
        )


@dataclass(frozen=True)
class EvidencePath:
    nodes: tuple[EntityRef, ...]
    links: tuple[Link, ...]

    @property
    def length(self) -> int:
        return len(self.links)

    @property
    def source_ids(self) -> set[str]:
        return {s for link in self.links for s in link.source_ids}


@dataclass
class Subgraph:
    nodes: list[EntityRef]
    links: list[Link]
    truncated: bool


def entities(store: Store, ids: list[str]) -> dict[str, EntityRef]:
    if not ids:
        return {}
    return {
        row["id"]: EntityRef.from_row(row) for row in store.run("entities_by_ids", {"ids": ids})
    }


def require_entity(store: Store, entity_id: str, label: str = "Entity") -> EntityRef:
    """The entity, or NotFound (also when it lacks the label the question needs)."""
    found = entities(store, [entity_id]).get(entity_id)
    if found is None:
        raise visibility.entity_not_found(store, entity_id)  # unknown or hidden: one answer
    if label not in found.labels:
        kinds = [x for x in found.labels if x != "Entity"]
        raise NotFound(f"{entity_id!r} is not a {label} (it is: {', '.join(kinds)})")
    return found


def _expand(store: Store, ids: list[str], flt: LinkFilter, cap: int) -> list[Row]:
    return store.run("expand_frontier", {"ids": ids, **flt.params(), "limit": cap})


def _neighbour_ref(row: Row) -> EntityRef:
    """The entity an expand_frontier row enters, from the row itself (no second lookup)."""
    return EntityRef(
        id=row["neighbor_id"],
        name=row.get("neighbor_name") or row["neighbor_id"],
        labels=tuple(sorted(row.get("neighbor_labels") or ())),
        date=row.get("neighbor_date"),
        date_precision=row.get("neighbor_date_precision"),
    )


def neighbourhood(store: Store, start_id: str, depth: int, flt: LinkFilter, limit: int) -> Subgraph:
    """Entities within `depth` hops and the links between them, at most `limit` links."""
    start = require_entity(store, start_id)
    seen = {start_id}
    links: dict[str, Link] = {}
    # Every entity entered arrives as the neighbour of a kept link, with its name and labels.
    refs: dict[str, EntityRef] = {start_id: start}
    frontier = [start_id]
    truncated = False
    for _ in range(depth):
        if not frontier:
            break
        # A level's rows repeat links: each frontier entity's link back to the level before,
        # and a link between two frontier entities once from each end. So rows may hold the
        # links kept so far plus every new link twice: with this cap, a full page of rows
        # proves more than `limit` links exist, and a shorter one is the whole level.
        rows = _expand(store, frontier, flt, len(links) + 2 * (limit - len(links) + 1))
        next_frontier: list[str] = []
        for row in rows:
            if row["id"] not in links:
                if len(links) == limit:
                    truncated = True
                    break
                links[row["id"]] = Link.from_row(row)
            neighbour = row["neighbor_id"]
            if neighbour not in seen:
                seen.add(neighbour)
                next_frontier.append(neighbour)
                refs[neighbour] = _neighbour_ref(row)
        if truncated:
            break
        frontier = next_frontier
    ids = sorted({i for link in links.values() for i in (link.from_id, link.to_id)} | {start_id})
    return Subgraph([refs[i] for i in ids if i in refs], list(links.values()), truncated)


Tree = dict[str, list[tuple[str, Link]]]  # entity -> (neighbour one hop nearer the root, link)


def _bfs_level(
    store: Store, frontier: list[str], tree: Tree, flt: LinkFilter, refs: dict[str, EntityRef]
) -> Tree:
    """One breadth-first level: entities not yet in the tree, each with every link that
    reaches it from the frontier (several links: several shortest paths). Entities entered
    are added to refs."""
    level: Tree = defaultdict(list)
    for row in _expand(store, frontier, flt, FRONTIER_CAP):
        neighbour = row["neighbor_id"]
        if neighbour not in tree:  # reached at an earlier level: not on a shortest path
            level[neighbour].append((row["node_id"], Link.from_row(row)))
            if neighbour not in refs:
                refs[neighbour] = _neighbour_ref(row)
    return level


def _chains(tree: Tree, node: str, root: str) -> Iterator[tuple[list[str], list[Link]]]:
    """Paths from node back to the root of a BFS tree, in link id order."""
    if node == root:
        yield [node], []
        return
    for parent, link in sorted(tree[node], key=lambda p: p[1].id):
        for nodes, links in _chains(tree, parent, root):
            yield [node, *nodes], [link, *links]


def shortest_paths(
    store: Store, from_id: str, to_id: str, max_hops: int, flt: LinkFilter, max_paths: int = 10
) -> list[EvidencePath]:
    """All shortest paths (up to max_paths) from one entity to another within max_hops.

    The search runs from both ends, a level at a time from the smaller frontier, until the
    two meet: each side explores about half the depth, far fewer entities than one search
    from the start, and an end in a small component stops the search as soon as its side
    runs dry (benchmarks/README.md: shortest paths at scale)."""
    if from_id == to_id:
        raise InvalidInput(
            "from and to are the same entity",
            details=[{"field": "query.to", "message": "must differ from from"}],
        )
    # Both ends in one lookup; every entity entered later arrives with its name and labels.
    refs = entities(store, [from_id, to_id])
    for end in (from_id, to_id):
        if end not in refs:
            raise visibility.entity_not_found(store, end)  # unknown or hidden: one answer
    start, target = refs[from_id], refs[to_id]
    missing = NotFound(
        f"no path from {from_id!r} to {to_id!r} within {max_hops} hop(s) with these filters"
    )
    if not flt.admits(target.date):
        raise missing  # a traversal never enters it
    # The start itself is never entered, so its date does not count; the backward search
    # would have to enter it, so with a start outside the date range only the forward
    # search runs.
    both_ways = flt.admits(start.date)
    forward: Tree = {from_id: []}
    backward: Tree = {to_id: []}
    ahead, behind = [from_id], [to_id]
    meeting: list[str] = []
    for _ in range(max_hops):
        if not ahead or not behind or meeting:
            break
        if not both_ways or len(ahead) <= len(behind):
            level = _bfs_level(store, ahead, forward, flt, refs)
            forward.update(level)
            ahead = list(level)
            meeting = [n for n in level if n in backward]
        else:
            level = _bfs_level(store, behind, backward, flt, refs)
            backward.update(level)
            behind = list(level)
            meeting = [n for n in level if n in forward]
    if not meeting:
        raise missing

    def joined() -> Iterator[tuple[list[str], list[Link]]]:
        # Every shortest path crosses the last level at exactly one meeting entity.
        for middle in sorted(meeting):
            for head_nodes, head_links in _chains(forward, middle, from_id):
                for tail_nodes, tail_links in _chains(backward, middle, to_id):
                    yield (
                        [*reversed(head_nodes), *tail_nodes[1:]],
                        [*reversed(head_links), *tail_links],
                    )

    paths = list(islice(joined(), max_paths))
    return [
        EvidencePath(tuple(refs[n] for n in nodes), tuple(links))
        for nodes, links in sorted(paths, key=lambda p: [link.id for link in p[1]])
    ]


CONNECTION_KINDS = {
    "attack_attributed_to_network": "an attack on the facility is attributed to the network",
    "attack_in_wave_attributed_to_network": "an attack on the facility is part of a wave attributed to the network",
    "member_detained_there": "a member of the network is detained there",
    "member_involved_in_incident_there": "a member of the network took part in an incident there",
    "supplier_contraband_seized_there": "contraband from the network's supplier was seized there",
}


@dataclass
class Connection:
    """How one network and one facility connect: each kind with its shortest evidence path."""

    network: EntityRef
    facility: EntityRef
    paths_by_kind: dict[str, EvidencePath] = field(default_factory=dict)
    source_ids: set[str] = field(default_factory=set)
    evidence_paths: int = 0

    @property
    def shortest(self) -> EvidencePath:
        return min(self.paths_by_kind.values(), key=lambda p: (p.length, [x.id for x in p.links]))


def network_facility_connections(
    store: Store, flt: LinkFilter, network_id: str = "", facility_id: str = ""
) -> list[Connection]:
    """Connections between networks and facilities, ranked by independent sources."""
    # A question about one network or one facility is searched from it (the general query
    # enumerates every network's patterns first), and answered with one row per kind of
    # connection: its shortest path, the number of paths and all their sources (a large
    # network has thousands of paths).
    anchored = {"types": list(flt.types), **flt.grading_params()}
    if network_id and not facility_id:
        rows = store.run("network_facilities", {"network_id": network_id, **anchored})
    elif facility_id and not network_id:
        rows = store.run("facility_networks", {"facility_id": facility_id, **anchored})
    else:
        rows = store.run(
            "network_facility_links",
            {"network_id": network_id, "facility_id": facility_id, **flt.grading_params()},
        )
    connections: dict[tuple[str, str], Connection] = {}
    allowed = set(flt.types)
    for row in rows:
        if any(link["type"] not in allowed for link in row["links"]):
            continue  # the path uses a relationship type the question leaves out
        key = (row["network_id"], row["facility_id"])
        nodes = tuple(EntityRef.from_row(n) for n in row["nodes"])
        path = EvidencePath(nodes, tuple(Link.from_row(link) for link in row["links"]))
        connection = connections.get(key)
        if connection is None:
            connection = connections[key] = Connection(network=nodes[0], facility=nodes[-1])
        connection.evidence_paths += row.get("paths", 1)
        connection.source_ids |= set(row["source_ids"]) if "source_ids" in row else path.source_ids
        known = connection.paths_by_kind.get(row["kind"])
        if known is None or (path.length, [x.id for x in path.links]) < (
            known.length,
            [x.id for x in known.links],
        ):
            connection.paths_by_kind[row["kind"]] = path
    return sorted(
        connections.values(),
        key=lambda c: (-len(c.source_ids), c.shortest.length, c.facility.name, c.network.name),
    )
