"""Web pages of the people app: the personnel list, a person's page (with the forms that issue
and revoke credentials and add vetting, licence and training records) and the gate page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minewatch.core.errors import InvalidInput, MineWatchError, NotAllowed
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.choices import SiteKind
from minewatch.geo.models import Site
from minewatch.people import queries, services, visits
from minewatch.people.choices import AnomalyKind, Direction
from minewatch.people.filtersets import PersonFilterSet
from minewatch.people.forms import (
    LicenceForm,
    PersonCredentialForm,
    RevokeCredentialForm,
    ServiceForm,
    TrainingForm,
    VettingForm,
)
from minewatch.people.models import Person, Visitor


def _with_status(people: Any) -> list[tuple[Person, Any]]:
    """Each person with their status (one settings read per organisation)."""
    configs: dict[int, Any] = {}
    rows = []
    for person in people:
        config = configs.setdefault(person.organisation_id,
                                    services.settings_for(person.organisation_id))  # fmt: skip
        status = queries.status_of(person, people_settings=config)
        rows.append((person, status, person.status == "active" and status.cleared))
    return rows


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    filterset = PersonFilterSet(request.GET, queryset=queries.people_with_records(request.user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "people/person_list.html", {
        "filter": filterset, "page": page, "rows": _with_status(page), "query": query.urlencode(),
        "personal": has_capability(request.user, "see_personal_data"),
    })  # fmt: skip


@login_required
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's photo from the evidence store, to whoever may see the person (the gate)."""
    from django.http import FileResponse, Http404

    person = get_object_or_404(queries.people(request.user), pk=pk)
    if not person.photo_sha256:
        raise Http404
    response = FileResponse(services.open_photo(person), content_type=person.photo_mime)
    response["Cache-Control"] = "private, max-age=300"
    return response


RECORD_FORMS: dict[str, tuple[type[ServiceForm], Callable[..., Any], str]] = {
    "credential": (PersonCredentialForm, services.issue_credential,
                   gettext_lazy("Credential issued.")),
    "vetting": (VettingForm, services.add_vetting, gettext_lazy("Vetting record added.")),
    "licence": (LicenceForm, services.add_licence, gettext_lazy("Licence added.")),
    "training": (TrainingForm, services.add_training, gettext_lazy("Training record added.")),
}  # fmt: skip


def _person_page(request: HttpRequest, pk: int, bound: tuple[str, Any] | None = None,
                 revoking: int | None = None, status: int = 200) -> HttpResponse:  # fmt: skip
    """The person page; ``bound`` is a refused form (its kind, the form) shown with its
    errors, ``revoking`` the credential whose revocation it refused."""
    person = get_object_or_404(queries.people_with_records(request.user), pk=pk)
    (_person, status_found, cleared), = _with_status([person])  # fmt: skip
    personal = has_capability(request.user, "see_personal_data")
    forms: dict[str, Any] = {}
    if queries.manages(request.user, person.organisation_id):
        forms = {kind: form_class() for kind, (form_class, _s, _m) in RECORD_FORMS.items()}
        forms["revoke"] = RevokeCredentialForm()
        if bound is not None:
            forms[bound[0]] = bound[1]
    return render(request, "people/person_detail.html", {
        "person": person, "status": status_found, "cleared": cleared, "personal": personal,
        "assignments": queries.assignments(request.user).filter(person=person),
        "credentials": restrict(person.credentials.all(), request.user) if personal else [],
        "events": queries.access_events(request.user).filter(person=person)[:20],
        "forms": forms, "revoking": revoking, "now": timezone.now(),
    }, status=status)  # fmt: skip


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, pk)


