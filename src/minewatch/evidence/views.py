"""Web pages of the evidence locker: upload, item page with custody log, download, dossier."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.evidence import dossiers, queries, services
from minewatch.evidence.forms import EvidenceUploadForm, HandOverForm, ReasonForm
from minewatch.incidents.models import Incident


def _incident(request: HttpRequest, pk: int) -> Incident:
    queryset = Incident.objects.select_related("organisation", "site", "region")
    return get_object_or_404(restrict(queryset, request.user), pk=pk)


@login_required
def evidence_upload(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """Upload one file to an incident; refusals are shown next to the field they name."""
    incident = _incident(request, incident_pk)
    if not has_capability(request.user, "manage_evidence"):
        raise PermissionDenied
    form = EvidenceUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.intake_evidence(
                actor=request.user, incident=incident, **form.service_values()
            )
        except MineWatchError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.text)
        else:
            messages.success(request, _("Evidence stored. SHA-256: %(sha)s") % {"sha": item.sha256})
            return redirect(reverse("incidents:detail", args=[incident.pk]) + "#evidence")
    status = 400 if form.errors else 200
    context = {"form": form, "incident": incident}
    return render(request, "evidence/upload.html", context, status=status)


@login_required
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The item page: what the file says, what was declared, the custody log, verification."""
    item = get_object_or_404(queries.visible_items(request.user), pk=pk)
    services.record_view(item, actor=request.user, reason="web")
    context = {
        "item": item,
        "custody": list(queries.custody_log(item)),
        "verification": services.verify_item(item),
        "hand_over_form": HandOverForm(),
        "reason_form": ReasonForm(),
        "can_hand_over": has_capability(request.user, "manage_incident"),
        "can_hold": has_capability(request.user, "legal_hold"),
    }
    return render(request, "evidence/item_detail.html", context)


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Stream the original file as an attachment; the download is logged first."""
    item = get_object_or_404(queries.visible_items(request.user), pk=pk)
    try:
        stream = services.open_for_download(item, actor=request.user, reason="web")
    except MineWatchError as exc:
        messages.error(request, exc.text)
        return redirect("evidence:detail", pk=pk)
    return FileResponse(
        stream, as_attachment=True, content_type=item.content_type,
        filename=item.original_name or f"evidencia-{item.pk}.{item.content_label}",
    )  # fmt: skip


def _hand_over(item: Any, request: HttpRequest) -> Any:
    form = HandOverForm(request.POST)
    form.is_valid()
    data = {name: form.cleaned_data.get(name, "") for name in form.fields}
    return services.hand_over(item, actor=request.user, **data)


def _with_reason(verb: Callable[..., Any]) -> Callable[[Any, HttpRequest], Any]:
    return lambda item, request: verb(
        item, actor=request.user, reason=request.POST.get("reason", "")
    )


CUSTODY_ACTIONS: dict[str, Callable[[Any, HttpRequest], Any]] = {
    "hand-over": _hand_over,
    "return": _with_reason(services.return_item),
    "legal-hold": _with_reason(services.set_legal_hold),
    "release-hold": _with_reason(services.release_legal_hold),
    "verify": lambda item, request: services.verify_and_record(item, actor=request.user),
}


@login_required
@require_POST
def evidence_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """A custody action from the item page; refusals come back as a message."""
    item = get_object_or_404(queries.visible_items(request.user), pk=pk)
    handler = CUSTODY_ACTIONS.get(verb)
    if handler is None:
        raise PermissionDenied
    try:
        handler(item, request)
    except MineWatchError as exc:
        messages.error(request, f"{exc.field}: {exc.text}")
    else:
        messages.success(request, _("Custody log updated."))
    return redirect("evidence:detail", pk=pk)


@login_required
@require_POST
def incident_dossier(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """Build the complaint dossier: the ZIP, or the PDF alone (``output=pdf``)."""
    incident = _incident(request, incident_pk)
    name = f"denuncia-{incident.reference}"
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        if request.POST.get("output") == "pdf":
            result = dossiers.build_dossier_pdf(incident, actor=request.user)
            target.close()
            response = HttpResponse(result.pdf_bytes, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return response
        dossiers.build_dossier(incident, actor=request.user, target=target)
    except MineWatchError as exc:
        target.close()
        messages.error(request, exc.text)
        return redirect(reverse("incidents:detail", args=[incident.pk]) + "#evidence")
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=f"{name}.zip", content_type="application/zip"
    )
