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
            form.add_error(exc.field if exc.field in form.fields else None, exc.text)
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
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    links = reason_rows(list(page), request.user)
    for warning in page:
        warning.reason_links = links[warning.pk]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "intel/warning_list.html",
                  {"filter": filterset, "page": page, "query": query.urlencode(), **extra})  # fmt: skip


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
            form.add_error(exc.field if exc.field in form.fields else None, exc.text)
        else:
            messages.success(request, _("Early-warning settings saved."))
            return redirect("intel:warning-list")
    return render(request, "intel/warning_settings.html", {"form": form})


def reason_rows(warnings: list, user: object) -> dict[int, list[dict[str, object]]]:
    """Each warning's reasons with a link to the incident or report behind it.

    The key ``incident:248`` becomes the incident's reference linking to its page, when the
    user may see it (otherwise the plain key: the warning says no more than it did).
    """
    from django.urls import reverse

    from minewatch.core.tenancy import restrict
    from minewatch.incidents.models import Incident
    from minewatch.intel.models import IntelReport

    wanted: dict[str, set[int]] = {"incident": set(), "report": set()}
    for warning in warnings:
        for reason in warning.reasons or []:
            kind, _sep, raw = str(reason.get("key", "")).partition(":")
            if kind in wanted and raw.isdigit():
                wanted[kind].add(int(raw))
    names = {
        "incident": dict(restrict(Incident.objects.filter(pk__in=wanted["incident"]), user)
                         .values_list("pk", "reference")),
        "report": dict(restrict(IntelReport.objects.filter(pk__in=wanted["report"]), user)
                       .values_list("pk", "reference")),
    }  # fmt: skip
    routes = {"incident": "incidents:detail", "report": "intel:report-detail"}
    rows: dict[int, list[dict[str, object]]] = {}
    for warning in warnings:
        rows[warning.pk] = []
        for reason in warning.reasons or []:
            key = str(reason.get("key", ""))
            kind, _sep, raw = key.partition(":")
            pk = int(raw) if raw.isdigit() else None
            name = names.get(kind, {}).get(pk) if pk is not None else None
            rows[warning.pk].append({
                "kind": kind, "label": name or key,
                "url": reverse(routes[kind], args=[pk]) if name else "",
                "distance_km": reason.get("distance_km"), "weight": reason.get("weight"),
            })  # fmt: skip
    return rows


@login_required
def warning_triage(request: HttpRequest) -> HttpResponse:
    """Triage: accept, dismiss, or link each open warning to an incident, with its reasons."""
    from minewatch.web.queries import visible_incidents

    can_triage = has_capability(request.user, "analyse") or has_capability(request.user, "operate")
    if request.method == "POST":
        if not can_triage:
            raise PermissionDenied
        warning = get_object_or_404(queries.warnings(request.user), pk=request.POST.get("warning")
                                    if str(request.POST.get("warning", "")).isdigit() else 0)  # fmt: skip
        try:
            services.triage_warning(
                warning, actor=request.user, decision=request.POST.get("decision", ""),
                incident=request.POST.get("incident") or None, note=request.POST.get("note", ""),
            )  # fmt: skip
        except MineWatchError as exc:
            messages.error(request, _("Warning %(id)s: %(problem)s") % {"id": warning.pk,
                                                                         "problem": exc.text})  # fmt: skip
        else:
            messages.success(request, _("Warning %(id)s triaged.") % {"id": warning.pk})
        return redirect(request.get_full_path())
    data = request.GET.copy()
    data.setdefault("status", "open")
    filterset = EarlyWarningFilterSet(data, queryset=queries.warnings(request.user))
    page = Paginator(filterset.qs.prefetch_related("incidents"), 25).get_page(
        request.GET.get("page")
    )
    warnings = list(page)
    incidents = list(visible_incidents(request.user).order_by("-occurred_at")
                     .values_list("pk", "reference", "title", "site_id")[:300])  # fmt: skip
    reasons = reason_rows(warnings, request.user)
    rows = [{"warning": w, "reasons": reasons[w.pk],
             "candidates": [i for i in incidents if w.site_id is None or i[3] == w.site_id][:50]}
            for w in warnings]  # fmt: skip
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "intel/warning_triage.html", {
        "filter": filterset, "page": page, "rows": rows, "can_triage": can_triage,
        "query": query.urlencode(),
    })  # fmt: skip
