"""Web pages of the intel app: reports (list, detail, create), actors with a graph, warnings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.intel import early_warnings, queries, services
from minewatch.intel.choices import relation_label
from minewatch.intel.engine.grading import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY
from minewatch.intel.engine.graph import circle_layout, neighbourhood
from minewatch.intel.filtersets import (
    EarlyWarningFilterSet,
    IntelReportFilterSet,
    ThreatActorFilterSet,
)
from minewatch.intel.forms import EarlyWarningSettingsForm, IntelReportForm

GRAPH_SIZE = 560


def _paged(request: HttpRequest, filterset: object, template: str, extra: dict) -> HttpResponse:
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": filterset, "page": page, "query": query.urlencode(), **extra}
    return render(request, template, context)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    filterset = IntelReportFilterSet(request.GET, queryset=queries.reports(request.user))
    can_write = has_capability(request.user, "analyse")
    return _paged(request, filterset, "intel/report_list.html", {"can_write": can_write})


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(queries.reports(request.user), pk=pk)
    return render(request, "intel/report_detail.html", {
        "report": report, "see_sources": has_capability(request.user, "see_sources"),
        "reliability": next(g for g in SOURCE_RELIABILITY if g.code == report.source_reliability),
        "credibility": next(g for g in INFORMATION_CREDIBILITY
                            if g.code == report.information_credibility),
    })  # fmt: skip


@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    """Record a graded report; service errors appear next to the field they name."""
    if not has_capability(request.user, "analyse"):
        raise PermissionDenied
    form = IntelReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_intel(actor=request.user, **form.service_values())
        except MineWatchError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Report %(ref)s recorded.") % {"ref": report.reference})
            return redirect("intel:report-detail", pk=report.pk)
    return render(request, "intel/report_form.html", {"form": form})


@login_required
def actor_list(request: HttpRequest) -> HttpResponse:
    filterset = ThreatActorFilterSet(request.GET, queryset=queries.actors(request.user))
    return _paged(request, filterset, "intel/actor_list.html", {})


@login_required
def actor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The actor, its links and a server-rendered SVG of its two-hop neighbourhood."""
    threat_actor = get_object_or_404(queries.actors(request.user), pk=pk)
    body = neighbourhood(queries.actor_graph(request.user), f"actor:{threat_actor.pk}", 2)
    layout = circle_layout([n["id"] for n in body["nodes"]], width=GRAPH_SIZE, height=GRAPH_SIZE)
    nodes = [{**n, "x": layout[n["id"]][0], "y": layout[n["id"]][1]} for n in body["nodes"]]
    edges = [{**e, "label": relation_label(e["relation"]),
              "x1": layout[e["source"]][0], "y1": layout[e["source"]][1],
              "x2": layout[e["target"]][0], "y2": layout[e["target"]][1]}
             for e in body["edges"]]  # fmt: skip
    labels = {n["id"]: n["label"] for n in body["nodes"]}
    connections = [{**c, "label": labels[c["actor"]],
                    "via": [labels[step] for step in c["via_incidents"]]}
                   for c in body["connections"]]  # fmt: skip
    return render(request, "intel/actor_detail.html", {
        "actor": threat_actor, "nodes": nodes, "edges": edges, "connections": connections,
        "size": GRAPH_SIZE, "links": queries.links(request.user).filter(from_actor=threat_actor)
        | queries.links(request.user).filter(to_actor=threat_actor),
        "reports": queries.reports(request.user).filter(actors=threat_actor)[:50],
    })  # fmt: skip


def _grade_rows(weights: dict[str, float], scale: tuple) -> list[dict[str, object]]:
    return [{"grade": g, "weight": weights.get(g.code, g.weight), "default": g.weight}
            for g in scale]  # fmt: skip


@login_required
def warning_list(request: HttpRequest) -> HttpResponse:
    """The warnings, and the settings the scan uses now (the user's organisation's)."""
    filterset = EarlyWarningFilterSet(request.GET, queryset=queries.warnings(request.user))
    extra: dict[str, object] = {"can_edit_settings": has_capability(request.user, "analyse")}
    if request.user.organisation_id is not None:
        stored = early_warnings.settings_for(request.user.organisation_id)
        extra.update({
            "settings": stored,
            "grade_tables": [
                (_("Weight per source reliability"),
                 _grade_rows(stored.reliability_weights, SOURCE_RELIABILITY)),
                (_("Weight per information credibility"),
                 _grade_rows(stored.credibility_weights, INFORMATION_CREDIBILITY)),
            ],
        })  # fmt: skip
    return _paged(request, filterset, "intel/warning_list.html", extra)


@login_required
def warning_settings(request: HttpRequest) -> HttpResponse:
    """Analysts and managers change their organisation's early-warning settings."""
    if not has_capability(request.user, "analyse") or request.user.organisation_id is None:
        raise PermissionDenied
    stored = early_warnings.settings_for(request.user.organisation_id)
    form = EarlyWarningSettingsForm(
        request.POST or None, initial=EarlyWarningSettingsForm.initial_from(stored)
    )
    if request.method == "POST" and form.is_valid():
        try:
            early_warnings.save_warning_settings(
                stored, actor=request.user, **form.service_values()
            )
        except MineWatchError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Early-warning settings saved."))
            return redirect("intel:warning-list")
    return render(request, "intel/warning_settings.html", {"form": form})
