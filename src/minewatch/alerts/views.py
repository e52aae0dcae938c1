"""Web pages of the alerts app: one alert, and the protocol-checklist actions.

The forms post here and return to the page they came from (the alert or the
incident page), so ticking a step works without JavaScript; every write goes
through the services, which check the role (operators and managers).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minewatch.alerts import services
from minewatch.alerts.choices import kind_label
from minewatch.alerts.models import Alert, ChecklistItem
from minewatch.alerts.services.protocols import note_protocol_step, protocol_for
from minewatch.core.errors import InvalidInput, MineWatchError
from minewatch.core.tenancy import restrict
from minewatch.incidents.taxonomy import THREATS_BY_CODE, TYPES_BY_CODE

STEP_ACTIONS = ("tick", "untick", "note")


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert: what, where, its history and its response checklists."""
    alert = get_object_or_404(
        restrict(Alert.objects.select_related("site", "incident"), request.user), pk=pk
    )
    history = alert.status_changes.select_related("actor")
    threat = THREATS_BY_CODE.get(alert.threat)
    english = (get_language() or "es").startswith("en")
    return render(request, "alerts/alert_detail.html", {
        "alert": alert, "kind": kind_label(alert.kind), "history": history,
        "threat": (threat.label_en if english else threat.label_es) if threat else alert.threat,
        "incident_type": ((kind.label_en if english else kind.label_es)
                          if (kind := TYPES_BY_CODE.get(alert.incident_type)) else alert.incident_type),
    })  # fmt: skip


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if safe and target else fallback)


@login_required
@require_POST
def checklist_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick, untick or note one checklist step (``action`` = tick / untick / note)."""
    item = get_object_or_404(
        restrict(ChecklistItem.objects.select_related("checklist"), request.user), pk=pk
    )
    action, note = request.POST.get("action", ""), request.POST.get("note", "").strip()
    checklist = item.checklist
    fallback = (reverse("incidents:detail", args=[checklist.incident_id]) if checklist.incident_id
                else reverse("alerts:detail", args=[checklist.alert_id]))  # fmt: skip
    try:
        if action not in STEP_ACTIONS:
            raise InvalidInput(_("unknown action %(action)r") % {"action": action}, field="action")
        if action == "note":
            note_protocol_step(item, actor=request.user, note=note)
        else:
            services.tick_protocol_step(item, actor=request.user, note=note,
                                        undo=action == "untick")  # fmt: skip
    except MineWatchError as exc:
        messages.error(request, _("Step %(code)s: %(problem)s") % {"code": item.code,
                                                                   "problem": exc.text})  # fmt: skip
    else:
        done = {"tick": _("Step %(code)s marked done."), "untick": _("Step %(code)s reopened."),
                "note": _("Note saved on step %(code)s.")}[action]  # fmt: skip
        messages.success(request, done % {"code": item.code})
    return _back(request, fallback)


@login_required
@require_POST
def start_checklist(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """Start the response checklist of an incident's type (an incident reported directly)."""
    from minewatch.web.queries import visible_incidents

    incident = get_object_or_404(visible_incidents(request.user), pk=incident_pk)
    protocol = protocol_for(incident.organisation_id, incident.incident_type)
    try:
        if protocol is None:
            raise InvalidInput(_("no response protocol for this incident type"), field="protocol")
        services.attach_protocol(actor=request.user, protocol=protocol, incident=incident)
    except MineWatchError as exc:
        messages.error(request, exc.text)
    return redirect(reverse("incidents:detail", args=[incident.pk]) + "#checklists")
