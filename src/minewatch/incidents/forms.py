"""The incident form of the web app. It parses input; the service validates and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.incidents.choices import (
    INCIDENT_TYPE_CHOICES,
    RESPONDER_CHOICES,
    WEAPON_CHOICES,
    Confidentiality,
    TimePrecision,
)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class IncidentForm(forms.Form):
    incident_type = forms.ChoiceField(label=_("Incident type"), choices=INCIDENT_TYPE_CHOICES)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    severity = forms.IntegerField(
        label=_("Severity (1–5)"), min_value=1, max_value=5, required=False,
        help_text=_("Leave empty for the type's default."),
    )  # fmt: skip
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    occurred_at_precision = forms.ChoiceField(
        label=_("Time precision"), choices=TimePrecision.choices, initial=TimePrecision.MINUTE
    )
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    location_description = forms.CharField(label=_("Place"), max_length=300, required=False)
    modus_operandi = forms.CharField(
        label=_("Modus operandi"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    assailants_min = forms.IntegerField(label=_("Assailants (min)"), min_value=0, required=False)
    assailants_max = forms.IntegerField(label=_("Assailants (max)"), min_value=0, required=False)
    weapons = forms.MultipleChoiceField(
        label=_("Weapons"),
        choices=WEAPON_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    vehicles_used = forms.CharField(label=_("Vehicles used (comma-separated)"), required=False)
    fatalities = forms.IntegerField(label=_("Fatalities"), min_value=0, initial=0)
    injured_staff = forms.IntegerField(label=_("Injured staff"), min_value=0, initial=0)
    kidnapped = forms.IntegerField(label=_("Kidnapped / held"), min_value=0, initial=0)
    loss_usd = forms.DecimalField(label=_("Loss (USD)"), min_value=0, required=False)
    responders = forms.MultipleChoiceField(
        label=_("Responders"), choices=RESPONDER_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    police_notified_at = forms.DateTimeField(
        label=_("Police notified at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )  # fmt: skip
    complaint_number = forms.CharField(label=_("Complaint number"), max_length=64, required=False)
    narrative = forms.CharField(
        label=_("Narrative"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"),
        choices=Confidentiality.choices,
        initial=Confidentiality.INTERNAL,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = restrict(Site.objects.all(), user)

    def service_values(self) -> dict[str, Any]:
        """The cleaned data shaped as the incidents service expects."""
        values = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        values["vehicles_used"] = _split(self.cleaned_data.get("vehicles_used") or "")
        values["weapons"] = list(self.cleaned_data.get("weapons") or [])
        values["responders"] = list(self.cleaned_data.get("responders") or [])
        return values
