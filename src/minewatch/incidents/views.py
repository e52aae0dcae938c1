"""Web pages of the incident register: list, detail, report and edit forms, field report, transitions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minewatch.core.choices import AuditAction
from minewatch.core.errors import MineWatchError
from minewatch.core.models import AuditEntry
from minewatch.core.registry import optional_module
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Region, Site
from minewatch.incidents import services, taxonomy
from minewatch.incidents.choices import INCIDENT_TYPE_CHOICES, THREAT_CHOICES, IncidentStatus
from minewatch.incidents.filtersets import IncidentFilterSet
from minewatch.incidents.forms import FieldReportForm, IncidentForm
from minewatch.incidents.models import Incident
from minewatch.web.queries import visible_incidents

LIST_FILTERS = ("q", "threat", "type", "status", "region", "site", "date_from", "date_to")


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    """The register, filtered by threat, type, status, region, site, dates and free text."""
    filterset = IncidentFilterSet(request.GET, queryset=visible_incidents(request.user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/incident_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode(),
         "select_filters": select_filters(request),
         "is_filtered": any(request.GET.get(name) for name in LIST_FILTERS)},
    )  # fmt: skip


def select_filters(request: HttpRequest) -> list[tuple[Any, str, list[tuple[str, Any, bool]]]]:
    """(name, label, [(value, text, selected)]) for each drop-down filter of the list."""
    sites = restrict(Site.objects.all(), request.user).values_list("pk", "name")
    options = (
        ("threat", _("Threat"), THREAT_CHOICES),
        ("type", _("Type"), INCIDENT_TYPE_CHOICES),
        ("status", _("Status"), IncidentStatus.choices),
        ("region", _("Region"), Region.objects.values_list("code", "name")),
        ("site", _("Site"), [(str(pk), name) for pk, name in sites]),
    )
    return [
        (name, label, [(v, text, str(v) in request.GET.getlist(name)) for v, text in choices])
        for name, label, choices in options
    ]


# Bookkeeping the timeline does not repeat: it says who did what, not every column.
TIMELINE_HIDDEN = {"updated_at", "created_at", "id", "organisation", "reference", "status",
                   "reporter", "region", "is_synthetic"}  # fmt: skip


def _field_value(field: Any, value: Any) -> str:
    """A stored value as the incident page shows it (labels, not codes)."""
    if value in (None, "", [], {}):
        return "—"
    if field.choices:
        labels = {str(k): str(v) for k, v in field.flatchoices}
        return labels.get(str(value), str(value))
    if field.name == "site":
        site = Site.objects.filter(pk=value).only("name").first()
        return site.name if site else str(value)
    if field.name in ("weapons", "responders") and isinstance(value, list):
        table = taxonomy.WEAPONS if field.name == "weapons" else taxonomy.RESPONDERS
        return ", ".join(_labels(table, value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field.get_internal_type() == "DateTimeField":
        parsed = parse_datetime(str(value))
        return date_format(timezone.localtime(parsed), "d/m/Y H:i") if parsed else str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _changed_fields(entry: AuditEntry, created: bool) -> list[dict[str, str]]:
    """[{label, value}] (created) or [{label, before, value}] of an audit entry's changes."""
    rows = []
    fields = {f.name: f for f in Incident._meta.concrete_fields}
    for name, pair in sorted(entry.changes.items(), key=lambda item: list(fields).index(item[0])
                             if item[0] in fields else 999):  # fmt: skip
        field = fields.get(name)
        if field is None or name in TIMELINE_HIDDEN:
            continue
        old, new = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if created and new in (None, "", [], {}, 0):
            continue  # an empty field at creation says nothing
        rows.append({"label": str(field.verbose_name).capitalize(),
                     "before": "" if created else _field_value(field, old),
                     "value": _field_value(field, new)})  # fmt: skip
    return rows


