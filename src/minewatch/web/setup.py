"""Setup pages of the web app: what the API lets managers configure, as lists and forms.

Every form is validated and saved by the same DRF serializer as its API endpoint (so by
the same service, with the same checks and audit), and every list starts from the
tenant-scoped queryset (``core.tenancy.restrict``). A resource is declared once in
``RESOURCES``; the form's widgets follow the serializer's fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from rest_framework import serializers
from rest_framework.fields import empty

from minewatch.core.errors import MineWatchError
from minewatch.core.messages import translate_message
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict


@dataclass(frozen=True)
class Resource:
    """One configurable kind of record: its list columns and its form's fields."""

    slug: str
    title: Promise
    singular: Promise
    model: Callable[[], type[Model]]
    serializer: Callable[[], type[serializers.Serializer]]
    capability: str
    columns: tuple[str, ...]
    fields: tuple[str, ...]
    can_create: bool = True
    # Choices of list fields the serializer takes as free strings (kinds, channels, roles).
    list_choices: dict[str, Callable[[], list[tuple[str, Any]]]] = field(default_factory=dict)
    queryset: Callable[[QuerySet], QuerySet] | None = None
    help: Promise | str = ""


def _alerts_models() -> Any:
    from minewatch.alerts import models

    return models


def _alerts_api() -> Any:
    from minewatch.alerts.api import config

    return config


def _geo_api() -> Any:
    from minewatch.geo import api

    return api


def _geo_models() -> Any:
    from minewatch.geo import models

    return models


def _roles() -> list[tuple[str, Any]]:
    from minewatch.core.choices import Role

    return list(Role.choices)


def _channels() -> list[tuple[str, Any]]:
    from minewatch.alerts.choices import ChannelKind

    return list(ChannelKind.choices)


def _threats() -> list[tuple[str, Any]]:
    from django.utils.translation import get_language

    from minewatch.incidents.taxonomy import THREATS

    spanish = (get_language() or "es").startswith("es")
    return [(t.code, t.label_es if spanish else t.label_en) for t in THREATS]


def _sources() -> list[tuple[str, Any]]:
    from minewatch.alerts.choices import AlertSource

    return list(AlertSource.choices)


RESOURCES: dict[str, Resource] = {
    r.slug: r
    for r in (
        Resource(
            "sites", gettext_lazy("Sites"), gettext_lazy("site"),
            lambda: _geo_models().Site, lambda: _geo_api().SiteSerializer, "manage_sites",
            ("name", "kind", "region", "is_active"),
            ("name", "kind", "parent", "lat", "lon", "altitude_m", "description", "is_active"),
            help=gettext_lazy("The outline of a site is drawn on the map."),
        ),
        Resource(
            "zones", gettext_lazy("Zones"), gettext_lazy("zone"),
            lambda: _geo_models().Zone, lambda: _geo_api().ZoneSerializer, "manage_sites",
            ("name", "kind", "site", "shape"),
            ("name", "kind", "site", "route", "speed_limit_kmh", "description"),
            can_create=False, help=gettext_lazy("New zones are drawn on the map."),
        ),
        Resource(
            "routes", gettext_lazy("Routes"), gettext_lazy("route"),
            lambda: _geo_models().Route, lambda: _geo_api().RouteSerializer, "manage_sites",
            ("name", "origin", "destination", "buffer_m"),
            ("name", "origin", "destination", "buffer_m", "speed_limit_kmh", "description"),
            can_create=False, help=gettext_lazy("New routes are drawn on the map."),
        ),
        Resource(
            "alert-rules", gettext_lazy("Alert rules"), gettext_lazy("alert rule"),
            lambda: _alerts_models().AlertRule, lambda: _alerts_api().AlertRuleSerializer,
            "configure_alerts", ("name", "is_enabled", "min_severity", "escalation_policy"),
            ("name", "is_enabled", "kinds", "sources", "sites", "zones", "min_severity",
             "window_start", "window_end", "dedup_minutes", "throttle_max_alerts",
             "throttle_window_minutes", "alert_severity", "threat", "incident_type",
             "escalation_policy"),
            list_choices={"sources": _sources},
        ),
        Resource(
            "escalation-policies", gettext_lazy("Escalation policies"),
            gettext_lazy("escalation policy"),
            lambda: _alerts_models().EscalationPolicy,
            lambda: _alerts_api().EscalationPolicySerializer, "configure_alerts",
            ("name", "min_severity", "is_active"),
            ("name", "threats", "kinds", "min_severity", "is_active", "steps"),
            list_choices={"threats": _threats, "channels": _channels, "recipient_roles": _roles},
        ),
        Resource(
            "contacts", gettext_lazy("Police and other contacts"), gettext_lazy("contact"),
            lambda: _alerts_models().Contact, lambda: _alerts_api().ContactSerializer,
            "configure_alerts", ("name", "kind", "site", "phone", "email", "is_active"),
            ("name", "kind", "site", "region", "area", "email", "phone", "webhook_url",
             "webhook_secret", "notes", "is_active"),
        ),
        Resource(
            "channels", gettext_lazy("Notification channels"), gettext_lazy("notification channel"),
            lambda: _alerts_models().NotificationChannel,
            lambda: _alerts_api().NotificationChannelSerializer, "configure_alerts",
            ("name", "kind", "is_active"),
            ("name", "kind", "config", "timeout_s", "max_attempts", "backoff_base_s",
             "backoff_max_s", "is_active"),
            help=gettext_lazy(
                "Settings by kind, as JSON: e-mail {\"host\", \"port\", \"sender\"}; SMS "
                "{\"url\"}; MQTT {\"host\", \"port\", \"topic\"}. A stored password or secret "
                "shows as \"***\": leave it so to keep it."
            ),
        ),
    )
}  # fmt: skip

