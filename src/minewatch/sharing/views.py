"""Web pages of sharing: groups and what we share in them, agreements, exports and imports."""

from __future__ import annotations

import io
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.incidents.taxonomy import THREATS_BY_CODE
from minewatch.sharing import queries, services
from minewatch.sharing.engine import acled
from minewatch.sharing.filtersets import ExternalIntelFilterSet, SharedRecordFilterSet
from minewatch.sharing.forms import (
    AcledImportForm,
    AddMemberForm,
    AgreementForm,
    GroupForm,
    MembershipPolicyForm,
    SharingSettingsForm,
    StixImportForm,
)
from minewatch.sharing.models import (
    AcledEvent,
    ExternalIntel,
    GroupMembership,
    SharedRecord,
    SharingAgreement,
    SharingGroup,
)
from minewatch.sharing.research import research_csv


def _manager(request: HttpRequest) -> None:
    if not has_capability(request.user, "share") or request.user.organisation_id is None:
        raise PermissionDenied


def _form_error(form: object, exc: MineWatchError) -> None:
    field = exc.field if exc.field in form.fields else None  # type: ignore[attr-defined]
    form.add_error(field, exc.message)  # type: ignore[attr-defined]


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Groups, agreements, what came in, and the export and import forms."""
    user = request.user
    groups = restrict(SharingGroup.objects.select_related("organisation"), user)
    agreements = list(restrict(SharingAgreement.objects.select_related(
        "organisation", "partner", "group"), user))  # fmt: skip
    english = (get_language() or "es").startswith("en")
    for agreement in agreements:  # threats by name, not code
        agreement.threat_labels = [
            (THREATS_BY_CODE[code].label_en if english else THREATS_BY_CODE[code].label_es)
            if code in THREATS_BY_CODE else code for code in agreement.threats or []
        ]  # fmt: skip
    context = {
        "groups": groups, "agreements": agreements,
        "can_share": has_capability(user, "share"),
        "external_count": restrict(ExternalIntel.objects.all(), user).count(),
        "acled_count": restrict(AcledEvent.objects.all(), user).count(),
        "shared_count": restrict(SharedRecord.objects.all(), user).count(),
        "stix_form": StixImportForm(), "acled_form": AcledImportForm(),
    }  # fmt: skip
    return render(request, "sharing/overview.html", context)


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    _manager(request)
    stored = queries.settings_for(request.user.organisation_id)
    initial = {name: getattr(stored, name) for name in SharingSettingsForm.base_fields}
    form = SharingSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_settings(actor=request.user, **form.cleaned_data)
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Sharing settings saved."))
            return redirect("sharing:overview")
    return render(request, "sharing/form.html", {"form": form, "title": _("Sharing settings")})


@login_required
def group_create(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.create_group(actor=request.user, **form.cleaned_data)
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            return redirect("sharing:group-detail", pk=group.pk)
    return render(request, "sharing/form.html", {"form": form, "title": _("New sharing group")})


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A group: its members, what we share there (our choice), and its shared records."""
    group = get_object_or_404(restrict(SharingGroup.objects.all(), request.user), pk=pk)
    mine = GroupMembership.objects.filter(
        group=group, organisation_id=request.user.organisation_id
    ).first()
    can_share = has_capability(request.user, "share")
    policy_form = MembershipPolicyForm(
        request.POST if "policy" in request.POST else None,
        initial={name: getattr(mine, name) for name in MembershipPolicyForm.base_fields} if mine else None,
    )  # fmt: skip
    member_form = AddMemberForm(request.POST if "member" in request.POST else None)
    if request.method == "POST":
        _manager(request)
        try:
            if "policy" in request.POST and mine is not None and policy_form.is_valid():
                services.set_membership_policy(mine, actor=request.user, **policy_form.cleaned_data)
                messages.success(request, _("What you share with this group was saved."))
                return redirect("sharing:group-detail", pk=group.pk)
            if "member" in request.POST and member_form.is_valid():
                services.add_member(actor=request.user, group=group,
                                    organisation=member_form.cleaned_data["organisation"])  # fmt: skip
                return redirect("sharing:group-detail", pk=group.pk)
        except MineWatchError as exc:
            _form_error(policy_form if "policy" in request.POST else member_form, exc)
    records = restrict(SharedRecord.objects.filter(group=group), request.user)
    return render(request, "sharing/group_detail.html", {
        "group": group, "membership": mine, "members": services.members_named(group),
        "policy_form": policy_form, "member_form": member_form, "can_share": can_share,
        "is_convenor": group.organisation_id == request.user.organisation_id,
        "records": records.select_related("organisation")[:200],
    })  # fmt: skip


