"""Enumerations of the accountability app, named after their field."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.accountability.engine import workflow


class GrievanceCategory(models.TextChoices):
    SECURITY_CONDUCT = "security_conduct", _("Conduct of security personnel")
    USE_OF_FORCE = "use_of_force", _("Use of force")
    PROPERTY_DAMAGE = "property_damage", _("Damage to property")
    ROAD_BLOCK = "road_block", _("Road blocked by the company")
    LAND_WATER = "land_water", _("Land and water")
    DISCRIMINATION = "discrimination", _("Discrimination")
    OTHER = "other", _("Other")


# Categories about security personnel: the grievance links to the person and contractor.
PERSONNEL_CATEGORIES = frozenset(
    {GrievanceCategory.SECURITY_CONDUCT, GrievanceCategory.USE_OF_FORCE}
)


class GrievanceChannel(models.TextChoices):
    PUBLIC_FORM = "public_form", _("Public form (/reclamos/)")
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Phone call")
    LETTER = "letter", _("Letter")


class GrievanceStatus(models.TextChoices):
    RECEIVED = workflow.RECEIVED, _("Received")
    ACKNOWLEDGED = workflow.ACKNOWLEDGED, _("Acknowledged")
    UNDER_REVIEW = workflow.UNDER_REVIEW, _("Under review")
    RESPONSE_GIVEN = workflow.RESPONSE_GIVEN, _("Response given")
    APPEALED = workflow.APPEALED, _("Appealed")
    CLOSED = workflow.CLOSED, _("Closed")


class GrievanceOutcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
    NOT_UPHELD = "not_upheld", _("Not upheld")
    REFERRED = "referred", _("Referred to the authorities")
    WITHDRAWN = "withdrawn", _("Withdrawn by the complainant")


class ForceLevel(models.TextChoices):
    """The force continuum, lowest first (ICoC para 30: force proportionate to the threat)."""

    PRESENCE = "presence", _("Presence")
    VERBAL_COMMANDS = "verbal_commands", _("Verbal commands")
    PHYSICAL_RESTRAINT = "physical_restraint", _("Physical restraint")
    LESS_LETHAL = "less_lethal", _("Less-lethal weapon")
    FIREARM_DRAWN = "firearm_drawn", _("Firearm drawn")
    FIREARM_DISCHARGED = "firearm_discharged", _("Firearm discharged")


class ForceJustification(models.TextChoices):
    """ICoC para 31: firearms only in self-defence or defence of others against the imminent
    threat of death or serious injury, or to prevent a particularly serious crime involving
    grave threat to life."""

    SELF_DEFENCE = "self_defence", _("Self-defence")
    DEFENCE_OF_OTHERS = "defence_of_others", _("Defence of others")
    PREVENTING_SERIOUS_CRIME = (
        "preventing_serious_crime",
        _("Preventing a particularly serious crime involving grave threat to life"),
    )


class UseOfForceStatus(models.TextChoices):
    FILED = "filed", _("Filed")
    UNDER_REVIEW = "under_review", _("Under review")
    REVIEWED = "reviewed", _("Reviewed")


class ReviewFinding(models.TextChoices):
    WITHIN_POLICY = "within_policy", _("Within policy")
    NOT_WITHIN_POLICY = "not_within_policy", _("Not within policy")
    REFERRED_TO_AUTHORITIES = "referred_to_authorities", _("Referred to the authorities")
    REFERRED_TO_CONTRACTOR = "referred_to_contractor", _("Referred to the contractor")


class IcocaStatus(models.TextChoices):
    """Standing with the ICoC Association (icoca.ch): its membership categories."""

    CERTIFIED_MEMBER = "certified_member", _("Certified member")
    MEMBER = "member", _("Member")
    AFFILIATE = "affiliate", _("Affiliate")
    NONE = "none", _("None")


class PublicSecurityForce(models.TextChoices):
    PNP = "pnp", _("Police (PNP)")
    FFAA = "ffaa", _("Armed forces (FFAA)")


class SupportKind(models.TextChoices):
    """In-kind support a company gives public security (VPSHR: to be disclosed)."""

    FUEL = "fuel", _("Fuel")
    FOOD = "food", _("Food")
    LODGING = "lodging", _("Lodging")
    TRANSPORT = "transport", _("Transport")
    EQUIPMENT = "equipment", _("Non-lethal equipment")
    OTHER = "other", _("Other")
