"""Account-security pages: two-factor enrolment and verification, API tokens, the policy."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from minewatch.accounts import services
from minewatch.accounts.forms import CodeForm, EnrolForm, PolicyForm, TokenForm
from minewatch.accounts.models import ApiToken
from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return "/"
    return target


def qr_svg(text: str) -> str:
    """``text`` as an inline SVG QR code, drawn here (no external service, no script)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration, to inline it


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The signed-in user's security page: two-factor login, API tokens, (admins) policy."""
    user = request.user
    is_admin = has_capability(user, "manage_users") and user.organisation_id is not None
    tokens = restrict(ApiToken.objects.select_related("user"), user)
    token_form = TokenForm()
    created: str | None = None
    if request.method == "POST" and request.POST.get("form") == "token":
        token_form = TokenForm(request.POST)
        if token_form.is_valid():
            try:
                _token, created = services.create_token(actor=user, user=user,
                                                        **token_form.cleaned_data)  # fmt: skip
            except MineWatchError as exc:
                token_form.add_error(exc.field if exc.field in token_form.fields else None,
                                     exc.message)  # fmt: skip
    policy_form = None
    if is_admin:
        policy_form = PolicyForm(initial={"required_roles": services.required_roles(
            user.organisation_id)})  # fmt: skip
        if request.method == "POST" and request.POST.get("form") == "policy":
            policy_form = PolicyForm(request.POST)
            if policy_form.is_valid():
                services.set_policy(actor=user, organisation=user.organisation,
                                    roles=policy_form.cleaned_data["required_roles"])  # fmt: skip
                messages.success(request, _("Two-factor policy saved."))
                return redirect("accounts:security")
    return render(request, "accounts/security.html", {
        "enrolled": services.has_two_factor(user),
        "required": services.two_factor_required(user),
        "codes_left": services.unused_recovery_codes(user),
        "tokens": tokens, "token_form": token_form, "created_token": created,
        "policy_form": policy_form, "is_admin": is_admin,
    })  # fmt: skip


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(restrict(ApiToken.objects.all(), request.user), pk=pk)
    try:
        services.revoke_token(token, actor=request.user)
    except MineWatchError as exc:
        raise PermissionDenied(exc.message) from None
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:security")


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code, type a code, keep the recovery codes."""
    user = request.user
    device = services.start_enrolment(user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_enrolment(user, device, form.cleaned_data["code"])
        except MineWatchError as exc:
            form.add_error("code", exc.message)
        else:
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html",
                          {"codes": codes, "next": _next_url(request)})  # fmt: skip
    secret_b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/enrol.html", {
        "form": form, "qr": mark_safe(qr_svg(device.config_url)),  # noqa: S308 - our own SVG
        "secret": " ".join(secret_b32[i:i + 4] for i in range(0, len(secret_b32), 4)),
        "next": _next_url(request), "required": services.two_factor_required(user),
    })  # fmt: skip


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app or a recovery code."""
    user = request.user
    if not services.has_two_factor(user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_second_factor(user, form.cleaned_data["code"])
        except MineWatchError as exc:
            form.add_error("code", exc.message)
            device = None
        if form.is_valid() and device is not None:
            otp_login(request, device)
            left = services.unused_recovery_codes(user)
            if left <= 2:
                messages.warning(request, _("Only %(n)s recovery codes left: make new ones on "
                                            "your security page.") % {"n": left})  # fmt: skip
            return redirect(_next_url(request))
        if form.is_valid():
            form.add_error("code", _("That code is not valid. Codes change every 30 seconds; a "
                                     "recovery code works once."))  # fmt: skip
    return render(request, "accounts/verify.html", {"form": form, "next": _next_url(request)})


@login_required
@require_POST
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    try:
        codes = services.regenerate_recovery_codes(request.user)
    except MineWatchError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/"})
