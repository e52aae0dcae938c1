"""Organisations, users with roles, and the append-only audit log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.core.choices import AuditAction, OrganisationKind, Role


class Organisation(models.Model):
    """A tenant: a mining company, a security contractor, a public-security unit or a community body.

    A mining company owns sites and the records about them; a contractor sees
    only the sites it is assigned to (``geo.SiteAssignment``).
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    tax_id = models.CharField(_("tax id (RUC)"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="PE")
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_owner_field = "self"
    tenant_site_field = None

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_contractor(self) -> bool:
        return self.kind == OrganisationKind.SECURITY_CONTRACTOR


class User(AbstractUser):
    """A person who signs in. Belongs to one organisation with one role."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.OPERATOR)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    preferred_language = models.CharField(
        _("language"), max_length=8, choices=[("es", "Español"), ("en", "English")], default="es"
    )

    tenant_owner_field = "organisation"
    tenant_site_field = None

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise PermissionDenied("the audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("the audit log is append-only")


class AuditEntry(models.Model):
    """One write, as it happened: who, when, what, and the record before and after.

    Append-only: updates and deletes are refused by the model and its queryset.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditQuerySet.as_manager()

    tenant_owner_field = "organisation"
    tenant_site_field = None

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionDenied("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("the audit log is append-only")
