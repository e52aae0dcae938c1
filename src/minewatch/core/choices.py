"""Enumerations of the core app, named after their field."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    MINING_COMPANY = "mining_company", _("Mining company")
    SECURITY_CONTRACTOR = "security_contractor", _("Private security company")
    PUBLIC_SECURITY = "public_security", _("Public security unit")
    COMMUNITY = "community", _("Community body")
    AUTHORITY = "authority", _("Authority")
    TRANSPORT_CONTRACTOR = "transport_contractor", _("Transport contractor")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SECURITY_MANAGER = "security_manager", _("Security manager")
    ANALYST = "analyst", _("Analyst")
    OPERATOR = "operator", _("Control-room operator")
    GUARD = "guard", _("Guard")
    LIAISON = "liaison", _("Community liaison")
    AUDITOR = "auditor", _("Auditor (read-only)")


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    TRANSITION = "transition", _("Status changed")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    ACCESS = "access", _("Accessed")
    CUSTODY = "custody", _("Custody entry")
    CHECKPOINT = "checkpoint", _("Signed checkpoint")