# Labels of the fields the serializers declare without one (their names are not words).
FIELD_LABELS = {
    "kinds": gettext_lazy("Detection kinds"),
    "sources": gettext_lazy("Sources"),
    "sites": gettext_lazy("Sites"),
    "zones": gettext_lazy("Zones"),
    "threats": gettext_lazy("Threats"),
    "steps": gettext_lazy("Steps"),
    "recipient_roles": gettext_lazy("Roles to notify"),
    "users": gettext_lazy("Users"),
    "contacts": gettext_lazy("Contacts"),
    "channels": gettext_lazy("Channels"),
    "escalation_policy": gettext_lazy("Escalation policy"),
    "site": gettext_lazy("Site"),
    "route": gettext_lazy("Route"),
    "origin": gettext_lazy("Origin"),
    "destination": gettext_lazy("Destination"),
    "region": gettext_lazy("Region"),
    "parent": gettext_lazy("Parent site"),
    "lat": gettext_lazy("Latitude"),
    "lon": gettext_lazy("Longitude"),
    "webhook_secret": gettext_lazy("Webhook secret"),
}

# Capabilities that open the setup index (each section checks its own).
SETUP_CAPABILITIES = ("manage_users", "manage_sites", "configure_alerts", "manage_contractors",
                      "manage_people")  # fmt: skip


def may_setup(user: Any) -> bool:
    return any(has_capability(user, c) for c in SETUP_CAPABILITIES)


def _resource(slug: str, user: Any) -> Resource:
    resource = RESOURCES.get(slug)
    if resource is None or not has_capability(user, resource.capability):
        raise Http404
    return resource


class _Request:
    """What the serializers read of a request (``user``), with the web request's user."""

    def __init__(self, request: HttpRequest) -> None:
        self.user = request.user
        self._request = request


# --- form fields from serializer fields -------------------------------------------------


@dataclass
class FormField:
    name: str
    label: str
    widget: str  # text, number, textarea, json, checkbox, select, multiselect, time, date, steps
    value: Any = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    errors: list[str] = field(default_factory=list)
    help: str = ""
    rows: list[list[FormField]] = field(default_factory=list)


def _as_str(value: Any) -> str:
    return "" if value is None else str(value)


def _related_choices(relation: serializers.RelatedField) -> list[tuple[str, str]]:
    return [(str(obj.pk), str(obj)) for obj in relation.get_queryset()[:500]]


