"""Web pages of the contractor registry and the agreements with public security."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minewatch.accountability.engine.legal import days_to_expiry
from minewatch.accountability.forms import (
    AgreementForm,
    AssignmentForm,
    ContractorForm,
    SupportForm,
)
from minewatch.accountability.models import Contractor, PublicSecurityAgreement
from minewatch.accountability.services import agreements as agreement_services
from minewatch.accountability.services import contractors as contractor_services
from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import SiteAssignment


def _contractors(user: object):  # noqa: ANN202 - a queryset
    return restrict(Contractor.objects.select_related("company"), user)


def _agreements(user: object):  # noqa: ANN202 - a queryset
    return restrict(PublicSecurityAgreement.objects.prefetch_related("support"), user)


def _form_error(form: object, exc: MineWatchError) -> None:
    if exc.status_code == 403:
        raise PermissionDenied(exc.text)
    form.add_error(exc.field if exc.field in form.fields else None, exc.text)  # type: ignore[attr-defined]


@login_required
def contractor_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [(c, days_to_expiry(c.sucamec_expires_on, today)) for c in _contractors(request.user)]
    return render(request, "accountability/contractor_list.html", {
        "rows": rows, "can_manage": has_capability(request.user, "manage_contractors")})  # fmt: skip


@login_required
def contractor_create(request: HttpRequest) -> HttpResponse:
    if not has_capability(request.user, "manage_contractors"):
        raise PermissionDenied
    form = ContractorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = contractor_services.save_contractor(actor=request.user, **form.cleaned_data)
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(company)s registered.") % {"company": record.company})
            return redirect("accountability:contractor-detail", pk=record.pk)
    return render(request, "accountability/simple_form.html",
                  {"form": form, "title": _("Register a contractor")},
                  status=400 if form.errors else 200)  # fmt: skip


def _modality_labels(codes: list[str]) -> str:
    """The authorised modalities in the page's language (not their codes)."""
    from django.utils.translation import get_language

    from minewatch.accountability.engine.legal import MODALITIES

    spanish = (get_language() or "es").startswith("es")
    labels = {m.code: (m.label_es if spanish else m.label_en) for m in MODALITIES}
    return ", ".join(labels.get(code, code) for code in codes or [])


@login_required
def contractor_detail(request: HttpRequest, pk: int, form: AssignmentForm | None = None,
                      status: int = 200) -> HttpResponse:  # fmt: skip
    record = get_object_or_404(_contractors(request.user), pk=pk)
    can_assign = (has_capability(request.user, "manage_contractors")
                  and record.organisation_id == request.user.organisation_id)  # fmt: skip
    assignments = SiteAssignment.objects.filter(
        contractor_id=record.company_id, site__organisation_id=record.organisation_id
    ).select_related("site")
    return render(request, "accountability/contractor_detail.html", {
        "contractor": record, "track": contractor_services.track_record(record),
        "days_left": days_to_expiry(record.sucamec_expires_on, timezone.localdate()),
        "assignments": assignments, "modalities": _modality_labels(record.modalities),
        "form": (form or AssignmentForm(user=request.user)) if can_assign else None,
    }, status=status)  # fmt: skip


@login_required
@require_POST
def contractor_assign(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(_contractors(request.user), pk=pk)
    form = AssignmentForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            contractor_services.assign_contractor_to_site(actor=request.user, contractor=record,
                                                          **form.cleaned_data)  # fmt: skip
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Assignment recorded."))
            return redirect("accountability:contractor-detail", pk=record.pk)
    return contractor_detail(request, pk, form=form, status=400)


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accountability/agreement_list.html", {
        "agreements": _agreements(request.user),
        "can_manage": has_capability(request.user, "manage_contractors")})  # fmt: skip


@login_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    if not has_capability(request.user, "manage_contractors"):
        raise PermissionDenied
    form = AgreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = agreement_services.save_agreement(actor=request.user, **form.cleaned_data)
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Agreement %(ref)s recorded.") % {"ref": record.reference})
            return redirect("accountability:agreement-detail", pk=record.pk)
    return render(request, "accountability/simple_form.html",
                  {"form": form, "title": _("Record an agreement with public security")},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
def agreement_detail(request: HttpRequest, pk: int, form: SupportForm | None = None,
                     status: int = 200) -> HttpResponse:  # fmt: skip
    record = get_object_or_404(_agreements(request.user), pk=pk)
    from minewatch.incidents.models import Incident

    can_manage = (has_capability(request.user, "manage_contractors")
                  and record.organisation_id == request.user.organisation_id)  # fmt: skip
    support = list(record.support.all())
    return render(request, "accountability/agreement_detail.html", {
        "agreement": record, "support": support,
        "total": sum((s.value_pen for s in support), start=0),
        "incidents": restrict(Incident.objects.filter(pk__in=record.incidents.all()), request.user),
        "form": (form or SupportForm()) if can_manage else None,
    }, status=status)  # fmt: skip


@login_required
@require_POST
def agreement_support(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(_agreements(request.user), pk=pk)
    form = SupportForm(request.POST)
    if form.is_valid():
        try:
            agreement_services.record_support(record, actor=request.user, **form.cleaned_data)
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Support in kind recorded."))
            return redirect("accountability:agreement-detail", pk=record.pk)
    return agreement_detail(request, pk, form=form, status=400)
