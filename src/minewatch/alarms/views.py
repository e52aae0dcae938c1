"""The guard's phone page: scan (type or open the QR link of) a checkpoint code."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from minewatch.alarms import services
from minewatch.alarms.models import CheckpointScan
from minewatch.core.errors import MineWatchError


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


@login_required
def scan(request: HttpRequest) -> HttpResponse:
    """GET shows the form (``?code=`` prefilled from a QR link); POST records the scan."""
    if request.method == "POST":
        code = request.POST.get("code", "").strip()
        try:
            result = services.record_scan(actor=request.user, code=code,
                                          lat=_float(request.POST.get("lat")),
                                          lon=_float(request.POST.get("lon")))  # fmt: skip
        except MineWatchError as exc:
            messages.error(request, exc.text)
            return render(request, "alarms/scan.html", {"code": code}, status=400)
        messages.success(request, _("Checkpoint %(name)s recorded (%(status)s).") % {
            "name": result.checkpoint.name, "status": result.status})  # fmt: skip
        return redirect("alarms:scan")
    recent = CheckpointScan.objects.filter(guard=request.user).select_related("checkpoint")[:10]
    return render(
        request, "alarms/scan.html", {"code": request.GET.get("code", ""), "recent": recent}
    )
