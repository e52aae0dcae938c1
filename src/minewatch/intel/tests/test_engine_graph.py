"""The actor graph on small hand-made networks (no database)."""

from __future__ import annotations

import pytest

from minewatch.intel.engine.graph import Edge, Node, build_graph, circle_layout, neighbourhood


def make_graph():
    nodes = [Node(f"actor:{i}", "actor", f"A{i}") for i in range(1, 5)]
    nodes += [Node("incident:10", "incident", "INC-10"), Node("report:20", "report", "R-20")]
    edges = [
        Edge("actor:1", "incident:10", "involved_in"),
        Edge("actor:2", "incident:10", "involved_in"),
        Edge("actor:2", "actor:3", "allied_with", 0.8),
        Edge("actor:3", "actor:4", "rival_of", 0.4),
        Edge("actor:1", "report:20", "mentioned_in"),
    ]
    return build_graph(nodes, edges)


def test_actors_sharing_an_incident_are_connected_through_it():
    body = neighbourhood(make_graph(), "actor:1", 2)
    connection = next(c for c in body["connections"] if c["actor"] == "actor:2")
    assert connection["via_incidents"] == ["incident:10"]
    assert connection["path"] == ["actor:1", "incident:10", "actor:2"]


@pytest.mark.parametrize("hops,expected", [(1, {"actor:1", "incident:10", "report:20"}),
                                           (2, {"actor:1", "incident:10", "report:20", "actor:2"}),
                                           (4, {"actor:1", "incident:10", "report:20", "actor:2",
                                                "actor:3", "actor:4"})])  # fmt: skip
def test_neighbourhood_grows_with_hops(hops, expected):
    body = neighbourhood(make_graph(), "actor:1", hops)
    assert {node["id"] for node in body["nodes"]} == expected


def test_edges_to_nodes_not_visible_are_dropped():
    graph = build_graph(
        [Node("actor:1", "actor", "A")], [Edge("actor:1", "actor:99", "allied_with")]
    )
    assert graph.number_of_edges() == 0


@pytest.mark.parametrize("center,hops,word", [("actor:99", 2, "not in the graph"),
                                              ("actor:1", 0, "hops"), ("actor:1", 7, "hops")])  # fmt: skip
def test_bad_center_or_hops_raise(center, hops, word):
    with pytest.raises(ValueError, match=word):
        neighbourhood(make_graph(), center, hops)


def test_circle_layout_places_center_in_the_middle_and_others_apart():
    layout = circle_layout(["a", "b", "c"], width=200, height=200)
    assert layout["a"] == (100.0, 100.0)
    assert layout["b"] != layout["c"]
