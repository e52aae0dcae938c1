"""Web pages of the accountability app for signed-in staff: grievances and use of force."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minewatch.accountability import queries
from minewatch.accountability.choices import UseOfForceStatus
from minewatch.accountability.filtersets import GrievanceFilterSet, UseOfForceReportFilterSet
from minewatch.accountability.forms import (
    AcknowledgeForm,
    AmendmentForm,
    AppealForm,
    AssignForm,
    CloseForm,
    LiaisonGrievanceForm,
    RespondForm,
    ReviewForm,
    UseOfForceReportForm,
)
from minewatch.accountability.models import can_see_complainant
from minewatch.accountability.services import grievances as grievance_services
from minewatch.accountability.services import use_of_force as force_services
from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability


def paged(request: HttpRequest, filterset: Any, template: str, extra: dict) -> HttpResponse:
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, template, {"filter": filterset, "page": page,
                                      "query": query.urlencode(), **extra})  # fmt: skip


@login_required
def grievance_list(request: HttpRequest) -> HttpResponse:
    filterset = GrievanceFilterSet(request.GET, queryset=queries.grievances(request.user))
    return paged(request, filterset, "accountability/grievance_list.html",
                 {"can_file": has_capability(request.user, "community")})  # fmt: skip


@login_required
def grievance_create(request: HttpRequest) -> HttpResponse:
    """The liaison files a grievance from a meeting, a call or a letter."""
    if not has_capability(request.user, "community"):
        raise PermissionDenied
    form = LiaisonGrievanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grievance = grievance_services.file_grievance(actor=request.user,
                                                          **form.service_values())  # fmt: skip
        except MineWatchError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.text)
        else:
            messages.success(request, _("Grievance %(ref)s filed; tracking code %(code)s.")
                             % {"ref": grievance.reference, "code": grievance.tracking_code})  # fmt: skip
            return redirect("accountability:grievance-detail", pk=grievance.pk)
    return render(request, "accountability/grievance_form.html", {"form": form})


def _action_forms(request: HttpRequest, grievance: Any, bound: tuple[str, Any] | None) -> dict:
    forms = {
        "acknowledge": AcknowledgeForm(), "close": CloseForm(), "respond": RespondForm(),
        "appeal": AppealForm(), "assign": AssignForm(organisation_id=grievance.organisation_id),
    }  # fmt: skip
    if bound is not None:
        forms[bound[0]] = bound[1]
    return forms


@login_required
def grievance_detail(request: HttpRequest, pk: int, bound: tuple[str, Any] | None = None,
                     status: int = 200) -> HttpResponse:  # fmt: skip
    grievance = get_object_or_404(queries.grievances(request.user), pk=pk)
    can_work = (has_capability(request.user, "community")
                and grievance.organisation_id == request.user.organisation_id)  # fmt: skip
    return render(request, "accountability/grievance_detail.html", {
        "grievance": grievance, "see_identity": can_see_complainant(request.user, grievance),
        "can_work": can_work, "steps": grievance.steps.select_related("actor"),
        "forms": _action_forms(request, grievance, bound) if can_work else {},
    }, status=status)  # fmt: skip


ACTIONS: dict[str, tuple[type, Callable[..., Any]]] = {
    "acknowledge": (AcknowledgeForm, grievance_services.acknowledge_grievance),
    "assign": (AssignForm, grievance_services.assign_grievance),
    "respond": (RespondForm, grievance_services.respond_to_grievance),
    "close": (CloseForm, grievance_services.close_grievance),
    "appeal": (AppealForm, grievance_services.appeal_grievance),
}


@login_required
@require_POST
def grievance_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One workflow step; an illegal one is shown next to its form (400), nothing changes."""
    grievance = get_object_or_404(queries.grievances(request.user), pk=pk)
    if action not in ACTIONS:
        raise Http404
    form_class, service = ACTIONS[action]
    extra = {"organisation_id": grievance.organisation_id} if action == "assign" else {}
    form = form_class(request.POST, **extra)
    if form.is_valid():
        values = dict(form.cleaned_data)
        if action == "assign":
            values["assignee"] = values.pop("assigned_to")
        try:
            service(grievance, actor=request.user, **values)
        except MineWatchError as exc:
            if exc.status_code == 403:
                raise PermissionDenied(exc.text) from None
            form.add_error(None, f"{exc.field}: {exc.text}")
        else:
            messages.success(
                request, _("Grievance %(ref)s updated.") % {"ref": grievance.reference}
            )
            return redirect("accountability:grievance-detail", pk=grievance.pk)
    return grievance_detail(request, pk, bound=(action, form), status=400)


