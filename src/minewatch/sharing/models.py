"""Sharing (SPEC capability 12): settings, TLP overrides, groups, agreements, what came in.

Visibility across organisations happens only here and only through
``core.tenancy`` (each model's ``shared_filter``): a sharing group and what its
members chose to share are seen by its members; an agreement by its publisher and
its partner (or the partner group's members). Nothing else crosses.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel
from minewatch.geo.models import LAT_VALIDATORS, LON_VALIDATORS
from minewatch.intel.choices import INFORMATION_CREDIBILITY_CHOICES, SOURCE_RELIABILITY_CHOICES
from minewatch.intel.models import ThreatActor
from minewatch.sharing.choices import (
    Generalisation,
    SharedKind,
    SharedPrecision,
    TlpLevel,
    TlpObjectKind,
)


def _member_group_ids(organisation_id: int) -> models.QuerySet:
    return GroupMembership.objects.filter(organisation_id=organisation_id, is_active=True).values(
        "group_id"
    )


class SharingSettings(TenantModel):
    """An organisation's sharing defaults: the TLP of what it exports and the research export's k."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="sharing_settings"
    )
    default_tlp = models.CharField(
        _("default TLP"), max_length=16, choices=TlpLevel.choices, default=TlpLevel.AMBER
    )
    research_k = models.PositiveSmallIntegerField(
        _("research export: k (smallest cell released)"), default=5,
        validators=[MinValueValidator(2), MaxValueValidator(1000)],
    )  # fmt: skip
    research_generalisation = models.CharField(
        _("research export: place generalisation"), max_length=8,
        choices=Generalisation.choices, default=Generalisation.REGION,
    )  # fmt: skip
    research_grid_deg = models.FloatField(
        _("research export: grid cell (degrees)"), default=0.5,
        validators=[MinValueValidator(0.05), MaxValueValidator(5.0)],
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sharing settings")
        verbose_name_plural = _("sharing settings")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.default_tlp}"


