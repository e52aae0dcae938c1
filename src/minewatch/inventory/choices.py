"""Enumerations of the inventory app, named after their field."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Product(models.TextChoices):
    COPPER_CONCENTRATE = "copper_concentrate", _("Copper concentrate")
    ZINC_CONCENTRATE = "zinc_concentrate", _("Zinc concentrate")
    LEAD_CONCENTRATE = "lead_concentrate", _("Lead concentrate")
    MOLYBDENUM_CONCENTRATE = "molybdenum_concentrate", _("Molybdenum concentrate")
    GOLD_DORE = "gold_dore", _("Gold doré")


class CustodyPoint(models.TextChoices):
    """Where along the chain a lot is weighed, in chain order."""

    MINE_SCALE = "mine_scale", _("Mine scale")
    WEIGHBRIDGE_OUT = "weighbridge_out", _("Weighbridge out (dispatch)")
    WEIGHBRIDGE_IN = "weighbridge_in", _("Weighbridge in (arrival)")
    FINAL_RECEIPT = "final_receipt", _("Final receipt")


# Dispatch is the weighbridge out (else the mine scale); receipt the weighbridge in
# (else the final receipt): the trip's balance compares the two closest to the road.
DISPATCH_POINTS = (CustodyPoint.WEIGHBRIDGE_OUT, CustodyPoint.MINE_SCALE)
RECEIPT_POINTS = (CustodyPoint.WEIGHBRIDGE_IN, CustodyPoint.FINAL_RECEIPT)


class FindingKind(models.TextChoices):
    TRIP_LOSS = "trip_loss", _("Missing mass on a trip")
    DRIFT = "drift", _("Slow loss across trips (CUSUM)")
    SEAL = "seal", _("Seal discrepancy on arrival")
    MAGAZINE = "magazine", _("Explosives magazine discrepancy")


class SeriesKind(models.TextChoices):
    TRUCK = "truck", _("Truck")
    DRIVER = "driver", _("Driver")
    CONTRACTOR = "contractor", _("Transport contractor")
    ROUTE = "route", _("Route")


class SealStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    MISSING = "missing", _("Missing")
    BROKEN = "broken", _("Broken")
    DIFFERENT = "different", _("Different number")


class SealCondition(models.TextChoices):
    """What the inspector saw on an observed seal."""

    INTACT = "intact", _("Intact")
    BROKEN = "broken", _("Broken")


class ExplosiveProduct(models.TextChoices):
    """Products kept in an explosives magazine; the unit follows the product (``PRODUCT_UNITS``)."""

    ANFO = "anfo", _("ANFO (kg)")
    EMULSION = "emulsion", _("Emulsion (kg)")
    BOOSTER = "booster", _("Booster (units)")
    DETONATOR = "detonator", _("Detonator (units)")
    DETONATING_CORD = "detonating_cord", _("Detonating cord (units)")


PRODUCT_UNITS = {"anfo": "kg", "emulsion": "kg", "booster": "u", "detonator": "u",
                 "detonating_cord": "u"}  # fmt: skip


class MagazineEntryKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt (guía de remisión)")
    ISSUE = "issue", _("Issue to a blast")
    RETURN = "return", _("Return from a blast")
    CONSUMPTION = "consumption", _("Consumption reported after the blast")
    COUNT = "count", _("Physical count")
    REVERSAL = "reversal", _("Reversal of an entry")


# What each kind does to the book balance (consumption and counts are checks, not movements).
BALANCE_SIGN = {"receipt": 1, "issue": -1, "return": 1, "consumption": 0, "count": 0}