@login_required
def grievance_photo(request: HttpRequest, pk: int) -> FileResponse:
    """The photo sent with a grievance: for the owning organisation's liaison and managers."""
    grievance = get_object_or_404(queries.grievances(request.user), pk=pk)
    if not grievance.photo_sha256 or not can_see_complainant(request.user, grievance):
        raise Http404
    from minewatch.evidence.storage import get_store

    response = FileResponse(get_store().open(grievance.photo_sha256),
                            content_type=grievance.photo_content_type)  # fmt: skip
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def force_list(request: HttpRequest) -> HttpResponse:
    filterset = UseOfForceReportFilterSet(request.GET,
                                          queryset=queries.use_of_force_reports(request.user))  # fmt: skip
    return paged(request, filterset, "accountability/force_list.html",
                 {"can_file": has_capability(request.user, "report_use_of_force")})  # fmt: skip


@login_required
def force_create(request: HttpRequest) -> HttpResponse:
    if not has_capability(request.user, "report_use_of_force"):
        raise PermissionDenied
    form = UseOfForceReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            report = force_services.file_use_of_force_report(actor=request.user,
                                                             **form.service_values())  # fmt: skip
        except MineWatchError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.text)
        else:
            messages.success(request, _("Use-of-force report %(ref)s filed.")
                             % {"ref": report.reference})  # fmt: skip
            return redirect("accountability:force-detail", pk=report.pk)
    return render(request, "accountability/force_form.html", {"form": form},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
def force_detail(request: HttpRequest, pk: int, forms: dict | None = None,
                 status: int = 200) -> HttpResponse:  # fmt: skip
    report = get_object_or_404(queries.use_of_force_reports(request.user), pk=pk)
    owner = request.user.organisation_id == report.organisation_id or request.user.is_superuser
    can_review = (owner and has_capability(request.user, "review_use_of_force")
                  and report.status != UseOfForceStatus.REVIEWED
                  and report.reporter_id != request.user.pk)  # fmt: skip
    can_amend = (owner and report.status == UseOfForceStatus.REVIEWED
                 and has_capability(request.user, "report_use_of_force"))  # fmt: skip
    forms = forms or {}
    return render(request, "accountability/force_detail.html", {
        "report": report, "amendments": report.amendments.select_related("amended_by"),
        "review_form": forms.get("review", ReviewForm()) if can_review else None,
        "amend_form": forms.get("amend", AmendmentForm()) if can_amend else None,
    }, status=status)  # fmt: skip


@login_required
@require_POST
def force_review(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(queries.use_of_force_reports(request.user), pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            force_services.review_use_of_force(report, actor=request.user, **form.cleaned_data)
        except MineWatchError as exc:
            if exc.status_code == 403:
                raise PermissionDenied(exc.text) from None
            form.add_error(exc.field if exc.field in form.fields else None, exc.text)
        else:
            messages.success(request, _("Review recorded."))
            return redirect("accountability:force-detail", pk=report.pk)
    return force_detail(request, pk, forms={"review": form}, status=400)


@login_required
@require_POST
def force_amend(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(queries.use_of_force_reports(request.user), pk=pk)
    form = AmendmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            force_services.amend_use_of_force_report(
                report,
                actor=request.user,
                reason=data["reason"],
                **{data["field"]: data["new_value"]},
            )
        except MineWatchError as exc:
            if exc.status_code == 403:
                raise PermissionDenied(exc.text) from None
            form.add_error(None, f"{exc.field}: {exc.text}")
        else:
            messages.success(request, _("Amendment recorded."))
            return redirect("accountability:force-detail", pk=report.pk)
    return force_detail(request, pk, forms={"amend": form}, status=400)
