"""Tenancy in one place: every read starts from what this user may see.

A model opts in by using :class:`TenantQuerySet` as its manager and declaring
``tenant_owner_field`` (the owning organisation) and ``tenant_site_field`` (the
path to the site the record belongs to, or ``None``). The rules (SPEC "Tenancy"):

* a user sees the records owned by their organisation;
* a security contractor also sees records of the sites it is assigned to;
* nobody sees another company's data otherwise; superusers see everything — except
  what a model shares on purpose: its ``shared_filter(organisation_id)`` (a Q) adds the
  rows shared with the user's organisation (a sharing group's records seen by its
  members, an agreement by its partner). Only the sharing app declares one;
* within that, a role may read only some models at all (``core.roles.may_read_model``:
  a guard reads no alerts, positions or intelligence) and a model may limit rows per role
  (its ``role_filter``: a guard sees only its own reports, an operator no confidential
  incident). These are the only role rules for reads: the API, the web app, the live
  stream, exports and the CLI all start from :func:`restrict`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minewatch.core.roles import may_read_model


def current_assignments(today: dt.date | None = None) -> models.QuerySet:
    """Contractor site assignments in force on ``today`` (default: today, local time).

    Active, started (``starts_on`` empty or not after today) and not ended (``ends_on``
    empty or not before today): the one rule for when a contractor's access begins and
    ends, used by tenancy, the live stream and the escalation ladder alike.
    """
    assignment = apps.get_model("geo", "SiteAssignment")
    today = today or timezone.localdate()
    return assignment.objects.filter(
        Q(starts_on__isnull=True) | Q(starts_on__lte=today),
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        is_active=True,
    )


def assigned_site_ids(organisation_id: int) -> list[int]:
    """Ids of the sites an organisation is currently assigned to as a contractor."""
    rows = current_assignments().filter(contractor_id=organisation_id)
    return list(rows.values_list("site_id", flat=True))


def visibility_filter(model: type[models.Model], user: Any) -> Q | None:
    """The Q that limits ``model`` to what ``user`` may see; ``None`` means everything."""
    if getattr(user, "is_superuser", False):
        return None
    org_id = getattr(user, "organisation_id", None)
    if not getattr(user, "is_authenticated", False) or org_id is None:
        return Q(pk__in=[])
    if not may_read_model(user, model._meta.label_lower):
        return Q(pk__in=[])
    owner = model.tenant_owner_field  # type: ignore[attr-defined]
    site = model.tenant_site_field  # type: ignore[attr-defined]
    owners = owner if isinstance(owner, tuple) else (owner,)
    condition = Q(pk__in=[])
    for field in filter(None, owners):
        condition |= Q(pk=org_id) if field == "self" else Q(**{f"{field}_id": org_id})
    if site is not None:
        site_ids = assigned_site_ids(org_id)
        if site_ids:
            lookup = "pk__in" if site == "self" else f"{site}_id__in"
            condition |= Q(**{lookup: site_ids})
    shared_filter = getattr(model, "shared_filter", None)
    if shared_filter is not None:
        condition |= shared_filter(org_id)
    role_filter = getattr(model, "role_filter", None)
    if role_filter is not None:
        condition &= role_filter(user)
    return condition


def visibility_key(model: type[models.Model], user: Any) -> tuple[Any, ...]:
    """What :func:`visibility_filter` of ``model`` depends on for ``user``: users with equal
    keys see the same rows of it (at one moment), so one restricted read can serve them all
    (the access-event batch reads its callers' access points once per key).

    Kept beside the filter on purpose: a rule added there must be reflected here.
    """
    per_user = getattr(model, "role_filter", None) is not None  # may look at the user itself
    return (
        getattr(user, "is_superuser", False),
        getattr(user, "is_authenticated", False),
        getattr(user, "organisation_id", None),
        getattr(user, "role", None),
        getattr(user, "pk", None) if per_user else None,
    )


def prefixed(condition: Q, prefix: str) -> Q:
    """``condition`` with every lookup moved under ``prefix`` (``confidentiality`` → ``incident__confidentiality``)."""
    copy = Q()
    copy.connector, copy.negated = condition.connector, condition.negated
    copy.children = [
        prefixed(child, prefix) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1])
        for child in condition.children
    ]
    return copy


def restrict(queryset: models.QuerySet, user: Any) -> models.QuerySet:
    """``queryset`` limited to the rows ``user`` may see."""
    condition = visibility_filter(queryset.model, user)
    return queryset if condition is None else queryset.filter(condition)


class TenantQuerySet(models.QuerySet):
    """A queryset that knows how to restrict itself to one user's view."""

    def visible_to(self, user: Any) -> models.QuerySet:
        return restrict(self, user)


class TenantModel(models.Model):
    """Abstract base for operational records owned by an organisation."""

    tenant_owner_field: str | None = "organisation"
    tenant_site_field: str | None = None

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean_fields(self, exclude: Any = None) -> None:
        """Django's field checks, plus: ``None`` in a column that cannot be null is refused,
        and free text (a ``TextField``) longer than ``max_text_chars`` is refused.

        Django skips every check of an empty value when the field is ``blank=True``,
        so ``weapons=null`` (a list field that may be empty, not null) passed
        ``full_clean()`` and failed only in the database, as a 500. Each service
        calls ``full_clean()``, so the error names the field (400) and nothing is saved.
        """
        errors: dict[str, list[Any]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.error_dict
        for field in self._meta.concrete_fields:
            if field.null or field.primary_key or not field.editable or field.name in errors:
                continue
            if exclude and field.name in exclude:
                continue
            value = getattr(self, field.attname)
            if value is None:
                errors[field.name] = [ValidationError(field.error_messages["null"], code="null")]
            elif isinstance(field, models.TextField) and isinstance(value, str):
                # Django enforces no length on a TextField; a 2 MB narrative made one
                # complaint dossier take five minutes. Tunable max_text_chars.
                limit = field.max_length or int(settings.TUNABLES["max_text_chars"])
                if len(value) > limit:
                    errors[field.name] = [ValidationError(
                        _("At most %(limit)s characters (this text has %(length)s)."),
                        code="max_length", params={"limit": limit, "length": len(value)},
                    )]  # fmt: skip
        if errors:
            raise ValidationError(errors)
