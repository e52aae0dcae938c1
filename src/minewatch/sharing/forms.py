"""Forms of the sharing pages; every write goes through ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.incidents.choices import THREAT_CHOICES
from minewatch.sharing.choices import Generalisation, SharedPrecision, TlpLevel
from minewatch.sharing.models import SharingGroup


class SharingSettingsForm(forms.Form):
    default_tlp = forms.ChoiceField(label=_("Default TLP"), choices=TlpLevel.choices)
    research_k = forms.IntegerField(label=_("Research export: k (smallest cell released)"),
                                    min_value=2, max_value=1000)  # fmt: skip
    research_generalisation = forms.ChoiceField(label=_("Research export: place generalisation"),
                                                choices=Generalisation.choices)  # fmt: skip
    research_grid_deg = forms.FloatField(label=_("Research export: grid cell (degrees)"),
                                         min_value=0.05, max_value=5.0)  # fmt: skip


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddMemberForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.order_by("name")
    )


class MembershipPolicyForm(forms.Form):
    threats = forms.MultipleChoiceField(label=_("Threats shared"), choices=THREAT_CHOICES,
                                        required=False, widget=forms.CheckboxSelectMultiple)  # fmt: skip
    share_actors = forms.BooleanField(label=_("Share threat actors"), required=False)
    precision = forms.ChoiceField(label=_("Precision shared"), choices=SharedPrecision.choices)
    tlp_ceiling = forms.ChoiceField(label=_("TLP ceiling"), choices=TlpLevel.choices)
    reveal_identity = forms.BooleanField(label=_("Show members who shared it"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class AgreementForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Organisation.objects.order_by("name"),
                                     required=False)  # fmt: skip
    group = forms.ModelChoiceField(label=_("Partner group"), queryset=SharingGroup.objects.none(),
                                   required=False)  # fmt: skip
    threats = forms.MultipleChoiceField(label=_("Threats shared"), choices=THREAT_CHOICES,
                                        widget=forms.CheckboxSelectMultiple)  # fmt: skip
    include_incidents = forms.BooleanField(label=_("Incidents"), required=False, initial=True)
    include_actors = forms.BooleanField(label=_("Threat actors"), required=False, initial=True)
    include_reports = forms.BooleanField(label=_("Intelligence reports"), required=False)
    tlp_ceiling = forms.ChoiceField(label=_("TLP ceiling"), choices=TlpLevel.choices,
                                    initial=TlpLevel.AMBER)  # fmt: skip
    precision = forms.ChoiceField(label=_("Precision shared"), choices=SharedPrecision.choices,
                                  initial=SharedPrecision.APPROXIMATE)  # fmt: skip
    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip

    def __init__(self, *args: Any, groups: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if groups is not None:
            self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class StixImportForm(forms.Form):
    bundle = forms.FileField(label=_("STIX 2.1 bundle (JSON)"))
    partner = forms.CharField(label=_("Received from"), max_length=200)
    source_reliability = forms.ChoiceField(
        label=_("Partner reliability (Admiralty)"), initial="C",
        choices=[(code, code) for code in "ABCDEF"],
    )  # fmt: skip


class AcledImportForm(forms.Form):
    file = forms.FileField(label=_("ACLED file (CSV)"))
    skip_bad = forms.BooleanField(
        label=_("Import the good rows, skip the bad ones"), required=False
    )
