"""The threat-actor graph: actors, incidents and reports as nodes, links as edges. Pure (networkx).

Node keys are ``"actor:<id>"``, ``"incident:<id>"`` and ``"report:<id>"``. Edges:

* actor — actor: an analyst's link (``relation``, ``confidence`` 0..1);
* actor — incident: the actor took part in the incident (``relation = "involved_in"``);
* actor — report: the report is about the actor (``relation = "mentioned_in"``).

Two actors are *connected through an incident* when both are linked to it; the
neighbourhood answer lists, for every actor within reach, the shortest path to it
so an analyst reads "A → INC-2026-01 → B".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx


@dataclass(frozen=True)
class Node:
    """A graph node: ``key`` (``kind:id``), its kind and a label for display."""

    key: str
    kind: str
    label: str


@dataclass(frozen=True)
class Edge:
    """An undirected edge between two node keys."""

    source: str
    target: str
    relation: str
    confidence: float = 1.0


def build_graph(nodes: Iterable[Node], edges: Iterable[Edge]) -> nx.MultiGraph:
    """A multigraph of ``nodes``; edges whose ends are not both nodes are dropped (not visible).

    >>> g = build_graph([Node("actor:1", "actor", "A"), Node("incident:2", "incident", "I")],
    ...                 [Edge("actor:1", "incident:2", "involved_in"),
    ...                  Edge("actor:1", "actor:9", "allied_with")])
    >>> g.number_of_edges()
    1
    """
    graph = nx.MultiGraph()
    for node in nodes:
        graph.add_node(node.key, kind=node.kind, label=node.label)
    for edge in edges:
        if edge.source in graph and edge.target in graph:
            graph.add_edge(edge.source, edge.target, relation=edge.relation,
                           confidence=edge.confidence)  # fmt: skip
    return graph


def neighbourhood(graph: nx.MultiGraph, center: str, hops: int) -> dict[str, Any]:
    """Nodes and edges within ``hops`` edges of ``center``, and how each actor is reached.

    Returns ``{"center", "hops", "nodes": [...], "edges": [...], "connections": [...]}``;
    each connection is ``{"actor", "distance", "path", "via_incidents"}``.

    Raises ValueError when ``center`` is not in the graph or ``hops`` is not 1..6.

    >>> g = build_graph([Node("actor:1", "actor", "A"), Node("actor:2", "actor", "B"),
    ...                  Node("incident:5", "incident", "INC")],
    ...                 [Edge("actor:1", "incident:5", "involved_in"),
    ...                  Edge("actor:2", "incident:5", "involved_in")])
    >>> neighbourhood(g, "actor:1", 2)["connections"][0]["via_incidents"]
    ['incident:5']
    """
    if center not in graph:
        raise ValueError(f"node {center!r} is not in the graph")
    if not 1 <= hops <= 6:
        raise ValueError(f"hops must be between 1 and 6 edges, got {hops}")
    sub = nx.ego_graph(graph, center, radius=hops)
    paths = nx.single_source_shortest_path(sub, center, cutoff=hops)
    nodes = [
        {"id": key, "kind": data["kind"], "label": data["label"], "distance": len(paths[key]) - 1}
        for key, data in sorted(
            sub.nodes(data=True), key=lambda item: (len(paths[item[0]]), item[0])
        )
    ]
    edges = [
        {"source": a, "target": b, "relation": data["relation"], "confidence": data["confidence"]}
        for a, b, data in sorted(sub.edges(data=True), key=lambda e: (e[0], e[1], e[2]["relation"]))
    ]
    connections = [
        {
            "actor": key,
            "distance": len(path) - 1,
            "path": path,
            "via_incidents": [step for step in path[1:-1] if step.startswith("incident:")],
        }
        for key, path in sorted(paths.items(), key=lambda item: (len(item[1]), item[0]))
        if key != center and sub.nodes[key]["kind"] == "actor"
    ]
    return {"center": center, "hops": hops, "nodes": nodes, "edges": edges,
            "connections": connections}  # fmt: skip


def circle_layout(
    keys: list[str], *, width: float, height: float
) -> dict[str, tuple[float, float]]:
    """Positions for an SVG drawing: the first key in the middle, the rest on a circle.

    >>> circle_layout(["a"], width=100, height=100)
    {'a': (50.0, 50.0)}
    """
    cx, cy = width / 2, height / 2
    radius = min(width, height) * 0.4
    layout = {keys[0]: (cx, cy)} if keys else {}
    rest = keys[1:]
    for index, key in enumerate(rest):
        angle = 2 * math.pi * index / max(len(rest), 1)
        layout[key] = (
            round(cx + radius * math.cos(angle), 1),
            round(cy + radius * math.sin(angle), 1),
        )
    return layout
