"""Web pages of the incident register: list with filters, detail, report form, transitions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.incidents import services
from minewatch.incidents.filtersets import IncidentFilterSet
from minewatch.incidents.forms import IncidentForm
from minewatch.incidents.models import Incident


def visible_incidents(request: HttpRequest):  # noqa: ANN201
    return restrict(Incident.objects.select_related("site", "region"), request.user)


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    """The register, filtered by threat, type, status, region, site, dates and free text."""
    filterset = IncidentFilterSet(request.GET, queryset=visible_incidents(request))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/incident_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(visible_incidents(request), pk=pk)
    return render(
        request,
        "incidents/incident_detail.html",
        {"incident": incident, "transitions": services.allowed_transitions(incident)},
    )


@login_required
def incident_create(request: HttpRequest) -> HttpResponse:
    """Report an incident; service errors are shown next to the field they name."""
    if not has_capability(request.user, "report_incident"):
        raise PermissionDenied
    form = IncidentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.report_incident(actor=request.user, **form.service_values())
        except MineWatchError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Incident %(ref)s recorded.") % {"ref": incident.reference})
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/incident_form.html", {"form": form})


@login_required
@require_POST
def incident_transition(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(visible_incidents(request), pk=pk)
    try:
        services.change_status(
            incident, actor=request.user, to_status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )  # fmt: skip
    except MineWatchError as exc:
        messages.error(request, exc.message)
    return redirect("incidents:detail", pk=pk)
