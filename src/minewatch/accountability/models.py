"""Human rights and accountability (SPEC capability 11): grievances and use-of-force reports.

Grievances are the ICoC's third-party complaint procedure (paras 66–68); use-of-force
reports its written incident reports (paras 30–32, 63). Nothing here can be deleted:
the model and its queryset refuse it, like the audit log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minewatch.accountability.choices import (
    ForceJustification,
    ForceLevel,
    GrievanceCategory,
    GrievanceChannel,
    GrievanceOutcome,
    GrievanceStatus,
    IcocaStatus,
    PublicSecurityForce,
    ReviewFinding,
    SupportKind,
    UseOfForceStatus,
)
from minewatch.core.choices import Role
from minewatch.core.models import Organisation
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import TenantModel, TenantQuerySet
from minewatch.geo.models import LAT_VALIDATORS, LON_VALIDATORS, Site
from minewatch.incidents.models import Incident

USER = settings.AUTH_USER_MODEL


class UndeletableQuerySet(TenantQuerySet):
    """Tenant-scoped, and refuses bulk deletes (accountability records are kept)."""

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("accountability records cannot be deleted")


class UndeletableModel(TenantModel):
    objects = UndeletableQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("accountability records cannot be deleted")


def _user(name: Any, related: str = "+") -> models.ForeignKey:
    return models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name=related,
        verbose_name=name,
    )  # fmt: skip


class UseOfForceReport(UndeletableModel):
    """A written report of one use of force by security personnel (ICoC paras 30–32, 63).

    Filed within ``filing_due_at`` (default 24 h after the incident); a firearm discharge
    or an injury opens a review at once. Once reviewed, changes only through
    :class:`UseOfForceAmendment` (audited, with a reason).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="use_of_force_reports"
    )
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("incident"),
    )  # fmt: skip
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("site"),
    )  # fmt: skip
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    place = models.CharField(_("place"), max_length=300)
    lat = models.FloatField(_("latitude"), null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), null=True, blank=True, validators=LON_VALIDATORS)
    personnel = models.TextField(_("who used force (personnel)"))
    contractor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("contractor"),
    )  # fmt: skip
    subjects = models.TextField(_("against whom (described, not identified unless needed)"))
    force_level = models.CharField(_("force level"), max_length=24, choices=ForceLevel.choices)
    warning_given = models.BooleanField(_("warning given"), default=False)
    warning_details = models.CharField(_("warning given (words)"), max_length=300, blank=True)
    # Required from physical restraint up (services.use_of_force.JUSTIFIED_LEVELS).
    justification = models.CharField(
        _("justification"), max_length=32, choices=ForceJustification.choices, blank=True
    )
    justification_details = models.TextField(_("circumstances"), blank=True)
    injuries_personnel = models.TextField(_("injuries to personnel"), blank=True)
    injuries_subjects = models.TextField(_("injuries to others"), blank=True)
    has_injuries = models.BooleanField(_("anyone injured"), default=False)
    medical_aid_given = models.BooleanField(_("medical aid given"), default=False)
    medical_aid_at = models.DateTimeField(_("medical aid given at"), null=True, blank=True)
    medical_aid_details = models.CharField(_("medical aid"), max_length=300, blank=True)
    rounds_fired = models.PositiveIntegerField(_("rounds fired"), default=0)
    weapon = models.CharField(_("weapon"), max_length=200, blank=True)
    witnesses = models.TextField(_("witnesses"), blank=True)
    police_informed = models.BooleanField(_("police told"), default=False)
    police_informed_at = models.DateTimeField(_("police told at"), null=True, blank=True)
    police_unit = models.CharField(_("police unit told"), max_length=200, blank=True)
    reporter = _user(_("reporter"), "use_of_force_reports")
    filed_at = models.DateTimeField(_("filed at"))
    filing_due_at = models.DateTimeField(_("due by"))
    is_late = models.BooleanField(_("filed late"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=UseOfForceStatus.choices, default=UseOfForceStatus.FILED
    )
    review_opened_at = models.DateTimeField(_("review opened at"), null=True, blank=True)
    reviewer = _user(_("reviewer"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    finding = models.CharField(_("finding"), max_length=32, choices=ReviewFinding.choices,
                               blank=True)  # fmt: skip
    review_actions = models.TextField(_("actions"), blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The owner and the contractor whose personnel used force both see the report.
    tenant_owner_field = ("organisation", "contractor")
    tenant_site_field = None

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("use-of-force report")
        verbose_name_plural = _("use-of-force reports")

    @classmethod
    def role_filter(cls, user: object) -> Q:
        """Field staff read the reports they filed; the control room and managers read all."""
        if getattr(user, "role", None) == Role.GUARD:
            return Q(reporter_id=getattr(user, "pk", None))
        return Q()

    def __str__(self) -> str:
        return f"{self.reference} {self.get_force_level_display()}"

    @property
    def needs_review_at_once(self) -> bool:
        """A firearm discharge or an injury is reviewed whatever the manager's queue."""
        return self.force_level == ForceLevel.FIREARM_DISCHARGED or self.has_injuries


class UseOfForceAmendment(models.Model):
    """A change to a reviewed report: field, old and new value, reason, who and when.

    Append-only, like the audit log.
    """

    report = models.ForeignKey(UseOfForceReport, on_delete=models.PROTECT,
                               related_name="amendments")  # fmt: skip
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    amended_by = _user(_("amended by"))
    amended_at = models.DateTimeField(_("amended at"), auto_now_add=True)

    objects = UndeletableQuerySet.as_manager()
    tenant_owner_field = ("report__organisation", "report__contractor")
    tenant_site_field = None

    class Meta:
        ordering = ["amended_at", "id"]
        verbose_name = _("use-of-force amendment")
        verbose_name_plural = _("use-of-force amendments")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.field}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionDenied("amendments are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("amendments are append-only")


class Grievance(UndeletableModel):
    """A community grievance (ICoC paras 66–68), from the public form or filed by the liaison.

    The complainant's name and contact are seen only by the liaison and the security
    manager of the owning organisation (:func:`can_see_complainant`); a contractor sees
    the grievances about its own personnel, without them. Photos are kept in the
    evidence store, by content hash.
    """

    # The audit log leaves the identity out for everyone else.
    audit_protected_fields = {"complainant_name": "see_complainant",
                              "complainant_contact": "see_complainant",
                              "tracking_code": "see_complainant",
                              "photo_sha256": "see_complainant"}  # fmt: skip

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="grievances")  # fmt: skip
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    tracking_code = models.CharField(_("tracking code"), max_length=20, unique=True)
    channel = models.CharField(_("received through"), max_length=16,
                               choices=GrievanceChannel.choices)  # fmt: skip
    category = models.CharField(_("category"), max_length=24, choices=GrievanceCategory.choices)
    description = models.TextField(_("what happened"))
    place_name = models.CharField(_("where"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), null=True, blank=True, validators=LON_VALIDATORS)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("site"))  # fmt: skip
    occurred_on = models.DateField(_("when"), null=True, blank=True)
    occurred_when = models.CharField(_("when (in the complainant's words)"), max_length=200,
                                     blank=True)  # fmt: skip
    is_anonymous = models.BooleanField(_("anonymous"), default=True)
    complainant_name = models.CharField(_("complainant's name"), max_length=200, blank=True)
    complainant_contact = models.CharField(_("complainant's contact"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="es")
    contractor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("contractor of the personnel"),
    )  # fmt: skip
    personnel = models.CharField(_("security personnel concerned"), max_length=300, blank=True)
    use_of_force_report = models.ForeignKey(
        UseOfForceReport, on_delete=models.PROTECT, null=True, blank=True,
        related_name="grievances", verbose_name=_("use-of-force report"),
    )  # fmt: skip
    photo_sha256 = models.CharField(_("photo (SHA-256)"), max_length=64, blank=True)
    photo_content_type = models.CharField(_("photo type"), max_length=100, blank=True)
    photo_size_bytes = models.BigIntegerField(_("photo size (bytes)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=GrievanceStatus.choices,
                              default=GrievanceStatus.RECEIVED)  # fmt: skip
    received_at = models.DateTimeField(_("received at"), db_index=True)
    filed_by = _user(_("filed by"))
    acknowledge_due_on = models.DateField(_("acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    assigned_to = _user(_("assigned to"))
    response_due_on = models.DateField(_("respond by"), null=True, blank=True)
    response = models.TextField(_("response"), blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=GrievanceOutcome.choices,
                               blank=True)  # fmt: skip
    remedy = models.TextField(_("remedy"), blank=True)
    appeal_reason = models.TextField(_("reason for the appeal"), blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    non_retaliation_noted = models.BooleanField(
        _("complainant told of the non-retaliation policy"), default=False
    )
    # Deadlines already reported to the manager ("acknowledge:2026-12-11"): one alert each.
    overdue_alerted = models.JSONField(default=list, blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_owner_field = ("organisation", "contractor")
    tenant_site_field = None

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("grievance")
        verbose_name_plural = _("grievances")

    def __str__(self) -> str:
        return f"{self.reference} {self.get_category_display()}"


class GrievanceStep(models.Model):
    """One step of a grievance's history, as the complainant and the liaison see it."""

    grievance = models.ForeignKey(Grievance, on_delete=models.PROTECT, related_name="steps")
    status = models.CharField(_("status"), max_length=16, choices=GrievanceStatus.choices)
    note = models.TextField(_("note"), blank=True)
    actor = _user(_("by"))
    at = models.DateTimeField(_("at"))

    objects = UndeletableQuerySet.as_manager()
    tenant_owner_field = ("grievance__organisation", "grievance__contractor")
    tenant_site_field = None

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("grievance step")
        verbose_name_plural = _("grievance steps")

    def __str__(self) -> str:
        return f"{self.grievance_id}: {self.status}"


def can_see_complainant(user: Any, grievance: Grievance) -> bool:
    """Only the liaison and the security manager of the owning organisation (and superusers)."""
    if getattr(user, "is_superuser", False):
        return True
    return (
        has_capability(user, "see_complainant")
        and getattr(user, "organisation_id", None) == grievance.organisation_id
    )


class Contractor(UndeletableModel):
    """A private security company in the client's registry: tax id, SUCAMEC, ICoCA, insurance.

    Owned by the client (the mining company); the PSC itself reads its own entry. The
    SUCAMEC authorisation's ``modalities`` (D.Leg. 1213) are what site assignments may
    use; after ``sucamec_expires_on`` no new assignment is accepted.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="contractor_registry")  # fmt: skip
    company = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("private security company"))  # fmt: skip
    ruc = models.CharField(_("RUC"), max_length=11)
    sucamec_authorisation = models.CharField(_("SUCAMEC authorisation number"), max_length=64)
    sucamec_expires_on = models.DateField(_("SUCAMEC authorisation expires on"))
    modalities = models.JSONField(_("authorised modalities (D.Leg. 1213)"), default=list)
    icoca_status = models.CharField(_("ICoCA status"), max_length=20,
                                    choices=IcocaStatus.choices, default=IcocaStatus.NONE)  # fmt: skip
    icoca_since = models.DateField(_("ICoCA status since"), null=True, blank=True)
    insurer = models.CharField(_("insurer"), max_length=200, blank=True)
    insurance_policy = models.CharField(_("insurance policy"), max_length=100, blank=True)
    insurance_expires_on = models.DateField(_("insurance expires on"), null=True, blank=True)
    contract_starts_on = models.DateField(_("contract starts on"), null=True, blank=True)
    contract_ends_on = models.DateField(_("contract ends on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The expiry date already reported to the manager (one alert per authorisation).
    expiry_alerted_for = models.DateField(null=True, blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_owner_field = ("organisation", "company")
    tenant_site_field = None

    class Meta:
        ordering = ["company__name"]
        verbose_name = _("contractor")
        verbose_name_plural = _("contractor registry")
        constraints = [models.UniqueConstraint(fields=["organisation", "company"],
                                               name="contractor_registry_unique")]  # fmt: skip

    def __str__(self) -> str:
        return str(self.company)


class PublicSecurityAgreement(UndeletableModel):
    """An agreement with the police (PNP) or the armed forces (VPSHR: disclosed relations).

    Records the parties, the legal basis, the scope, the duration, the human-rights
    clauses and the units deployed; in-kind support and linked incidents hang off it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="security_agreements")  # fmt: skip
    reference = models.CharField(_("reference"), max_length=64)
    force = models.CharField(_("public security force"), max_length=8,
                             choices=PublicSecurityForce.choices)  # fmt: skip
    counterpart = models.CharField(_("counterpart (unit, command)"), max_length=300)
    legal_basis = models.TextField(_("legal basis"))
    scope = models.TextField(_("scope"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    human_rights_clauses = models.TextField(_("human-rights clauses"))
    units_deployed = models.TextField(_("units deployed"), blank=True)
    sites = models.ManyToManyField(Site, blank=True, related_name="+", verbose_name=_("sites"))
    incidents = models.ManyToManyField(Incident, blank=True, related_name="+",
                                       verbose_name=_("incidents where public security acted"))  # fmt: skip
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("public security agreement")
        verbose_name_plural = _("public security agreements")
        constraints = [models.UniqueConstraint(fields=["organisation", "reference"],
                                               name="security_agreement_unique")]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_force_display()})"


class InKindSupport(models.Model):
    """One contribution in kind to public security under an agreement: what, how much, when."""

    agreement = models.ForeignKey(PublicSecurityAgreement, on_delete=models.PROTECT,
                                  related_name="support")  # fmt: skip
    kind = models.CharField(_("kind"), max_length=16, choices=SupportKind.choices)
    description = models.CharField(_("description"), max_length=300)
    value_pen = models.DecimalField(_("value (PEN)"), max_digits=14, decimal_places=2,
                                    validators=[MinValueValidator(0)])  # fmt: skip
    given_on = models.DateField(_("given on"))
    recorded_by = _user(_("recorded by"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UndeletableQuerySet.as_manager()
    tenant_owner_field = "agreement__organisation"
    tenant_site_field = None

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("in-kind support")
        verbose_name_plural = _("in-kind support")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value_pen} PEN ({self.given_on})"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("accountability records cannot be deleted")
