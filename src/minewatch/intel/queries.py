"""Read-only queries of the intel app, already limited to what the user may see."""

from __future__ import annotations

from typing import Any

import networkx as nx
from django.db.models import QuerySet

from minewatch.core.tenancy import restrict
from minewatch.incidents.models import Incident
from minewatch.intel.engine.graph import Edge, Node, build_graph
from minewatch.intel.models import (
    ActorLink,
    EarlyWarning,
    IncidentActor,
    IntelReport,
    IntelSource,
    ThreatActor,
)


def reports(user: Any) -> QuerySet:
    return restrict(IntelReport.objects.select_related("organisation", "source", "author"), user)


def actors(user: Any) -> QuerySet:
    return restrict(ThreatActor.objects.select_related("organisation"), user)


def links(user: Any) -> QuerySet:
    return restrict(ActorLink.objects.select_related("from_actor", "to_actor", "source"), user)


def sources(user: Any) -> QuerySet:
    return restrict(IntelSource.objects.select_related("handler"), user)


def warnings(user: Any) -> QuerySet:
    return restrict(EarlyWarning.objects.select_related("site", "route"), user)


def actor_graph(user: Any) -> nx.MultiGraph:
    """The graph of every actor, incident and report the user may see, with their links."""
    actor_rows = list(actors(user).values_list("pk", "name"))
    actor_ids = [pk for pk, _name in actor_rows]
    nodes = [Node(f"actor:{pk}", "actor", name) for pk, name in actor_rows]
    edges = [
        Edge(f"actor:{a}", f"actor:{b}", relation, confidence)
        for a, b, relation, confidence in links(user).values_list(
            "from_actor_id", "to_actor_id", "relation", "confidence"
        )
    ]
    incident_links = list(
        restrict(IncidentActor.objects.filter(actor_id__in=actor_ids), user).values_list(
            "actor_id", "incident_id"
        )
    )
    visible_incidents = restrict(
        Incident.objects.filter(pk__in={i for _a, i in incident_links}), user
    ).values_list("pk", "reference", "title")
    nodes += [Node(f"incident:{pk}", "incident", f"{ref} {title}") for pk, ref, title in
              visible_incidents]  # fmt: skip
    edges += [Edge(f"actor:{a}", f"incident:{i}", "involved_in") for a, i in incident_links]
    report_rows = restrict(IntelReport.objects.filter(actors__in=actor_ids), user).distinct()
    nodes += [
        Node(f"report:{r.pk}", "report", f"{r.reference} ({r.grade}) {r.title}")
        for r in report_rows.only("pk", "reference", "title", "source_reliability",
                                  "information_credibility")
    ]  # fmt: skip
    through = IntelReport.actors.through.objects.filter(
        intelreport__in=report_rows, threatactor_id__in=actor_ids
    ).values_list("threatactor_id", "intelreport_id")
    edges += [Edge(f"actor:{a}", f"report:{r}", "mentioned_in") for a, r in through]
    return build_graph(nodes, edges)