class TlpOverride(TenantModel):
    """A TLP level for one record, overriding the organisation's default."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    object_kind = models.CharField(_("kind"), max_length=16, choices=TlpObjectKind.choices)
    object_id = models.PositiveBigIntegerField(_("record id"))
    tlp = models.CharField("TLP", max_length=16, choices=TlpLevel.choices)

    class Meta:
        verbose_name = _("TLP override")
        verbose_name_plural = _("TLP overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "object_kind", "object_id"], name="tlp_override_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_kind} {self.object_id}: {self.tlp}"


class SharingGroup(TenantModel):
    """An industry group (e.g. the southern corridor's companies); its convenor owns it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="convened_sharing_groups",
        verbose_name=_("convenor"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sharing group")
        verbose_name_plural = _("sharing groups")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def shared_filter(cls, organisation_id: int) -> Q:
        """Members see their group."""
        return Q(pk__in=_member_group_ids(organisation_id))


class GroupMembership(TenantModel):
    """One organisation's place in a group and what it chooses to share there.

    Seen only by the member itself: not even the convenor sees a member's choices, which
    would tell who shared what (the only member sharing one threat shared all of it).
    """

    group = models.ForeignKey(SharingGroup, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sharing_memberships"
    )
    threats = models.JSONField(_("threats shared"), default=list, blank=True)
    share_actors = models.BooleanField(_("share threat actors"), default=False)
    precision = models.CharField(
        _("precision shared"), max_length=12, choices=SharedPrecision.choices,
        default=SharedPrecision.APPROXIMATE,
    )  # fmt: skip
    tlp_ceiling = models.CharField(
        _("TLP ceiling"), max_length=16, choices=TlpLevel.choices, default=TlpLevel.GREEN
    )
    reveal_identity = models.BooleanField(_("show members who shared it"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "organisation"]
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "organisation"], name="group_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ∈ {self.group}"


class SharedRecord(TenantModel):
    """A copy of one incident or actor as a member shared it with a group (already generalised).

    The sharer's record id never leaves: ``record_key`` is an opaque hash. Other members
    learn who shared it only when ``reveal_identity`` is set (the sharer's choice).
    """

    group = models.ForeignKey(SharingGroup, on_delete=models.CASCADE, related_name="records")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("shared by")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=SharedKind.choices)
    record_key = models.CharField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    threat = models.CharField(_("threat"), max_length=32, blank=True)
    incident_type = models.CharField(_("incident type"), max_length=48, blank=True)
    severity = models.PositiveSmallIntegerField(_("severity"), null=True, blank=True)
    occurred_on = models.DateField(_("date"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), null=True, blank=True, validators=LON_VALIDATORS)
    precision = models.CharField(_("precision"), max_length=12, choices=SharedPrecision.choices)
    tlp = models.CharField("TLP", max_length=16, choices=TlpLevel.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)
    reveal_identity = models.BooleanField(default=False)
    shared_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("shared record")
        verbose_name_plural = _("shared records")
        constraints = [
            models.UniqueConstraint(fields=["group", "record_key"], name="shared_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.title}"

    @classmethod
    def shared_filter(cls, organisation_id: int) -> Q:
        """Every member of the group sees what any member shared with it."""
        return Q(group_id__in=_member_group_ids(organisation_id))


class SharingAgreement(TenantModel):
    """What one organisation publishes to a partner (or a group) as a TAXII collection."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sharing_agreements",
        verbose_name=_("publisher"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    partner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("partner"),
    )  # fmt: skip
    group = models.ForeignKey(
        SharingGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="agreements",
        verbose_name=_("partner group"),
    )  # fmt: skip
    collection_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    threats = models.JSONField(_("threats shared"), default=list, blank=True)
    include_incidents = models.BooleanField(_("incidents"), default=True)
    include_actors = models.BooleanField(_("threat actors"), default=True)
    include_reports = models.BooleanField(_("intelligence reports"), default=False)
    tlp_ceiling = models.CharField(
        _("TLP ceiling"), max_length=16, choices=TlpLevel.choices, default=TlpLevel.AMBER
    )
    precision = models.CharField(
        _("precision shared"), max_length=12, choices=SharedPrecision.choices,
        default=SharedPrecision.APPROXIMATE,
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_owner_field = ("organisation", "partner")

    class Meta:
        ordering = ["name"]
        verbose_name = _("sharing agreement")
        verbose_name_plural = _("sharing agreements")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def shared_filter(cls, organisation_id: int) -> Q:
        """A group agreement is seen by the group's members."""
        return Q(group_id__in=_member_group_ids(organisation_id))


class ExternalIntel(TenantModel):
    """A STIX object received from a partner, graded, linked to our actors by name and alias."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    stix_id = models.CharField(_("STIX id"), max_length=120)
    stix_type = models.CharField(_("STIX type"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    partner = models.CharField(_("received from"), max_length=200)
    modified = models.DateTimeField(_("modified (by the producer)"))
    tlp = models.CharField("TLP", max_length=16, choices=TlpLevel.choices)
    source_reliability = models.CharField(
        _("source reliability"), max_length=1, choices=SOURCE_RELIABILITY_CHOICES
    )
    information_credibility = models.CharField(
        _("information credibility"), max_length=1, choices=INFORMATION_CREDIBILITY_CHOICES
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), null=True, blank=True, validators=LON_VALIDATORS)
    actors = models.ManyToManyField(ThreatActor, related_name="external_intel", blank=True)
    payload = models.JSONField(_("STIX object"))
    imported_at = models.DateTimeField(auto_now=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-modified", "-id"]
        verbose_name = _("external intelligence")
        verbose_name_plural = _("external intelligence")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "stix_id"], name="external_intel_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stix_type}: {self.name}"

    @property
    def grade(self) -> str:
        return f"{self.source_reliability}{self.information_credibility}"


class AcledEvent(TenantModel):
    """One ACLED event imported as context (map layer) and as forecast backtest events."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    event_id_cnty = models.CharField("event_id_cnty", max_length=64)
    event_date = models.DateField(_("date"), db_index=True)
    event_type = models.CharField(_("event type"), max_length=64)
    sub_event_type = models.CharField(_("sub-event type"), max_length=100, blank=True)
    actor1 = models.CharField(_("actor 1"), max_length=300, blank=True)
    actor2 = models.CharField(_("actor 2"), max_length=300, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    admin1 = models.CharField("admin1", max_length=100, blank=True)
    admin2 = models.CharField("admin2", max_length=100, blank=True)
    admin3 = models.CharField("admin3", max_length=100, blank=True)
    location = models.CharField(_("place"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), validators=LON_VALIDATORS)
    fatalities = models.PositiveIntegerField(_("fatalities"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    threat = models.CharField(_("threat"), max_length=32, blank=True)
    incident_type = models.CharField(_("incident type"), max_length=48, blank=True)
    batch = models.CharField(_("file"), max_length=200, blank=True)
    raw = models.JSONField(default=dict)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-event_date", "-id"]
        verbose_name = _("ACLED event")
        verbose_name_plural = _("ACLED events")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "event_id_cnty"], name="acled_event_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id_cnty} {self.event_type}"