def _widget(
    name: str, f: serializers.Field, resource: Resource, value: Any, prefix: str = ""
) -> FormField:
    label = str(FIELD_LABELS.get(name) or _(str(f.label or name.replace("_", " ").capitalize())))
    out = FormField(prefix + name, label, "text", value, required=bool(f.required),
                    help=str(f.help_text or ""))  # fmt: skip
    if isinstance(f, serializers.BooleanField):
        out.widget = "checkbox"
    elif isinstance(f, serializers.ManyRelatedField):
        out.widget, out.choices = "multiselect", _related_choices(f.child_relation)
        out.value = [str(getattr(v, "pk", v)) for v in value or []]
    elif isinstance(f, serializers.RelatedField):
        out.widget, out.choices = "select", [("", "—"), *_related_choices(f)]
        out.value = _as_str(getattr(value, "pk", value))
    elif isinstance(f, serializers.ChoiceField):
        choices = [(str(k), str(v)) for k, v in f.choices.items()]
        out.widget = "select"
        out.choices = choices if f.required else [("", "—"), *choices]
        out.value = _as_str(value)
    elif isinstance(f, serializers.ListSerializer):
        out.widget = "steps"
        child = f.child
        items = list(value or []) + [{}]
        for index, item in enumerate(items):
            row = [
                _widget(sub, child.fields[sub], resource, item.get(sub), f"{name}-{index}-")
                for sub in child.fields
                if not child.fields[sub].read_only
            ]
            out.rows.append(row)
    elif isinstance(f, serializers.ListField):
        source = resource.list_choices.get(name)
        if source is not None:
            out.widget, out.choices = "multiselect", [(str(k), str(v)) for k, v in source()]
            out.value = [str(v) for v in value or []]
        else:
            out.value = ", ".join(str(v) for v in value or [])
            out.help = out.help or _("Separate several values with commas.")
    elif isinstance(f, serializers.JSONField):
        out.widget, out.value = "json", json.dumps(value or {}, ensure_ascii=False, indent=1)
    elif isinstance(
        f, serializers.IntegerField | serializers.FloatField | serializers.DecimalField
    ):
        out.widget, out.value = "number", _as_str(value)
    elif isinstance(f, serializers.TimeField):
        out.widget, out.value = "time", _as_str(value)[:5]
    elif isinstance(f, serializers.DateField):
        out.widget, out.value = "date", _as_str(value)
    elif getattr(f, "style", {}).get("base_template") == "textarea.html":
        out.widget, out.value = "textarea", _as_str(value)
    else:
        out.value = _as_str(value)
    return out


def build_form(
    resource: Resource, serializer: serializers.Serializer, values: dict[str, Any],
    errors: dict[str, Any] | None = None,
) -> list[FormField]:  # fmt: skip
    out = []
    for name in resource.fields:
        f = serializer.fields[name]
        widget = _widget(name, f, resource, values.get(name))
        found = (errors or {}).get(name)
        if found:
            widget.errors = _flatten(found)
        out.append(widget)
    return out


def _flatten(found: Any) -> list[str]:
    if isinstance(found, dict):
        return [f"{k}: {m}" for k, v in found.items() for m in _flatten(v)]
    if isinstance(found, list | tuple):
        return [m for item in found for m in _flatten(item)]
    return [translate_message(str(found))]


def _read(
    post: Any, name: str, f: serializers.Field, resource: Resource, errors: dict[str, Any]
) -> Any:
    """The value of one form field as the serializer takes it (``empty``: leave it out)."""
    if isinstance(f, serializers.BooleanField):
        return name in post
    if isinstance(f, serializers.ManyRelatedField):
        return post.getlist(name)
    if isinstance(f, serializers.ListSerializer):
        rows, index = [], 0
        while f"{name}-{index}-name" in post or f"{name}-{index}-channels" in post:
            prefix = f"{name}-{index}-"
            row = {sub: _read(post, prefix + sub, f.child.fields[sub], resource, errors)
                   for sub in f.child.fields if not f.child.fields[sub].read_only}  # fmt: skip
            index += 1
            row = {k: v for k, v in row.items() if v is not empty}
            if not row.get("name") and not row.get("channels"):
                continue  # the blank row
            rows.append(row)
        return rows
    if isinstance(f, serializers.ListField):
        base = name.rsplit("-", 1)[-1]
        if base in resource.list_choices:
            return post.getlist(name)
        return [p.strip() for p in post.get(name, "").split(",") if p.strip()]
    raw = post.get(name, "")
    if isinstance(f, serializers.JSONField):
        try:
            return json.loads(raw or "{}")
        except ValueError as exc:
            errors[name] = [_("Not valid JSON: %(error)s") % {"error": exc}]
            return empty
    if raw == "":
        if getattr(f, "allow_null", False):
            return None
        if isinstance(f, serializers.CharField) and f.allow_blank:
            return ""
        return empty
    return raw


