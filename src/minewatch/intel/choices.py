"""Enumerations of the intel app, named after their field.

The Admiralty grades keep their meanings in both languages in :mod:`engine.grading`;
:func:`minewatch.incidents.choices.bilingual` picks the active language at render time.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.incidents.choices import bilingual
from minewatch.intel.engine.grading import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY

SOURCE_RELIABILITY_CHOICES = [
    (g.code, bilingual(f"{g.code} — {g.label_es}", f"{g.code} — {g.label_en}"))
    for g in SOURCE_RELIABILITY
]
INFORMATION_CREDIBILITY_CHOICES = [
    (g.code, bilingual(f"{g.code} — {g.label_es}", f"{g.code} — {g.label_en}"))
    for g in INFORMATION_CREDIBILITY
]


class ActorKind(models.TextChoices):
    CRIMINAL_ORGANISATION = "criminal_organisation", _("Criminal organisation")
    ILLEGAL_MINING_GROUP = "illegal_mining_group", _("Illegal-mining group")
    TERRORIST_REMNANT = "terrorist_remnant", _("Terrorist remnant")
    UNIDENTIFIED_GROUP = "unidentified_group", _("Unidentified group")
    INDIVIDUAL = "individual", _("Individual")


class ActorRelation(models.TextChoices):
    ALLIED_WITH = "allied_with", _("Allied with")
    MEMBER_OF = "member_of", _("Member of")
    SPLINTER_OF = "splinter_of", _("Splinter of")
    RIVAL_OF = "rival_of", _("Rival of")
    SUPPLIES = "supplies", _("Supplies / finances")
    SUSPECTED_SAME_AS = "suspected_same_as", _("Suspected to be the same as")
    ASSOCIATED_WITH = "associated_with", _("Associated with")


# What an edge of the actor graph means, for display: an analyst's link between actors
# (ActorRelation), or the graph's own edges to incidents and reports (intel.queries).
GRAPH_RELATION_LABELS = {
    **dict(ActorRelation.choices),
    "involved_in": _("Involved in"),
    "mentioned_in": _("Mentioned in"),
}


def relation_label(relation: str) -> str:
    """The translated label of a graph edge's relation; the code when unknown."""
    label = GRAPH_RELATION_LABELS.get(relation)
    return str(label) if label is not None else relation


class IncidentRole(models.TextChoices):
    PERPETRATOR = "perpetrator", _("Perpetrator")
    SUSPECTED = "suspected", _("Suspected")
    CLAIMED = "claimed", _("Claimed responsibility")
    VICTIM = "victim", _("Victim / target")


class WarningTargetKind(models.TextChoices):
    SITE = "site", _("Site")
    ROUTE = "route", _("Route")


class WarningStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")
