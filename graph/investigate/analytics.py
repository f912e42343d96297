"""Analytics over link data fetched by named queries: key players and coordinated incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import networkx as nx

from graph.db.store import Row, Store
from graph.investigate.links import EntityRef, LinkFilter, entities, neighbourhood

ANALYTICS_LINK_CAP = 200_000
BETWEENNESS_WORK = 2_000_000  # entities x links for exact betweenness (seconds in networkx)
BETWEENNESS_MIN_SOURCES = 16  # sampled sources at least, however large the graph


@dataclass
class KeyPlayer:
    entity: EntityRef
    degree: int
    degree_centrality: float
    betweenness: float


@dataclass
class KeyPlayers:
    method: str
    scope: str
    nodes: int
    links: int
    players: list[KeyPlayer]
    truncated: bool


def key_players(
    store: Store, flt: LinkFilter, scope_id: str | None, limit: int, label: str = "Entity"
) -> KeyPlayers:
    """Degree and betweenness centrality over the whole graph or one entity's 2-hop
    neighbourhood, on the undirected simple graph of the links that pass the filter."""
    graph: nx.Graph[str] = nx.Graph()
    if scope_id:
        sub = neighbourhood(store, scope_id, 2, flt, ANALYTICS_LINK_CAP)
        graph.add_nodes_from(n.id for n in sub.nodes)
        graph.add_edges_from((link.from_id, link.to_id) for link in sub.links)
        truncated, scope = sub.truncated, f"2-hop neighbourhood of {scope_id}"
    else:
        rows = store.run(
            "all_links",
            {"types": list(flt.types), **flt.grading_params(), "limit": ANALYTICS_LINK_CAP + 1},
        )
        truncated = len(rows) > ANALYTICS_LINK_CAP
        graph.add_edges_from((r["from_id"], r["to_id"]) for r in rows[:ANALYTICS_LINK_CAP])
        scope = "whole graph"
    degree_centrality = nx.degree_centrality(graph) if graph.number_of_nodes() > 1 else {}
    betweenness, how = centrality(graph)
    ordered = sorted(graph.nodes, key=lambda n: (-betweenness.get(n, 0.0), -graph.degree(n), n))
    # Entities in rank order until `limit` have the label: not all of a large graph.
    refs: dict[str, EntityRef] = {}
    ranked: list[str] = []
    step = max(100, 4 * limit)
    for start in range(0, len(ordered), step):
        chunk = ordered[start : start + step]
        refs.update(entities(store, chunk))
        ranked += [n for n in chunk if n in refs and label in refs[n].labels]
        if len(ranked) >= limit:
            break
    ranked = ranked[:limit]
    method = (
        f"degree centrality and {how}, normalised, on the "
        f"undirected simple graph of {graph.number_of_nodes()} entities and "
        f"{graph.number_of_edges()} links of types {', '.join(flt.types)} that pass the filters; "
        f"networkx {nx.__version__}"
    )
    return KeyPlayers(
        method=method,
        scope=scope,
        nodes=graph.number_of_nodes(),
        links=graph.number_of_edges(),
        players=[
            KeyPlayer(
                entity=refs[n],
                degree=int(graph.degree(n)),
                degree_centrality=round(degree_centrality.get(n, 0.0), 6),
                betweenness=round(betweenness.get(n, 0.0), 6),
            )
            for n in ranked
        ],
        truncated=truncated,
    )


def centrality(graph: nx.Graph[str]) -> tuple[dict[str, float], str]:
    """Normalised betweenness of every node, and how it was computed.

    Exact (Brandes) while entities x links stays within BETWEENNESS_WORK; beyond it,
    estimated from a seeded sample of source entities (Brandes and Pich), as many as the
    budget allows and at least BETWEENNESS_MIN_SOURCES: exact betweenness of the whole
    10k-entity benchmark graph takes about 20 minutes in networkx (benchmarks/README.md)."""
    nodes, links = graph.number_of_nodes(), max(1, graph.number_of_edges())
    if nodes <= 2:
        return {}, "exact betweenness centrality (Brandes)"
    if nodes * links <= BETWEENNESS_WORK:
        return (
            nx.betweenness_centrality(graph, normalized=True),
            "exact betweenness centrality (Brandes)",
        )
    sources = min(nodes, max(BETWEENNESS_MIN_SOURCES, BETWEENNESS_WORK // links))
    return (
        nx.betweenness_centrality(graph, k=sources, normalized=True, seed=0),
        f"betweenness centrality estimated from {sources} of the {nodes} entities as sources, "
        "chosen at random with seed 0 (Brandes and Pich; exact when entities x links is at "
        f"most {BETWEENNESS_WORK:,})",
    )


@dataclass
class SharedBy:
    kind: str  # "network" (attributed to it) or "source" (reported together in it)
    id: str
    name: str


@dataclass
class CoordinatedGroup:
    shared_by: list[SharedBy]
    incidents: list[Row]
    facilities: list[dict[str, Any]]
    first_date: str
    last_date: str
    span_days: int


@dataclass
class CoordinatedIncidents:
    method: str
    groups: list[CoordinatedGroup] = field(default_factory=list)
    skipped_without_day: int = 0


def coordinated_incidents(
    incidents: list[Row], source_names: dict[str, str], window_days: int, min_incidents: int
) -> CoordinatedIncidents:
    """Groups of at least `min_incidents` incidents on at least two facilities, within
    `window_days` of each other, that share an attributed network or a reporting source.
    Only incidents dated to the day can be placed in a window; the rest are counted."""
    dated = [i for i in incidents if i.get("date_precision") == "day" and i.get("facilities")]
    skipped = sum(1 for i in incidents if i.get("date_precision") != "day")
    by_key: dict[tuple[str, str], list[Row]] = {}
    names: dict[tuple[str, str], str] = {}
    for incident in dated:
        for network in incident.get("networks") or []:
            by_key.setdefault(("network", network["id"]), []).append(incident)
            names[("network", network["id"])] = network["name"]
        for source_id in incident.get("source_ids") or []:
            by_key.setdefault(("source", source_id), []).append(incident)
            names[("source", source_id)] = source_names.get(source_id, source_id)

    found: dict[tuple[str, ...], CoordinatedGroup] = {}
    for key, members in by_key.items():
        members = sorted(members, key=lambda i: (i["date"], i["id"]))
        for start, first in enumerate(members):
            first_day = date.fromisoformat(first["date"])
            window = [
                m
                for m in members[start:]
                if (date.fromisoformat(m["date"]) - first_day).days <= window_days
            ]
            facilities = {f["id"]: f for m in window for f in m["facilities"]}
            if len(window) < min_incidents or len(facilities) < 2:
                continue
            ids = tuple(m["id"] for m in window)
            if any(set(ids) <= set(other) for other in found if other != ids):
                continue  # part of a larger group already found
            group = found.get(ids)
            if group is None:
                last_day = date.fromisoformat(window[-1]["date"])
                group = found[ids] = CoordinatedGroup(
                    shared_by=[],
                    incidents=window,
                    facilities=sorted(facilities.values(), key=lambda f: f["name"]),
                    first_date=first["date"],
                    last_date=window[-1]["date"],
                    span_days=(last_day - first_day).days,
                )
            group.shared_by.append(SharedBy(kind=key[0], id=key[1], name=names[key]))
    groups = [g for ids, g in found.items() if not any(set(ids) < set(other) for other in found)]
    for group in groups:
        group.shared_by.sort(key=lambda s: (s.kind, s.id))
    groups.sort(key=lambda g: (-len(g.incidents), g.first_date))
    method = (
        f"incidents dated to the day, on two or more facilities, at most {window_days} days "
        f"after the first of the group, that share an attributed network (directly or through "
        f"a wave) or a reporting source; groups of {min_incidents} or more, maximal"
    )
    return CoordinatedIncidents(method=method, groups=groups, skipped_without_day=skipped)
