"""Tenancy in one place: every read starts from what this user may see.

A model opts in by using :class:`TenantQuerySet` as its manager and declaring
``tenant_owner_field`` (the owning organisation) and ``tenant_site_field`` (the
path to the site the record belongs to, or ``None``). The rules (SPEC "Tenancy"):

* a user sees the records owned by their organisation;
* a security contractor also sees records of the sites it is assigned to;
* nobody sees another company's data otherwise; superusers see everything.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils import timezone


def assigned_site_ids(organisation_id: int) -> list[int]:
    """Ids of the sites an organisation is currently assigned to as a contractor."""
    assignment = apps.get_model("geo", "SiteAssignment")
    today = timezone.localdate()
    return list(
        assignment.objects.filter(contractor_id=organisation_id, is_active=True)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .values_list("site_id", flat=True)
    )


def visibility_filter(model: type[models.Model], user: Any) -> Q | None:
    """The Q that limits ``model`` to what ``user`` may see; ``None`` means everything."""
    if getattr(user, "is_superuser", False):
        return None
    org_id = getattr(user, "organisation_id", None)
    if not getattr(user, "is_authenticated", False) or org_id is None:
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
    role_filter = getattr(model, "role_filter", None)
    if role_filter is not None:
        condition &= role_filter(user)
    return condition


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