def save_form(
    request: HttpRequest, resource: Resource, instance: Model | None
) -> tuple[Model | None, dict[str, Any], dict[str, Any]]:
    """Validate and save through the API serializer: (saved, the posted values, errors)."""
    serializer_class = resource.serializer()
    probe = serializer_class(context={"request": _Request(request)})
    errors: dict[str, Any] = {}
    data = {}
    for name in resource.fields:
        value = _read(request.POST, name, probe.fields[name], resource, errors)
        if value is not empty:
            data[name] = value
    if errors:
        return None, data, errors
    serializer = serializer_class(instance, data=data, partial=instance is not None,
                                  context={"request": _Request(request)})  # fmt: skip
    if not serializer.is_valid():
        return None, data, dict(serializer.errors)
    try:
        return serializer.save(), data, {}
    except MineWatchError as exc:
        return None, data, exc.as_dict()
    except DjangoValidationError as exc:
        return None, data, getattr(exc, "message_dict", {"non_field_errors": exc.messages})


# --- views ---------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The setup index: the sections the user's role may manage."""
    user = request.user
    if not may_setup(user):
        raise Http404
    sections = [r for r in RESOURCES.values() if has_capability(user, r.capability)]
    return render(request, "web/setup/index.html", {
        "sections": sections,
        "can_users": has_capability(user, "manage_users"),
        "can_contractors": has_capability(user, "manage_contractors"),
        "can_people": has_capability(user, "manage_people"),
    })  # fmt: skip


def _cell(obj: Model, name: str) -> str:
    display = getattr(obj, f"get_{name}_display", None)
    value = display() if callable(display) else getattr(obj, name, "")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


@login_required
def resource_list(request: HttpRequest, slug: str) -> HttpResponse:
    resource = _resource(slug, request.user)
    model = resource.model()
    rows = restrict(model.objects.all(), request.user)
    if resource.queryset is not None:
        rows = resource.queryset(rows)
    # A foreign key named without a verbose name ("region") is looked up in the catalogue.
    headers = [_(str(model._meta.get_field(c).verbose_name).capitalize()) for c in resource.columns]
    table = [(obj, [_cell(obj, c) for c in resource.columns]) for obj in rows[:500]]
    return render(request, "web/setup/list.html",
                  {"resource": resource, "headers": headers, "table": table})  # fmt: skip


@login_required
def resource_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    resource = _resource(slug, request.user)
    model = resource.model()
    instance = None
    if pk is not None:
        instance = restrict(model.objects.filter(pk=pk), request.user).first()
        if instance is None:
            raise Http404
    elif not resource.can_create:
        raise Http404
    serializer = resource.serializer()(instance, context={"request": _Request(request)})
    errors: dict[str, Any] = {}
    if request.method == "POST":
        saved, posted, errors = save_form(request, resource, instance)
        if saved is not None:
            messages.success(request, _("Saved: %(name)s.") % {"name": saved})
            return redirect("setup-list", slug=slug)
        values = {**(serializer.data if instance else {}), **posted}
    else:
        values = dict(serializer.data) if instance else {}
    fields = build_form(resource, serializer, values, errors)
    known = set(resource.fields)
    other = [m for k, v in errors.items() if k not in known for m in _flatten(v)]
    return render(request, "web/setup/form.html", {
        "resource": resource, "instance": instance, "fields": fields, "other_errors": other,
        "status": 400 if errors else 200,
    }, status=400 if errors else 200)  # fmt: skip


