"""The incident form of the web app. It parses input; the service validates and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minewatch.core.roles import MANAGERS
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.incidents import taxonomy
from minewatch.incidents.choices import (
    RESPONDER_CHOICES,
    THREAT_CHOICES,
    WEAPON_CHOICES,
    Confidentiality,
    LocationPrecision,
    TimePrecision,
    bilingual,
)

# The value format an <input type="datetime-local"> accepts.
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def grouped_type_choices() -> list[tuple[Any, Any]]:
    """Incident types grouped under their threat (an <optgroup> per threat), after an empty
    first choice: nothing is preselected, the reporter picks the type."""
    return [("", _("Choose the type…"))] + [
        (
            bilingual(threat.label_es, threat.label_en),
            [(t.code, bilingual(t.label_es, t.label_en)) for t in taxonomy.types_of(threat.code)],
        )
        for threat in taxonomy.THREATS
    ]


# Which fields go in which section of the full form, in order.
FORM_SECTIONS = (
    (_("What happened"), ("incident_type", "title", "severity", "confidentiality", "narrative")),
    (_("When"), ("occurred_at", "occurred_at_precision")),
    (_("Where"), ("site", "lat", "lon", "location_precision", "location_description")),
    (_("How (evidence)"), ("modus_operandi", "assailants_min", "assailants_max", "weapons",
                           "vehicles_used")),
    (_("Impact"), ("fatalities", "injured_staff", "kidnapped", "loss_usd")),
    (_("Response"), ("responders", "police_notified_at", "complaint_number", "police_unit")),
)  # fmt: skip
WIDE_FIELDS = ("narrative", "modus_operandi", "weapons", "responders")


class IncidentForm(forms.Form):
    incident_type = forms.ChoiceField(label=_("Incident type"), choices=grouped_type_choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    severity = forms.IntegerField(
        label=_("Severity (1–5)"), min_value=1, max_value=5, required=False,
        help_text=_("Leave empty for the type's default."),
    )  # fmt: skip
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )
    occurred_at_precision = forms.ChoiceField(
        label=_("Time precision"), choices=TimePrecision.choices, initial=TimePrecision.MINUTE
    )
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    location_precision = forms.ChoiceField(
        label=_("Location precision"), choices=LocationPrecision.choices,
        initial=LocationPrecision.EXACT,
        help_text=_("Set from the map's zoom when you click it; correct it if you know better."),
    )  # fmt: skip
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
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )  # fmt: skip
    complaint_number = forms.CharField(label=_("Complaint number"), max_length=64, required=False)
    police_unit = forms.CharField(label=_("Police unit"), max_length=200, required=False)
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
        if not (getattr(user, "is_superuser", False) or getattr(user, "role", None) in MANAGERS):
            # Who may read an incident is the owner's managers' decision (incidents.services).
            self.fields["confidentiality"].disabled = True

    def service_values(self, keep_empty: bool = False) -> dict[str, Any]:
        """The cleaned data shaped as the incidents service expects.

        ``keep_empty`` (editing) passes cleared optional fields as ``None`` so they clear.
        """
        values = {k: v for k, v in self.cleaned_data.items() if keep_empty or v not in (None, "")}
        values["vehicles_used"] = _split(self.cleaned_data.get("vehicles_used") or "")
        values["weapons"] = list(self.cleaned_data.get("weapons") or [])
        values["responders"] = list(self.cleaned_data.get("responders") or [])
        return values

    def sections(self) -> list[tuple[Any, list[Any]]]:
        """(title, bound fields) per section, for the template."""
        return [(title, [self[name] for name in names]) for title, names in FORM_SECTIONS]

    @classmethod
    def initial_from(cls, incident: Any) -> dict[str, Any]:
        """The form's initial values from an existing incident (for editing)."""
        initial = {name: getattr(incident, name) for name in cls.base_fields if name != "site"}
        initial["site"] = incident.site_id
        initial["vehicles_used"] = ", ".join(incident.vehicles_used or [])
        return initial


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Zero or more photos from one <input type=file multiple>."""

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultiplePhotoField, self).clean(item, initial) for item in files]


class FieldReportForm(forms.Form):
    """The guard's phone form: a few taps and the position, submitted in under a minute."""

    threat = forms.ChoiceField(label=_("Threat"), choices=THREAT_CHOICES, widget=forms.RadioSelect)
    incident_type = forms.ChoiceField(label=_("What happened"), choices=grouped_type_choices)
    lat = forms.FloatField(
        label=_("Latitude"), min_value=-90, max_value=90,
        error_messages={"required": _("Set the place: use GPS or tap the map.")},
    )  # fmt: skip
    lon = forms.FloatField(
        label=_("Longitude"), min_value=-180, max_value=180,
        error_messages={"required": _("Set the place: use GPS or tap the map.")},
    )  # fmt: skip
    location_precision = forms.ChoiceField(
        choices=LocationPrecision.choices,
        initial=LocationPrecision.EXACT,
        required=False,
        widget=forms.HiddenInput,
    )
    occurred_at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    assailants = forms.IntegerField(
        label=_("Number of assailants"), min_value=0, max_value=5000, required=False
    )
    weapons = forms.MultipleChoiceField(
        label=_("Weapons seen"), choices=WEAPON_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    narrative = forms.CharField(
        label=_("Short description"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    photos = MultiplePhotoField(
        label=_("Photos"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = restrict(Site.objects.all(), user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        threat, kind = cleaned.get("threat"), cleaned.get("incident_type")
        if threat and kind and taxonomy.threat_of(kind) != threat:
            self.add_error("incident_type", _("This type does not belong to the chosen threat."))
        return cleaned

    def service_values(self) -> dict[str, Any]:
        """Values for ``incidents.services.report_incident``."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "incident_type": data["incident_type"], "occurred_at": data["occurred_at"],
            "lat": data["lat"], "lon": data["lon"], "weapons": list(data.get("weapons") or []),
            "narrative": data.get("narrative") or "",
            "location_precision": data.get("location_precision") or LocationPrecision.EXACT,
        }  # fmt: skip
        if data.get("site") is not None:
            values["site"] = data["site"]
        if data.get("assailants") is not None:
            values["assailants_min"] = values["assailants_max"] = data["assailants"]
        return values