@login_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    _manager(request)
    groups = restrict(SharingGroup.objects.all(), request.user)
    form = AgreementForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_agreement(actor=request.user, **form.cleaned_data)
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Sharing agreement saved; its TAXII collection is open."))
            return redirect("sharing:overview")
    return render(request, "sharing/form.html", {"form": form, "title": _("New sharing agreement")})


@login_required
def agreement_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    agreement = get_object_or_404(restrict(SharingAgreement.objects.all(), request.user), pk=pk)
    if request.method == "POST":
        try:
            services.save_agreement(actor=request.user, agreement=agreement,
                                    is_active=not agreement.is_active)  # fmt: skip
        except MineWatchError as exc:
            messages.error(request, exc.message)
    return redirect("sharing:overview")


@login_required
def shared_list(request: HttpRequest) -> HttpResponse:
    """The groups' shared incidents and actors, as a list (the map shows the same layer)."""
    queryset = restrict(SharedRecord.objects.select_related("group", "organisation"), request.user)
    filterset = SharedRecordFilterSet(request.GET, queryset=queryset)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "sharing/shared_list.html", {"filter": filterset, "page": page,
                                                        "org_id": request.user.organisation_id})  # fmt: skip


@login_required
def shared_map(request: HttpRequest) -> HttpResponse:
    return render(request, "sharing/map.html", {})


@login_required
def external_list(request: HttpRequest) -> HttpResponse:
    queryset = restrict(ExternalIntel.objects.prefetch_related("actors"), request.user)
    filterset = ExternalIntelFilterSet(request.GET, queryset=queryset)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(request, "sharing/external_list.html", {"filter": filterset, "page": page})


@login_required
def export_download(request: HttpRequest, kind: str) -> HttpResponse:
    """Download the organisation's STIX bundle, ACLED file or research release."""
    _manager(request)
    org_id, user = request.user.organisation_id, request.user
    scope = queries.ExportScope(tlp_ceiling="amber", precision="approximate")
    if kind == "stix":
        body = json.dumps(
            queries.stix_bundle(org_id, scope, user=user), indent=2, ensure_ascii=False
        )
        name, content_type = "minewatch-stix.json", "application/stix+json;version=2.1"
    elif kind == "acled":
        handle = io.StringIO()
        acled.write_csv(queries.acled_incidents(org_id, scope, user), handle)
        body, name, content_type = (
            handle.getvalue(),
            "minewatch-acled.csv",
            "text/csv; charset=utf-8",
        )
    elif kind == "research":
        body, summary = research_csv(org_id, user=user)
        name, content_type = "minewatch-research.csv", "text/csv; charset=utf-8"
    else:
        raise PermissionDenied
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    if kind == "research":  # what k-anonymity held back travels with the file
        response["X-Suppressed-Cells"] = str(summary["suppressed_cells"])
        response["X-Suppressed-Incidents"] = str(summary["suppressed_incidents"])
    return response


@login_required
def stix_import(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = StixImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_stix(actor=request.user, text=form.cleaned_data["bundle"].read(),
                                          partner=form.cleaned_data["partner"],
                                          source_reliability=form.cleaned_data["source_reliability"])  # fmt: skip
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            return render(request, "sharing/import_result.html", {"result": result, "kind": "STIX"})
    return render(request, "sharing/form.html", {"form": form, "title": _("Import a STIX bundle"),
                                                 "multipart": True})  # fmt: skip


@login_required
def acled_import(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = AcledImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
            result, _rows = services.import_acled(actor=request.user, handle=io.StringIO(text),
                                                  filename=upload.name,
                                                  skip_bad=form.cleaned_data["skip_bad"])  # fmt: skip
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        except MineWatchError as exc:
            _form_error(form, exc)
        else:
            return render(request, "sharing/import_result.html", {"result": result, "kind": "ACLED",
                          "refused": bool(result.errors) and not form.cleaned_data["skip_bad"]})  # fmt: skip
    return render(request, "sharing/form.html", {"form": form, "title": _("Import an ACLED file"),
                                                 "multipart": True})  # fmt: skip
