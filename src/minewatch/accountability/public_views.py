"""The public grievance pages (/reclamos/): no login, rate-limited, a honeypot, no captcha.

Everything a neighbour sees here is in plain Spanish by default (English on request); the
status page shows the status of the code given and nothing else.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from minewatch.accountability.forms import PublicGrievanceForm, StatusLookupForm
from minewatch.accountability.services import grievances as services
from minewatch.accountability.services.common import tunable
from minewatch.core.auth import client_address
from minewatch.core.errors import MineWatchError

STATUS_LOOKUPS_PER_HOUR = 30


def _over_limit(request: HttpRequest, bucket: str, limit: int) -> bool:
    """Count one more use of ``bucket`` by this address this hour; True when over ``limit``."""
    digest = hashlib.sha256(f"{bucket}|{client_address(request)}".encode()).hexdigest()[:32]
    key = f"grievance-rate:{digest}"
    count = (cache.get(key) or 0) + 1
    cache.set(key, count, timeout=3600)
    return count > limit


@never_cache
def grievance_intake(request: HttpRequest) -> HttpResponse:
    """The public form; on success the page shows the tracking code."""
    form = PublicGrievanceForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return render(request, "accountability/public_form.html", {"form": form})
    if _over_limit(request, "intake", int(tunable("grievance_intake_per_hour"))):
        form.is_valid()
        form.add_error(None, _("Too many grievances from this connection. Please try again in "
                               "an hour, or speak to the community liaison."))  # fmt: skip
        return render(request, "accountability/public_form.html", {"form": form}, status=429)
    if form.is_bot:
        form.is_valid()
        form.add_error(None, _("The form could not be accepted."))
        return render(request, "accountability/public_form.html", {"form": form}, status=400)
    if form.is_valid():
        try:
            grievance = services.submit_public_grievance(
                organisation=form.cleaned_data["organisation"],
                photo=form.cleaned_data.get("photo"), language=get_language() or "es",
                **form.facts(),
            )  # fmt: skip
        except MineWatchError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.text)
        else:
            return render(request, "accountability/public_done.html",
                          {"code": grievance.tracking_code}, status=201)  # fmt: skip
    return render(request, "accountability/public_form.html", {"form": form}, status=400)


@never_cache
def grievance_status(request: HttpRequest) -> HttpResponse:
    """Status by tracking code: the status and when it last changed, nothing else."""
    form = StatusLookupForm(request.GET or None)
    context: dict[str, object] = {"form": form}
    if form.is_bound and form.is_valid():
        if _over_limit(request, "status", STATUS_LOOKUPS_PER_HOUR):
            form.add_error(None, _("Too many checks from this connection. Try again in an hour."))
            return render(request, "accountability/public_status.html", context, status=429)
        grievance = services.find_by_tracking_code(form.cleaned_data["code"])
        if grievance is None:
            form.add_error(
                "code", _("No grievance has this tracking code. Check it and try again.")
            )
            return render(request, "accountability/public_status.html", context, status=404)
        last = grievance.steps.order_by("-at", "-id").values_list("at", flat=True).first()
        context["found"] = {"status": grievance.get_status_display(), "code": grievance.status,
                            "updated": last or grievance.received_at}  # fmt: skip
    return render(request, "accountability/public_status.html", context)