@login_required
@require_POST
def person_record(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Issue a credential or add a vetting, licence or training record from the person page;
    the service decides who may and checks every value (a refusal names its field)."""
    person = get_object_or_404(queries.people(request.user), pk=pk)
    if kind not in RECORD_FORMS:
        raise Http404
    form_class, service, done = RECORD_FORMS[kind]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(actor=request.user, person=person, **form.values())
        except NotAllowed as exc:
            raise PermissionDenied(exc.text) from None
        except MineWatchError as exc:
            form.show(exc)
        else:
            messages.success(request, str(done))
            return redirect(f"{reverse('people:detail', args=[person.pk])}#{kind}")
    return _person_page(request, pk, bound=(kind, form), status=400)


@login_required
@require_POST
def credential_revoke(request: HttpRequest, pk: int, credential_pk: int) -> HttpResponse:
    """Revoke one of the person's credentials, with the reason (audited by the service)."""
    person = get_object_or_404(queries.people(request.user), pk=pk)
    credential = get_object_or_404(restrict(person.credentials.all(), request.user),
                                   pk=credential_pk)  # fmt: skip
    form = RevokeCredentialForm(request.POST)
    if form.is_valid():
        try:
            services.revoke_credential(actor=request.user, credential=credential,
                                       reason=form.cleaned_data["reason"])  # fmt: skip
        except NotAllowed as exc:
            raise PermissionDenied(exc.text) from None
        except MineWatchError as exc:
            form.show(exc)
        else:
            messages.success(request, _("Credential %(value)s revoked.")
                             % {"value": credential.value})  # fmt: skip
            return redirect(f"{reverse('people:detail', args=[person.pk])}#credentials")
    return _person_page(request, pk, bound=("revoke", form), revoking=credential.pk, status=400)


def _gate_points(user: Any) -> Any:
    return restrict(Site.objects.filter(kind=SiteKind.ACCESS_POINT, is_active=True), user)


VISIT_HOURS = (1, 2, 4, 8, 12)


def _host(point: Site, typed: str) -> Person | None:
    if not typed.strip():
        return None
    found = services.find_holder(point.organisation_id, typed)
    if found is None:
        raise InvalidInput(_("no person with this badge or DNI"), field="host")
    return found


def _gate_visitor(request: HttpRequest, point: Site) -> None:
    """Register or check out a visitor from the gate page (messages say what happened)."""
    data = request.POST
    try:
        if data.get("visitor_out"):
            found = visits.check_out_visitor(actor=request.user, visitor=data["visitor_out"])
            messages.success(request, _("%(name)s checked out.") % {"name": found.name})
            return
        hours = int(data.get("hours") or 0)
        if hours not in VISIT_HOURS:
            raise InvalidInput(_("choose how long the visit lasts"), field="hours")
        found = visits.check_in_visitor(
            actor=request.user, access_point=point, name=data.get("visitor_name", ""),
            document_number=data.get("visitor_document", ""),
            document_type=data.get("visitor_document_type") or "dni",
            host=_host(point, data.get("host", "")), purpose=data.get("purpose", ""),
            vehicle_plate=data.get("vehicle_plate", ""), escorted=bool(data.get("escorted")),
            expected_exit=timezone.now() + dt.timedelta(hours=hours),
        )  # fmt: skip
        messages.success(request, _("%(name)s checked in.") % {"name": found.name})
    except MineWatchError as exc:
        messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)


@login_required
def gate(request: HttpRequest) -> HttpResponse:
    """Type or scan a DNI, badge, QR code or plate: who it is, cleared or not, assigned here or
    not, the credential's state; record it; register visitors and check them out."""
    if not has_capability(request.user, "record_access"):
        raise PermissionDenied
    points = list(_gate_points(request.user).select_related("parent"))
    data = request.POST if request.method == "POST" else request.GET
    point = next((p for p in points if str(p.pk) == data.get("point")), None)
    if point is None and not data.get("point") and len(points) == 1:
        point = points[0]
    credential = (data.get("credential") or "").strip()
    context: dict[str, Any] = {"points": points, "point": point, "credential": credential,
                               "directions": Direction.choices, "visit_hours": VISIT_HOURS}  # fmt: skip
    if (
        request.method == "POST"
        and point is not None
        and (data.get("visitor_out") or data.get("visitor_name") is not None)
    ):
        _gate_visitor(request, point)
        return redirect(f"{request.path}?point={point.pk}")
    if request.method == "POST":
        if point is None:
            messages.error(request, _("Choose the access point."))
        else:
            try:
                event = services.record_gate_pass(actor=request.user, access_point=point,
                                                  credential=credential,
                                                  direction=data.get("direction", ""))  # fmt: skip
            except MineWatchError as exc:
                messages.error(request, exc.message)
            else:
                found = [str(AnomalyKind(a.kind).label) for a in event.anomalies.all()]
                label = str(Direction(event.direction).label)
                text = _("%(direction)s recorded.") % {"direction": label}
                if event.result == "denied":
                    text = _("Denied: the credential is revoked or expired.")
                if found:
                    messages.warning(request, f"{text} {_('Anomalies')}: {', '.join(found)}")
                else:
                    messages.success(request, text)
                return redirect(f"{request.path}?point={point.pk}")
    if point is not None and credential:
        who = services.resolve(point.organisation_id, credential, timezone.now())
        person = who.person
        visible = person is not None and queries.people(request.user).filter(pk=person.pk).exists()
        if visible:
            (_p, status, cleared), = _with_status([person])  # fmt: skip
            served = {point.pk, point.parent_id} - {None}
            context.update(person=person, cleared=cleared,
                           assigned=services.assigned_here(person, point),
                           local_hire=person.assignments.filter(
                               is_active=True, site_id__in=served).exclude(local_hire="").exists())  # fmt: skip
        context.update(looked_up=True, credential_state=who.state, vehicle=who.vehicle,
                       vehicle_planned=who.vehicle_planned)  # fmt: skip
    if point is not None:
        context["visitors"] = restrict(
            Visitor.objects.filter(access_point=point, checked_out_at__isnull=True)
            .select_related("host"), request.user)  # fmt: skip
        context["now"] = timezone.now()
    return render(request, "people/gate.html", context)
