"""Personnel transport pages: the trips that carry people, each trip's passenger manifest, and
the vehicles' plate credentials.

Tablet-sized like the gate page: managers add and remove passengers, guards and operators
check each one in at boarding and at arrival; a passenger who boarded and was not checked
in once the trip arrived is shown as missing. Every write goes through ``people.visits``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minewatch.core.errors import InvalidInput, MineWatchError, NotAllowed
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.people import queries, services, visits
from minewatch.people.forms import PassengerForm, PlateCredentialForm, RevokeCredentialForm

# What a manifest line shows, from its check-ins and the trip's status.
WAITING, BOARDED, ARRIVED, MISSING, NOT_BOARDED = (
    "waiting", "boarded", "arrived", "missing", "not_boarded")  # fmt: skip


def passenger_state(line: Any) -> str:
    """``missing``: boarded, the trip arrived, not checked in at arrival."""
    trip_status = line.trip.status
    if line.arrived_at is not None:
        return ARRIVED
    if line.boarded_at is not None:
        return MISSING if trip_status == "arrived" else BOARDED
    return WAITING if trip_status == "planned" else NOT_BOARDED


def _trip(user: Any, trip_id: int) -> Any:
    return get_object_or_404(queries.visible_trips(user).select_related("site"), pk=trip_id)


@login_required
def transport_list(request: HttpRequest) -> HttpResponse:
    """Trips carrying personnel: planned, under way or arrived in the last three days."""
    rows = []
    for trip in queries.transport_trips(request.user):
        missing = trip.boarded - trip.checked_in if trip.status == "arrived" else 0
        rows.append((trip, missing))
    return render(request, "people/transport_list.html", {"rows": rows})


def _manifest_page(request: HttpRequest, trip_id: int, form: PassengerForm | None = None,
                   row_error: tuple[int, str] | None = None, status: int = 200) -> HttpResponse:  # fmt: skip
    trip = _trip(request.user, trip_id)
    lines = [(line, passenger_state(line)) for line in queries.manifest_lines(request.user, trip)]
    manages = queries.manages(request.user, trip.organisation_id)
    ended = trip.arrived_at is not None or trip.aborted_at is not None
    counts = {state: sum(1 for _line, s in lines if s == state)
              for state in (WAITING, BOARDED, ARRIVED, MISSING, NOT_BOARDED)}  # fmt: skip
    return render(request, "people/manifest.html", {
        "trip": trip, "lines": lines, "counts": counts, "total": len(lines),
        "can_add": manages and not ended, "can_remove": manages,
        "can_check": has_capability(request.user, "record_access"),
        "form": form or PassengerForm(), "row_error": row_error,
    }, status=status)  # fmt: skip


@login_required
def manifest(request: HttpRequest, trip_id: int) -> HttpResponse:
    return _manifest_page(request, trip_id)


def _done(trip_id: int) -> HttpResponse:
    return redirect(f"{reverse('people:manifest', args=[trip_id])}#manifest")


@login_required
@require_POST
def passenger_add(request: HttpRequest, trip_id: int) -> HttpResponse:
    """Put the person with this badge or DNI on the manifest (the service checks who may)."""
    trip = _trip(request.user, trip_id)
    form = PassengerForm(request.POST)
    if form.is_valid():
        try:
            person = services.find_holder(trip.organisation_id, form.cleaned_data["person"])
            if person is None:
                raise InvalidInput(_("no person with this badge or DNI"), field="person")
            line = visits.add_passenger(actor=request.user, trip=trip, person=person)
        except NotAllowed as exc:
            raise PermissionDenied(exc.text) from None
        except MineWatchError as exc:
            form.show(exc)
        else:
            messages.success(request, _("%(name)s added to the manifest.")
                             % {"name": line.person.name})  # fmt: skip
            return _done(trip.pk)
    return _manifest_page(request, trip.pk, form=form, status=400)


def _line(request: HttpRequest, trip_id: int, line_pk: int) -> Any:
    found = queries.manifest_lines(request.user, trip_id).filter(pk=line_pk).first()
    if found is None:
        raise Http404
    return found


@login_required
@require_POST
def passenger_check(request: HttpRequest, trip_id: int, line_pk: int) -> HttpResponse:
    """Check a passenger in at boarding (``stage=board``) or at arrival (``stage=arrive``)."""
    line = _line(request, trip_id, line_pk)
    try:
        visits.check_passenger(actor=request.user, passenger=line,
                               stage=request.POST.get("stage", ""))  # fmt: skip
    except NotAllowed as exc:
        raise PermissionDenied(exc.text) from None
    except MineWatchError as exc:
        return _manifest_page(request, trip_id, row_error=(line.pk, f"{exc.field}: {exc.text}"),
                              status=400)  # fmt: skip
    stage = request.POST.get("stage")
    text = (_("%(name)s checked in at boarding.") if stage == "board"
            else _("%(name)s checked in at arrival."))  # fmt: skip
    messages.success(request, text % {"name": line.person.name})
    return _done(trip_id)


@login_required
@require_POST
def passenger_remove(request: HttpRequest, trip_id: int, line_pk: int) -> HttpResponse:
    line = _line(request, trip_id, line_pk)
    try:
        visits.remove_passenger(actor=request.user, passenger=line)
    except NotAllowed as exc:
        raise PermissionDenied(exc.text) from None
    except MineWatchError as exc:
        return _manifest_page(request, trip_id, row_error=(line.pk, f"{exc.field}: {exc.text}"),
                              status=400)  # fmt: skip
    messages.success(request, _("%(name)s taken off the manifest.") % {"name": line.person.name})
    return _done(trip_id)


def _vehicles(user: Any) -> Any:
    from minewatch.tracking.models import Vehicle

    return restrict(Vehicle.objects.filter(organisation_id=user.organisation_id,
                                           is_active=True), user).order_by("plate")  # fmt: skip


def _plates_page(request: HttpRequest, form: PlateCredentialForm | None = None,
                 revoke: tuple[int, RevokeCredentialForm] | None = None,
                 status: int = 200) -> HttpResponse:  # fmt: skip
    from minewatch.people.models import Credential

    plates = restrict(Credential.objects.filter(kind="plate").select_related("vehicle"),
                      request.user)  # fmt: skip
    manages = queries.manages(request.user, request.user.organisation_id)
    return render(request, "people/plates.html", {
        "plates": plates, "manages": manages, "now": timezone.now(),
        "form": form or PlateCredentialForm(vehicles=_vehicles(request.user)),
        "revoking": revoke[0] if revoke else None,
        "revoke_form": revoke[1] if revoke else None,
    }, status=status)  # fmt: skip


@login_required
def plates(request: HttpRequest) -> HttpResponse:
    """Vehicle plate credentials: issue one to a company vehicle, revoke one (managers)."""
    if request.method != "POST":
        return _plates_page(request)
    form = PlateCredentialForm(request.POST, vehicles=_vehicles(request.user))
    if form.is_valid():
        try:
            found = services.issue_credential(actor=request.user, **form.values())
        except NotAllowed as exc:
            raise PermissionDenied(exc.text) from None
        except MineWatchError as exc:
            form.show(exc)
        else:
            messages.success(request, _("Plate %(value)s authorised.") % {"value": found.value})
            return redirect("people:plates")
    return _plates_page(request, form=form, status=400)


@login_required
@require_POST
def plate_revoke(request: HttpRequest, credential_pk: int) -> HttpResponse:
    from minewatch.people.models import Credential

    credential = get_object_or_404(restrict(Credential.objects.filter(kind="plate"),
                                            request.user), pk=credential_pk)  # fmt: skip
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
            return redirect("people:plates")
    return _plates_page(request, revoke=(credential.pk, form), status=400)
