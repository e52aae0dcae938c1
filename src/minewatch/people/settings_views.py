"""The people settings page ("Ajustes de personal"): what each role must have, how long each
check is valid, expiry alerts, the hire-from-outside rule, repeated denials, the explosives
magazines' hours and the retention periods.

Whoever may read the settings (as ``GET /api/v1/people-settings/``) sees the page; a change goes
through ``services.save_settings``, which checks the role (``manage_people``) and every value.
Each input is named after the service's keyword, so a refusal (``InvalidInput(field=...)``) is
shown next to the input it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minewatch.core.errors import MineWatchError, NotAllowed
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.people import services
from minewatch.people.choices import LocalHireAction, PersonRole, TrainingKind, VettingKind
from minewatch.people.models import PeopleSettings

WHOLE = re.compile(r"^\s*-?\d+\s*$")
DAYS_LIST = re.compile(r"^\s*-?\d+(\s*,\s*-?\d+)*\s*$")
NUMBERS = ("warn_days", "local_hire_km", "denial_limit", "denial_window_min",
           *services.RETENTION_SETTINGS)  # fmt: skip
HELP = {
    "warn_days": gettext_lazy("A check that expires within these days shows as expiring soon."),
    "expiry_alert_days": gettext_lazy(
        "Days before an expiry when an alert is raised, separated by commas, e.g. 30, 7, 0."
    ),
    "local_hire_action": gettext_lazy(
        "What happens when someone who lives near the site is assigned to it."
    ),
    "local_hire_km": gettext_lazy(
        "A home district within this distance of the site (or in its province) is local."
    ),
    "denial_limit": gettext_lazy(
        "This many denied passes of one credential within the minutes below raise an anomaly; "
        "0 turns it off."
    ),
    "magazine_opens": gettext_lazy(
        "A pass at an explosives magazine outside these hours is an anomaly."
    ),  # fmt: skip
}
SECTIONS = (
    ("expiry", gettext_lazy("Expiry"), ("warn_days", "expiry_alert_days")),
    ("local-hire", gettext_lazy("Hiring from outside the area"),
     ("local_hire_action", "local_hire_km")),
    ("denials", gettext_lazy("Repeated denials"), ("denial_limit", "denial_window_min")),
    ("magazines", gettext_lazy("Explosives magazines"), ("magazine_opens", "magazine_closes")),
    ("retention", gettext_lazy("Retention of personal data (Ley 29733)"),
     services.RETENTION_SETTINGS),
)  # fmt: skip


@dataclass
class Input:
    """One input of the page: its service keyword, label, widget, value as typed, errors."""

    name: str
    label: str
    widget: str  # number, text, time, select
    value: str
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _label(name: str) -> str:
    return str(capfirst(PeopleSettings._meta.get_field(name).verbose_name))


def _hhmm(value: Any) -> str:
    return value.strftime("%H:%M") if hasattr(value, "strftime") else str(value or "")[:5]


def _typed(current: PeopleSettings) -> dict[str, Any]:
    """The stored settings as the form posts them (strings, and sets of ticked boxes)."""
    typed: dict[str, Any] = {name: str(getattr(current, name)) for name in NUMBERS}
    typed.update(
        required_vetting={f"{role}:{kind}" for role, kinds in (current.required_vetting or {})
                          .items() for kind in kinds},
        required_training={f"{role}:{kind}" for role, kinds in (current.required_training or {})
                           .items() for kind in kinds},
        validity_days={k: str(v) for k, v in (current.validity_days or {}).items()},
        site_districts={str(k): v for k, v in (current.site_districts or {}).items()},
        expiry_alert_days=", ".join(str(d) for d in current.expiry_alert_days or []),
        local_hire_action=current.local_hire_action,
        magazine_opens=_hhmm(current.magazine_opens),
        magazine_closes=_hhmm(current.magazine_closes),
    )  # fmt: skip
    return typed


def _posted(post: Any, sites: list[Site]) -> dict[str, Any]:
    typed: dict[str, Any] = {name: post.get(name, "").strip() for name in NUMBERS}
    typed.update(
        required_vetting=set(post.getlist("required_vetting")),
        required_training=set(post.getlist("required_training")),
        validity_days={kind: post.get(f"validity_days-{kind}", "").strip()
                       for kind in (*VettingKind.values, *TrainingKind.values)},
        site_districts={str(s.pk): post.get(f"site_districts-{s.pk}", "").strip()
                        for s in sites},
        expiry_alert_days=post.get("expiry_alert_days", "").strip(),
        local_hire_action=post.get("local_hire_action", ""),
        magazine_opens=post.get("magazine_opens", "").strip(),
        magazine_closes=post.get("magazine_closes", "").strip(),
    )  # fmt: skip
    return typed


def _by_role(ticked: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {role: [] for role in PersonRole.values}
    for item in sorted(ticked):
        role, _sep, kind = item.partition(":")
        out.setdefault(role, []).append(kind)  # an unknown role or kind: the service says so
    return out


def _values(typed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The service's keywords from what was typed, or the inputs that are not numbers."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "required_vetting": _by_role(typed["required_vetting"]),
        "required_training": _by_role(typed["required_training"]),
        "local_hire_action": typed["local_hire_action"],
        "magazine_opens": typed["magazine_opens"],
        "magazine_closes": typed["magazine_closes"],
    }
    for name in NUMBERS:
        if not WHOLE.match(typed[name]):
            errors[name] = [_("Enter a whole number.")]
        else:
            values[name] = int(typed[name])
    validity = {}
    for kind, raw in typed["validity_days"].items():
        if raw == "":
            continue  # never expires
        if not WHOLE.match(raw):
            errors["validity_days"] = [_("Enter a whole number.")]
        else:
            validity[kind] = int(raw)
    values["validity_days"] = validity
    if not DAYS_LIST.match(typed["expiry_alert_days"]):
        errors["expiry_alert_days"] = [_("Enter whole numbers of days separated by commas.")]
    else:
        values["expiry_alert_days"] = [int(d) for d in typed["expiry_alert_days"].split(",")]
    values["site_districts"] = {k: v for k, v in typed["site_districts"].items() if v}
    return values, errors


def _grid(kinds: Any, ticked: set[str]) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """Rows of the role × kind grid: (role label, [(box value, kind label, ticked)])."""
    return [
        (str(role_label), [(f"{role}:{kind}", str(kind_label), f"{role}:{kind}" in ticked)
                           for kind, kind_label in kinds.choices])
        for role, role_label in PersonRole.choices
    ]  # fmt: skip


def _input(name: str, typed: dict[str, Any], errors: dict[str, list[str]]) -> Input:
    widget = "number"
    choices: list[tuple[str, str]] = []
    if name in ("magazine_opens", "magazine_closes"):
        widget = "time"
    elif name == "expiry_alert_days":
        widget = "text"
    elif name == "local_hire_action":
        widget, choices = "select", [(str(k), str(v)) for k, v in LocalHireAction.choices]
    help_text = HELP.get(name, "")
    if name in services.RETENTION_SETTINGS:
        help_text = gettext_lazy("0 keeps the records.")
    return Input(name, _label(name), widget, typed[name], str(help_text), choices,
                 errors.get(name, []))  # fmt: skip


def _page(request: HttpRequest, current: PeopleSettings, typed: dict[str, Any],
          sites: list[Site], errors: dict[str, list[str]], editable: bool) -> HttpResponse:  # fmt: skip
    sections = [(slug, str(title), [_input(n, typed, errors) for n in names])
                for slug, title, names in SECTIONS]  # fmt: skip
    validity = [(kind, str(label), typed["validity_days"].get(kind, ""))
                for kind, label in (*VettingKind.choices, *TrainingKind.choices)]  # fmt: skip
    districts = [(site, typed["site_districts"].get(str(site.pk), "")) for site in sites]
    known = {"required_vetting", "required_training", "validity_days", "site_districts",
             *services.MORE_SETTINGS, *NUMBERS}  # fmt: skip
    other = [m for k, v in errors.items() if k not in known for m in v]
    return render(request, "people/settings.html", {
        "editable": editable, "errors": errors, "other_errors": other,
        "vetting_grid": _grid(VettingKind, typed["required_vetting"]),
        "training_grid": _grid(TrainingKind, typed["required_training"]),
        "vetting_kinds": [str(label) for _k, label in VettingKind.choices],
        "training_kinds": [str(label) for _k, label in TrainingKind.choices],
        "validity": validity, "sections": sections, "districts": districts,
        "labels": {n: _label(n) for n in ("required_vetting", "required_training",
                                          "validity_days", "site_districts")},
    }, status=400 if errors else 200)  # fmt: skip


@login_required
def people_settings(request: HttpRequest) -> HttpResponse:
    """Show the organisation's people settings; a manager changes them here."""
    user = request.user
    if getattr(user, "organisation_id", None) is None or not has_capability(user, "read"):
        raise PermissionDenied
    current = services.settings_for(user.organisation_id)
    sites = list(restrict(Site.objects.filter(organisation_id=user.organisation_id,
                                              is_active=True), user).order_by("name")[:200])  # fmt: skip
    editable = has_capability(user, "manage_people")
    if request.method != "POST":
        return _page(request, current, _typed(current), sites, {}, editable)
    if not editable:  # the page offers no form; the service refuses a write all the same
        raise PermissionDenied
    typed = _posted(request.POST, sites)
    values, errors = _values(typed)
    # Sites the page does not list (inactive, or past the first 200) keep their district.
    listed = {str(site.pk) for site in sites}
    kept = {k: v for k, v in (current.site_districts or {}).items() if k not in listed}
    values["site_districts"] = {**kept, **values["site_districts"]}
    if not errors:
        try:
            services.save_settings(actor=user, **values)
        except NotAllowed as exc:
            raise PermissionDenied(exc.text) from None
        except MineWatchError as exc:
            errors = {exc.field: [exc.text]}
        else:
            messages.success(request, _("People settings saved."))
            return redirect("people:settings")
    return _page(request, current, typed, sites, errors, editable)
