"""API tokens, recovery codes and each organisation's two-factor policy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minewatch.accounts.choices import TokenScope
from minewatch.core.choices import Role

# Roles that must use a second factor unless the organisation chooses otherwise.
DEFAULT_TWO_FACTOR_ROLES = [Role.ADMIN.value, Role.SECURITY_MANAGER.value]


class ApiToken(models.Model):
    """A named, scoped, expiring API token of one person; only its digest is stored.

    The token acts as its user: the user's role and organisation bound what it can
    reach (the scoped querysets apply as to a signed-in session); ``scope`` can only
    narrow that. Devices (trackers, alarm panels) have their own secrets in tracking.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
        verbose_name=_("user"),
    )  # fmt: skip
    # The user's organisation when the token was made (tenancy; a token never moves).
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=TokenScope.choices,
                             default=TokenScope.READ)  # fmt: skip
    prefix = models.CharField(_("prefix"), max_length=12)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    allowed_networks = models.JSONField(_("allowed address ranges"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    last_used_from = models.CharField(_("last used from"), max_length=64, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    tenant_owner_field = "organisation"
    tenant_site_field = None

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def role_filter(user: Any) -> Q:
        """People see their own tokens; the organisation's admins see (and revoke) all of it."""
        if getattr(user, "role", None) == Role.ADMIN:
            return Q()
        return Q(user_id=user.pk)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class RecoveryCode(models.Model):
    """A single-use code that replaces the authenticator app once; stored as a digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_digest"], name="recovery_code_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {'used' if self.used_at else 'unused'}"


class TwoFactorPolicy(models.Model):
    """Which roles of an organisation must sign in with a second factor.

    Without a row the default applies: admins and security managers.
    """

    organisation = models.OneToOneField(
        "core.Organisation", on_delete=models.CASCADE, related_name="two_factor_policy"
    )
    required_roles = models.JSONField(_("roles that must use two-factor login"), default=list,
                                      blank=True)  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    tenant_owner_field = "organisation"
    tenant_site_field = None

    class Meta:
        verbose_name = _("two-factor policy")
        verbose_name_plural = _("two-factor policies")

    def __str__(self) -> str:
        return f"{self.organisation_id}: {', '.join(self.required_roles) or '-'}"
