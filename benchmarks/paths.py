"""Each link question three ways, for side-by-side timing in one run:

- project: crimegraph's functions over graph.db.store (named queries, checks, evidence);
- raw: the same Cypher text with the same parameters through the neo4j driver directly
  (`driver.execute_query`), with the same Python around it (the hop-by-hop loop of a
  traversal, the networkx computation of key players), so the ratio is the cost of the
  named-query layer;
- http: the API endpoint that answers the question, through a keep-alive client.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import neo4j
import networkx as nx
from neo4j import GraphDatabase

from graph.core.errors import NotFound
from graph.db.queries import HANDLING_PARAMS
from graph.db.store import Store
from graph.investigate.analytics import ANALYTICS_LINK_CAP, key_players
from graph.investigate.links import (
    FRONTIER_CAP,
    LinkFilter,
    neighbourhood,
    network_facility_connections,
    require_entity,
    shortest_paths,
)

INCIDENT_LABELS = ["Attack", "Escape", "Arrest", "Seizure", "Operation"]


class Raw:
    """Named queries' text run by the driver directly, as an application would."""

    def __init__(self, store: Store) -> None:
        conn = store.connection
        self.queries = store.queries
        self.database = conn.database
        self.driver = GraphDatabase.driver(conn.uri, auth=conn.read_auth)

    def close(self) -> None:
        self.driver.close()

    def run(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        query = self.queries[name]
        values = dict(params)
        if any(p.name in HANDLING_PARAMS for p in query.params):
            values.update(handling_all=True, handling_codes=[])
        records, _, keys = self.driver.execute_query(
            query.body, values, database_=self.database, routing_=neo4j.RoutingControl.READ
        )
        # The fastest conversion of plain rows, the one graph.db.store uses (Record.data() costs
        # ten times as much): the ratio is then the layer's cost, not a slower idiom's.
        return [dict(zip(keys, record, strict=True)) for record in records]


# --- the raw versions of graph.investigate.links and graph.investigate.analytics, line for line -------------------


def raw_entities(raw: Raw, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in raw.run("entities_by_ids", {"ids": ids})} if ids else {}


def raw_neighbourhood(raw: Raw, start: str, depth: int, flt: LinkFilter, limit: int) -> int:
    if start not in raw_entities(raw, [start]):
        raise NotFound(start)
    seen, links, frontier = {start}, {}, [start]
    for _ in range(depth):
        if not frontier:
            break
        rows = raw.run("expand_frontier", {"ids": frontier, **flt.params(), "limit": limit + 1})
        next_frontier = []
        full = False
        for row in rows:
            if row["id"] not in links:
                if len(links) == limit:
                    full = True
                    break
                links[row["id"]] = row
            if row["neighbor_id"] not in seen:
                seen.add(row["neighbor_id"])
                next_frontier.append(row["neighbor_id"])
        if full:
            break
        frontier = next_frontier
    return len(links)  # the neighbours' names and labels came with the links


def raw_paths(raw: Raw, a: str, b: str, max_hops: int, flt: LinkFilter) -> int:
    """graph.investigate.links.shortest_paths with the driver: the same queries in the same order."""
    ends = raw_entities(raw, [a, b])
    if len(ends) < 2 or not flt.admits(ends[b]["date"]):
        raise NotFound(b)
    both = flt.admits(ends[a]["date"])
    Tree = dict[str, list[tuple[str, dict[str, Any]]]]

    def level_of(frontier: list[str], tree: Tree) -> Tree:
        level: Tree = defaultdict(list)
        params = {"ids": frontier, **flt.params(), "limit": FRONTIER_CAP}
        for row in raw.run("expand_frontier", params):
            if row["neighbor_id"] not in tree:
                level[row["neighbor_id"]].append((row["node_id"], row))
        return level

    forward: Tree = {a: []}
    backward: Tree = {b: []}
    ahead, behind, meeting = [a], [b], []
    for _ in range(max_hops):
        if not ahead or not behind or meeting:
            break
        if not both or len(ahead) <= len(behind):
            level = level_of(ahead, forward)
            forward.update(level)
            ahead, meeting = list(level), [n for n in level if n in backward]
        else:
            level = level_of(behind, backward)
            backward.update(level)
            behind, meeting = list(level), [n for n in level if n in forward]
    if not meeting:
        raise NotFound(b)

    def chains(tree: Tree, node: str, root: str) -> list[list[str]]:
        if node == root:
            return [[node]]
        return [[node, *rest] for parent, _ in tree[node] for rest in chains(tree, parent, root)]

    paths = [
        [*reversed(head), *tail[1:]]
        for middle in sorted(meeting)
        for head in chains(forward, middle, a)
        for tail in chains(backward, middle, b)
    ][:10]
    return len(paths)  # the entities on them came with the rows that entered them


def raw_network_facilities(raw: Raw, network: str, flt: LinkFilter) -> int:
    raw_entities(raw, [network])
    params = {"network_id": network, "types": list(flt.types), **flt.grading_params()}
    rows = raw.run("network_facilities", params)
    return len(rows)


def raw_timeline(raw: Raw, network: str, flt: LinkFilter) -> int:
    raw_entities(raw, [network])
    return len(raw.run("incidents", timeline_params(network, flt)))


def timeline_params(network: str, flt: LinkFilter) -> dict[str, Any]:
    return {
        "labels": INCIDENT_LABELS,
        "since": flt.since,
        "until": flt.until,
        "facility_id": "",
        "network_id": network,
        **flt.grading_params(),
    }


def raw_key_players(raw: Raw, scope: str, flt: LinkFilter) -> int:
    raw_entities(raw, [scope])
    graph: nx.Graph[str] = nx.Graph()
    # Same subgraph as graph.investigate.analytics: the 2-hop neighbourhood, loaded the same way.
    seen, frontier, links = {scope}, [scope], {}
    for _ in range(2):
        rows = raw.run(
            "expand_frontier", {"ids": frontier, **flt.params(), "limit": ANALYTICS_LINK_CAP + 1}
        )
        next_frontier = []
        for row in rows:
            links.setdefault(row["id"], (row["from_id"], row["to_id"]))
            if row["neighbor_id"] not in seen:
                seen.add(row["neighbor_id"])
                next_frontier.append(row["neighbor_id"])
        frontier = next_frontier
    graph.add_nodes_from(seen)
    graph.add_edges_from(links.values())
    ranked = key_player_ranking(graph)
    raw_entities(raw, ranked)
    return len(ranked)


def key_player_ranking(graph: nx.Graph[str]) -> list[str]:
    """What graph.investigate.analytics computes on the subgraph (its own function is not separable)."""
    from graph.investigate import analytics

    betweenness, _ = analytics.centrality(graph)
    return sorted(graph.nodes, key=lambda n: (-betweenness.get(n, 0.0), -graph.degree(n), n))


# --- the questions ---------------------------------------------------------------------------


@dataclass
class Question:
    name: str
    project: Callable[[], object]
    raw: Callable[[], object]
    http: Callable[[], object]
    kind: str  # "2-hop", "network-facilities", "path", "timeline", "key-players"


def _http(client: httpx.Client, path: str, params: dict[str, Any], ok: tuple[int, ...] = (200,)):
    def call() -> int:
        response = client.get(path, params=params)
        if response.status_code not in ok:
            raise RuntimeError(f"{path}: HTTP {response.status_code} {response.text[:300]}")
        return len(response.content)

    return call


def _expect_not_found(call: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        try:
            call()
        except NotFound:
            return None
        raise RuntimeError("expected no path")

    return run


def questions(
    store: Store,
    raw: Raw,
    client: httpx.Client,
    flt: LinkFilter,
    probes: dict[str, Any],
    reachable: tuple[str, str],
) -> list[Question]:
    member = probes["members"][0]
    network = probes["networks"][0]
    big = probes["big_network"]
    a, b = reachable
    unreachable = (member, probes["isolated_member"])

    def p_neighbours(start: str) -> Callable[[], object]:
        return lambda: neighbourhood(store, start, 2, flt, 200)

    def p_facilities(nw: str) -> Callable[[], object]:
        def run() -> object:
            require_entity(store, nw, "CriminalNetwork")
            return network_facility_connections(store, flt, network_id=nw)

        return run

    def p_paths(x: str, y: str) -> Callable[[], object]:
        return lambda: shortest_paths(store, x, y, 6, flt)

    def p_timeline(nw: str) -> Callable[[], object]:
        def run() -> object:
            require_entity(store, nw, "Organization")
            return store.run("incidents", timeline_params(nw, flt))

        return run

    def p_key_players(scope: str) -> Callable[[], object]:
        def run() -> object:
            require_entity(store, scope)
            return key_players(store, flt, scope, 10)

        return run

    return [
        Question(
            "2-hop neighbourhood (member)",
            p_neighbours(member),
            lambda: raw_neighbourhood(raw, member, 2, flt, 200),
            _http(client, f"/api/v1/entities/{member}/neighbors", {"depth": 2}),
            "2-hop",
        ),
        Question(
            "2-hop neighbourhood (hub leader)",
            p_neighbours(probes["hub_leader"]),
            lambda: raw_neighbourhood(raw, probes["hub_leader"], 2, flt, 200),
            _http(client, f"/api/v1/entities/{probes['hub_leader']}/neighbors", {"depth": 2}),
            "2-hop",
        ),
        Question(
            "network to facilities (typical network)",
            p_facilities(network),
            lambda: raw_network_facilities(raw, network, flt),
            _http(client, f"/api/v1/networks/{network}/facilities", {}),
            "network-facilities",
        ),
        Question(
            "network to facilities (largest network)",
            p_facilities(big),
            lambda: raw_network_facilities(raw, big, flt),
            _http(client, f"/api/v1/networks/{big}/facilities", {}),
            "network-facilities",
        ),
        Question(
            "shortest path, reachable (max_hops 6)",
            p_paths(a, b),
            lambda: raw_paths(raw, a, b, 6, flt),
            _http(client, "/api/v1/paths", {"from": a, "to": b, "max_hops": 6}),
            "path",
        ),
        Question(
            "shortest path, unreachable (max_hops 6)",
            _expect_not_found(p_paths(*unreachable)),
            _expect_not_found(lambda: raw_paths(raw, *unreachable, 6, flt)),
            _http(
                client,
                "/api/v1/paths",
                {"from": unreachable[0], "to": unreachable[1], "max_hops": 6},
                ok=(404,),
            ),
            "path",
        ),
        Question(
            "timeline of a network",
            p_timeline(big),
            lambda: raw_timeline(raw, big, flt),
            _http(client, "/api/v1/incidents", {"network": big}),
            "timeline",
        ),
        Question(
            "key players (2-hop of a network)",
            p_key_players(network),
            lambda: raw_key_players(raw, network, flt),
            _http(client, "/api/v1/analytics/key-players", {"scope": network}),
            "key-players",
        ),
    ]