def timeline(incident: Incident) -> list[dict[str, Any]]:
    """The incident's history in words, oldest first: "Created by operator" with the values
    it was created with, each edit with the fields it changed, one entry per status change.

    A status change is recorded twice (the status-change row and its audit entry), so the
    audit entries of transitions are left out; the creation's status row is folded into
    the creation entry.
    """
    entries: list[dict[str, Any]] = [
        {"at": c.at, "kind": "status", "actor": c.actor.username if c.actor else _("system"),
         "from": IncidentStatus(c.from_status).label if c.from_status else "",
         "to": IncidentStatus(c.to_status).label, "note": c.note}
        for c in incident.status_changes.select_related("actor")
        if c.from_status  # the first row is the creation itself
    ]  # fmt: skip
    audits = AuditEntry.objects.filter(
        object_type="incidents.incident", object_id=str(incident.pk)
    ).exclude(action=AuditAction.TRANSITION)
    for entry in audits:
        created = entry.action == AuditAction.CREATE
        actor = entry.actor_name or _("system")
        if created:
            headline = _("Created by %(actor)s") % {"actor": actor}
        elif entry.action == AuditAction.UPDATE:
            headline = _("Changed by %(actor)s") % {"actor": actor}
        else:
            headline = f"{entry.get_action_display()} · {actor}"
        changes = _changed_fields(entry, created)
        if not changes and not entry.note and not created:
            continue
        entries.append({"at": entry.at, "kind": "created" if created else "audit",
                        "headline": headline, "changes": changes, "note": entry.note})  # fmt: skip
    return sorted(entries, key=lambda item: (item["at"], item["kind"] == "status"))


def response_protocol(incident: Incident) -> dict[str, Any] | None:
    """The response checklist of the incident's type (alerts catalogue), in the active language."""
    catalog = optional_module("minewatch.alerts.engine.protocols_catalog")
    code = taxonomy.TYPES_BY_CODE[incident.incident_type].protocol or incident.incident_type
    if catalog is None:
        return None
    protocol = catalog.load_response_protocols().get(code)
    if protocol is None:
        return None
    english = (get_language() or "es").startswith("en")
    return {
        "title": protocol.title_en if english else protocol.title_es,
        "steps": [
            {"text": step.en if english else step.es, "role": step.role,
             "within_minutes": step.within_minutes}
            for step in protocol.steps
        ],
    }  # fmt: skip


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(visible_incidents(request.user), pk=pk)
    transitions = [IncidentStatus(s) for s in services.allowed_transitions(incident)]
    return render(
        request,
        "incidents/incident_detail.html",
        {"incident": incident, "transitions": transitions, "timeline": timeline(incident),
         "referable": IncidentStatus.REFERRED_TO_AUTHORITIES in transitions,
         "protocol": response_protocol(incident),
         "weapon_labels": _labels(taxonomy.WEAPONS, incident.weapons),
         "responder_labels": _labels(taxonomy.RESPONDERS, incident.responders)},
    )  # fmt: skip


def _labels(table: tuple[tuple[str, str, str], ...], codes: list[str]) -> list[str]:
    english = (get_language() or "es").startswith("en")
    names = {code: en if english else es for code, es, en in table}
    return [names.get(code, code) for code in codes or []]


def _save(form: Any, save: Any) -> Incident | None:
    """Call the service; its errors go next to the field they name (or above the form)."""
    try:
        return save()
    except MineWatchError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.text)
        return None
    except DjangoValidationError as exc:  # the model's own checks (full_clean), by field
        for field, problems in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return None


@login_required
def incident_create(request: HttpRequest) -> HttpResponse:
    """Report an incident with the full form."""
    if not has_capability(request.user, "report_incident"):
        raise PermissionDenied
    initial = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = IncidentForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        incident = _save(form, lambda: services.report_incident(actor=request.user, **values))
        if incident is not None:
            messages.success(request, _("Incident %(ref)s recorded.") % {"ref": incident.reference})
            return redirect("incidents:detail", pk=incident.pk)
    return render(request, "incidents/incident_form.html", {"form": form, "editing": None})


