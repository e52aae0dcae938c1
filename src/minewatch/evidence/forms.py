"""Web forms of the evidence locker. They parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minewatch.evidence.choices import EvidenceKind

# The value format an <input type="datetime-local"> sends (local time, America/Lima).
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _local_datetime(label: Any, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=False, help_text=help_text, input_formats=[LOCAL_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )  # fmt: skip


class EvidenceUploadForm(forms.Form):
    """One file with what the person who collected it declares."""

    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    declared_at = _local_datetime(
        _("Captured at (declared)"), _("When the photo, audio or message was taken or received.")
    )
    declared_place = forms.CharField(label=_("Place (declared)"), max_length=300, required=False)
    declared_lat = forms.FloatField(label=_("Latitude (declared)"), required=False)
    declared_lon = forms.FloatField(label=_("Longitude (declared)"), required=False)
    collected_by = forms.CharField(
        label=_("Collected by"), max_length=150, required=False,
        help_text=_("Leave empty if you collected it yourself."),
    )  # fmt: skip
    collected_at = _local_datetime(_("Collected at"), _("Leave empty for now."))

    def service_values(self) -> dict[str, Any]:
        """Values for ``evidence.services.intake_evidence`` (without incident and actor)."""
        data = dict(self.cleaned_data)
        upload = data.pop("file")
        return {"file": upload, "original_name": upload.name, **data}


class HandOverForm(forms.Form):
    recipient_organisation = forms.CharField(
        label=_("Police unit or prosecutor's office"), max_length=200
    )
    document_number = forms.CharField(label=_("Their document number"), max_length=100)
    reason = forms.CharField(label=_("Note"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False)