@login_required
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a test message through a channel with the delivery code that sends alerts."""
    from minewatch.alerts.services import channel_test as tester

    resource = _resource("channels", request.user)
    channel = restrict(resource.model().objects.filter(pk=pk), request.user).first()
    if channel is None:
        raise Http404
    target = request.POST.get("target", "").strip()
    try:
        result = tester.send_test(actor=request.user, channel=channel, target=target)
    except MineWatchError as exc:
        messages.error(request, exc.text)
    else:
        if result.status == "sent":
            messages.success(request, _("Test sent to %(target)s through %(channel)s.")
                             % {"target": result.target, "channel": channel.name})  # fmt: skip
        else:
            messages.error(request, _("The test through %(channel)s failed: %(error)s")
                           % {"channel": channel.name, "error": result.error})  # fmt: skip
    return redirect("setup-edit", slug="channels", pk=pk)


# --- users ---------------------------------------------------------------------------------


def _require(user: Any, capability: str) -> None:
    if not has_capability(user, capability):
        raise Http404


def _invitation_link(request: HttpRequest, user: Any) -> str:
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    path = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    })  # fmt: skip
    return request.build_absolute_uri(path)


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """The organisation's users: invite one, change a role, deactivate or reactivate, reset
    two-factor login (a lost phone)."""
    from minewatch.core import services as core_services
    from minewatch.core.models import User

    _require(request.user, "manage_users")
    errors: dict[str, list[str]] = {}
    invited_link = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "invite":
                invited = core_services.invite_user(
                    actor=request.user, username=request.POST.get("username", ""),
                    role=request.POST.get("role", ""), email=request.POST.get("email", ""),
                    first_name=request.POST.get("first_name", ""),
                    last_name=request.POST.get("last_name", ""),
                    phone=request.POST.get("phone", ""),
                )  # fmt: skip
                invited_link = _invitation_link(request, invited)
                messages.success(
                    request,
                    _("%(user)s invited. Send them the link below: it lets them choose a password.")
                    % {"user": invited},
                )
            else:
                target = restrict(User.objects.filter(pk=request.POST.get("user") or 0),
                                  request.user).first()  # fmt: skip
                if target is None:
                    raise Http404
                if request.POST.get("action") == "role":
                    core_services.set_user_role(actor=request.user, user=target,
                                                role=request.POST.get("role", ""))  # fmt: skip
                    messages.success(request, _("Role of %(user)s: %(role)s.")
                                     % {"user": target, "role": target.get_role_display()})  # fmt: skip
                elif request.POST.get("action") in ("deactivate", "activate"):
                    active = request.POST["action"] == "activate"
                    core_services.set_user_active(actor=request.user, user=target, active=active)
                    messages.success(
                        request,
                        (
                            _("%(user)s can sign in again.")
                            if active
                            else _("%(user)s can no longer sign in.")
                        )
                        % {"user": target},
                    )
                elif request.POST.get("action") == "reset-2fa":
                    from minewatch.accounts.services import reset_two_factor

                    removed = reset_two_factor(actor=request.user, user=target)
                    messages.success(request, _(
                        "Two-factor login of %(user)s reset (%(count)s authenticator(s) removed): "
                        "they enrol again at their next sign-in.") % {"user": target,
                                                                     "count": removed})  # fmt: skip
                elif request.POST.get("action") == "invite-link":
                    invited_link = _invitation_link(request, target)
                return (
                    redirect("setup-users")
                    if not invited_link
                    else render(
                        request, "web/setup/users.html", _users_context(request, {}, invited_link)
                    )
                )
        except MineWatchError as exc:
            errors = {exc.field: [exc.text]}
    status = 400 if errors else 200
    return render(request, "web/setup/users.html", _users_context(request, errors, invited_link),
                  status=status)  # fmt: skip


def _users_context(request: HttpRequest, errors: dict, invited_link: str) -> dict[str, Any]:
    from minewatch.core.choices import Role
    from minewatch.core.models import User

    rows = restrict(User.objects.order_by("username"), request.user)
    return {"rows": rows, "roles": Role.choices, "errors": errors, "invited_link": invited_link,
            "posted": request.POST if errors else {}}  # fmt: skip


# --- contractor assignments ---------------------------------------------------------------


@login_required
def assignments(request: HttpRequest) -> HttpResponse:
    """Which security contractor protects which site (assigned from the contractor registry)."""
    from minewatch.geo.models import SiteAssignment

    _require(request.user, "manage_contractors")
    rows = restrict(SiteAssignment.objects.select_related("site", "contractor"), request.user)
    return render(request, "web/setup/assignments.html", {"rows": rows})


# --- the community liaison's home ----------------------------------------------------------


@login_required
def liaison_home(request: HttpRequest) -> HttpResponse:
    """Community relations: grievances and their deadlines, the public form, incidents near communities."""
    _require(request.user, "community")
    from minewatch.accountability.models import Grievance

    grievances = restrict(Grievance.objects.all(), request.user)
    from minewatch.accountability.choices import GrievanceStatus

    open_rows = grievances.exclude(status=GrievanceStatus.CLOSED)
    return render(request, "web/setup/liaison.html", {
        "open_count": open_rows.count(),
        "overdue": open_rows.filter(status=GrievanceStatus.RECEIVED,
                                    acknowledge_due_on__lt=timezone.localdate()).count(),
        "recent": grievances.order_by("-received_at")[:10],
    })  # fmt: skip


# --- the high-contrast theme ---------------------------------------------------------------

CONTRAST_COOKIE = "mw_contrast"


@require_POST
def set_contrast(request: HttpRequest) -> HttpResponse:
    """Switch the high-contrast theme on or off (kept a year in this browser, as the language)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):  # fmt: skip
        target = "/"
    response = redirect(target)
    if request.POST.get("contrast") == "high":
        response.set_cookie(CONTRAST_COOKIE, "high", max_age=365 * 86400, samesite="Lax",
                            secure=request.is_secure(), httponly=True)  # fmt: skip
    else:
        response.delete_cookie(CONTRAST_COOKIE, samesite="Lax")
    return response
