"""Organisations, users with roles, and the append-only audit log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
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
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # The hash chain (core/engine/ledger.py): position, the previous entry's hash, this one's.
    sequence = models.PositiveBigIntegerField(unique=True, null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    entry_hash = models.CharField(max_length=64, blank=True, editable=False)

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


class SignedCheckpoint(models.Model):
    """The heads of the audit chain and of every custody chain, signed with the Ed25519 key.

    Written periodically, at every dossier export and on demand (``minewatch audit
    checkpoint``). The private key lives outside the database, so whoever rewrites the
    database cannot make a rewritten chain reach a signed head again.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.CharField(max_length=40)
    audit_sequence = models.PositiveBigIntegerField()
    audit_head = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    signed = models.JSONField(help_text="payload, key id and base64 signature")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("signed checkpoint")
        verbose_name_plural = _("signed checkpoints")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.reason} #{self.audit_sequence}"


class LoginThrottle(models.Model):
    """Failed logins counted per (user name, address) and per address, atomically.

    ``core.throttle`` reads and writes it; a row with ``locked_until`` in the future refuses
    logins for its key until then (or until a manager unlocks the user).
    """

    key = models.CharField(max_length=80, unique=True)
    username = models.CharField(max_length=150, blank=True, db_index=True)
    address = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return f"{self.username or '*'}@{self.address}: {self.failures}"