@login_required
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct or complete an incident's facts (its status moves with the transition buttons)."""
    incident = get_object_or_404(visible_incidents(request.user), pk=pk)
    if not has_capability(request.user, "manage_incident"):
        raise PermissionDenied
    form = IncidentForm(
        request.POST or None, user=request.user, initial=IncidentForm.initial_from(incident)
    )
    if request.method == "POST" and form.is_valid():
        values = form.service_values(keep_empty=True)
        saved = _save(
            form, lambda: services.update_incident(incident, actor=request.user, **values)
        )
        if saved is not None:
            messages.success(request, _("Incident %(ref)s updated.") % {"ref": saved.reference})
            return redirect("incidents:detail", pk=saved.pk)
    return render(request, "incidents/incident_form.html", {"form": form, "editing": incident})


@login_required
def field_report(request: HttpRequest) -> HttpResponse:
    """The phone-sized report for guards: threat, type, position, assailants, weapons, photos."""
    if not has_capability(request.user, "report_incident"):
        raise PermissionDenied
    initial = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = FieldReportForm(request.POST or None, request.FILES or None, user=request.user,
                           initial=initial)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        incident = _save(form, lambda: services.report_incident(actor=request.user, **values))
        if incident is not None:
            photos = form.cleaned_data.get("photos") or []
            result = attach_photos(incident, photos, request.user) if photos else (0, [])
            text = _("Report %(ref)s sent to the control room.") % {"ref": incident.reference}
            if result is None:
                text += " " + _("Photos could not be stored: the evidence module is not installed.")
            elif result[0]:
                text += " " + _("Photos stored as evidence: %(n)s.") % {"n": result[0]}
            messages.success(request, text)
            for problem in result[1] if result else []:
                messages.error(request, _("Photo refused: %(reason)s") % {"reason": problem})
            return redirect("incidents:detail", pk=incident.pk)
    threats = [
        {"code": t.code, "label": t.label_en if (get_language() or "").startswith("en")
         else t.label_es, "input": _radio(form, t.code)}
        for t in taxonomy.THREATS
    ]  # fmt: skip
    type_threats = {t.code: t.threat for t in taxonomy.INCIDENT_TYPES}
    return render(
        request,
        "incidents/field_report.html",
        {"form": form, "threats": threats, "type_threats": type_threats},
    )


def _radio(form: FieldReportForm, code: str) -> Any:
    return next(choice for choice in form["threat"] if choice.data["value"] == code)


def attach_photos(
    incident: Incident, photos: list[Any], actor: Any
) -> tuple[int, list[str]] | None:
    """Store photos as evidence of ``incident`` (evidence app), each with its custody log.

    Returns (stored, problems), or None when the evidence app is not installed. A bad
    photo does not undo the report: the guard is told which file was refused and why.
    """
    evidence = optional_module("minewatch.evidence.services")
    if evidence is None:
        return None
    stored, problems = 0, []
    for photo in photos:
        try:
            evidence.intake_evidence(
                actor=actor, incident=incident, file=photo, kind="photo",
                original_name=photo.name, declared_lat=incident.lat, declared_lon=incident.lon,
            )  # fmt: skip
        except MineWatchError as exc:
            problems.append(f"{photo.name}: {exc.text}")
        else:
            stored += 1
    return stored, problems


@login_required
@require_POST
def incident_transition(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(visible_incidents(request.user), pk=pk)
    try:
        services.change_status(
            incident, actor=request.user, to_status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
            complaint_number=request.POST.get("complaint_number") or None,
            police_unit=request.POST.get("police_unit") or None,
        )  # fmt: skip
    except MineWatchError as exc:
        messages.error(request, exc.text)
    else:
        messages.success(request, _("Status changed."))
    return redirect("incidents:detail", pk=pk)
