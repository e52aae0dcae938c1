"""Forms of the intel web pages. They parse input; the services validate and write."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.incidents.choices import bilingual
from minewatch.incidents.models import Incident
from minewatch.intel.choices import INFORMATION_CREDIBILITY_CHOICES, SOURCE_RELIABILITY_CHOICES
from minewatch.intel.engine.grading import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY
from minewatch.intel.models import IntelSource, ThreatActor


class IntelReportForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("What was learnt"), widget=forms.Textarea(attrs={"rows": 3}))
    details = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    observed_at = forms.DateTimeField(
        label=_("Observed at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )  # fmt: skip
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, required=False)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180, required=False)
    geometry = forms.CharField(
        label=_("Area (GeoJSON polygon, optional)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    source_reliability = forms.ChoiceField(
        label=_("Source reliability"), choices=SOURCE_RELIABILITY_CHOICES, widget=forms.RadioSelect
    )
    information_credibility = forms.ChoiceField(
        label=_("Information credibility"), choices=INFORMATION_CREDIBILITY_CHOICES,
        widget=forms.RadioSelect,
    )  # fmt: skip
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=IntelSource.objects.none(), required=False
    )
    actors = forms.ModelMultipleChoiceField(
        label=_("Actors"), queryset=ThreatActor.objects.none(), required=False
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=Site.objects.none(), required=False
    )
    incidents = forms.ModelMultipleChoiceField(
        label=_("Incidents"), queryset=Incident.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if has_capability(user, "see_sources"):
            self.fields["source"].queryset = restrict(IntelSource.objects.all(), user)
        else:
            del self.fields["source"]
        self.fields["actors"].queryset = restrict(ThreatActor.objects.all(), user)
        self.fields["sites"].queryset = restrict(Site.objects.all(), user)
        self.fields["incidents"].queryset = restrict(Incident.objects.all(), user)[:500]

    def clean_geometry(self) -> Any:
        raw = self.cleaned_data.get("geometry") or ""
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from None

    def service_values(self) -> dict[str, Any]:
        """The cleaned data shaped as ``services.report_intel`` expects."""
        values = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        for name in ("actors", "sites", "incidents"):
            values[name] = list(self.cleaned_data.get(name) or [])
        return values


def _grade_label(grade: Any) -> Any:
    return bilingual(f"{grade.code} — {grade.label_es}", f"{grade.code} — {grade.label_en}")


class EarlyWarningSettingsForm(forms.Form):
    """The organisation's early-warning settings; the service checks the values."""

    window_days = forms.FloatField(label=_("Window (days)"))
    distance_km = forms.FloatField(label=_("Distance to the site or route (km)"))
    min_weight = forms.FloatField(label=_("Threshold (summed weight)"))
    min_signals = forms.IntegerField(label=_("Fewest signals"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for prefix, scale in (("reliability", SOURCE_RELIABILITY),
                              ("credibility", INFORMATION_CREDIBILITY)):  # fmt: skip
            for grade in scale:
                self.fields[f"{prefix}_{grade.code}"] = forms.FloatField(
                    label=_grade_label(grade), min_value=0.0, max_value=1.0
                )

    @staticmethod
    def initial_from(stored: Any) -> dict[str, Any]:
        values = {name: getattr(stored, name) for name in
                  ("window_days", "distance_km", "min_weight", "min_signals")}  # fmt: skip
        for prefix in ("reliability", "credibility"):
            for code, weight in getattr(stored, f"{prefix}_weights").items():
                values[f"{prefix}_{code}"] = weight
        return values

    def service_values(self) -> dict[str, Any]:
        """The cleaned data shaped as ``early_warnings.save_warning_settings`` expects."""
        data = self.cleaned_data
        values: dict[str, Any] = {name: data[name] for name in
                                  ("window_days", "distance_km", "min_weight", "min_signals")}  # fmt: skip
        for prefix in ("reliability", "credibility"):
            values[f"{prefix}_weights"] = {
                name.split("_", 1)[1]: value for name, value in data.items()
                if name.startswith(f"{prefix}_")
            }  # fmt: skip
        return values
