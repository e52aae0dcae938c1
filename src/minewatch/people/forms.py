"""Forms of the people pages. They parse input; the services validate and write.

Each field is named after the service's keyword, so an error the service raises
(``InvalidInput(field="valid_until")``) is shown next to the field it names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minewatch.core.errors import MineWatchError
from minewatch.people.choices import CredentialKind, TrainingKind, VettingKind, VettingResult

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


class ServiceForm(forms.Form):
    """A form whose ``cleaned_data`` are a service's keywords; ``show`` puts a service's
    error next to the field it names (or above the form)."""

    prefix_name = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.prefix_name or None)
        super().__init__(*args, **kwargs)

    def show(self, error: MineWatchError) -> None:
        if error.field in self.fields:
            self.add_error(error.field, error.text)
        elif error.field in ("", "non_field_errors"):
            self.add_error(None, error.text)
        else:
            self.add_error(None, f"{error.field}: {error.text}")

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class CredentialForm(ServiceForm):
    """Issue a badge, QR code or plate to the person of the page."""

    prefix_name = "credential"
    kind = forms.ChoiceField(label=_("Kind"), choices=CredentialKind.choices)
    value = forms.CharField(label=_("Number, code or plate"), max_length=60,
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))  # fmt: skip
    valid_from = forms.DateTimeField(label=_("Valid from"), required=False, widget=DATETIME,
                                     input_formats=DATETIME_FORMATS,
                                     help_text=_("Empty: from now."))  # fmt: skip
    valid_until = forms.DateTimeField(label=_("Valid until"), required=False, widget=DATETIME,
                                      input_formats=DATETIME_FORMATS,
                                      help_text=_("Empty: until revoked."))  # fmt: skip


class PersonCredentialForm(CredentialForm):
    """A badge or QR code for the person of the page (plates belong to vehicles)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[
        (k.value, k.label) for k in (CredentialKind.BADGE, CredentialKind.QR)])  # fmt: skip


class PlateCredentialForm(ServiceForm):
    """A plate credential for one of the company's vehicles (empty number: its plate)."""

    prefix_name = "plate"
    vehicle = forms.ModelChoiceField(label=_("Vehicle"), queryset=None)
    value = forms.CharField(label=_("Plate"), max_length=60, required=False,
                            help_text=_("Empty: the vehicle's plate."))  # fmt: skip
    valid_from = CredentialForm.base_fields["valid_from"]
    valid_until = CredentialForm.base_fields["valid_until"]

    def __init__(self, *args: Any, vehicles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles

    def values(self) -> dict[str, Any]:
        values = super().values()
        vehicle = values["vehicle"]
        return {**values, "kind": CredentialKind.PLATE, "vehicle": vehicle.pk,
                "value": values.get("value") or vehicle.plate}  # fmt: skip


class RevokeCredentialForm(ServiceForm):
    prefix_name = "revoke"
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))  # fmt: skip


class VettingForm(ServiceForm):
    prefix_name = "vetting"
    kind = forms.ChoiceField(label=_("Kind"), choices=VettingKind.choices)
    date = forms.DateField(label=_("Date"), widget=DATE)
    result = forms.ChoiceField(label=_("Result"), choices=VettingResult.choices)
    issuing_body = forms.CharField(label=_("Issuing body"), max_length=200, required=False)
    document_number = forms.CharField(label=_("Document number"), max_length=60, required=False)
    reviewer = forms.CharField(label=_("Reviewer"), max_length=200, required=False)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE,
                                 help_text=_("Empty: the validity set for this kind."))  # fmt: skip


class LicenceForm(ServiceForm):
    prefix_name = "licence"
    number = forms.CharField(label=_("Licence number"), max_length=60)
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE)
    expires_on = forms.DateField(label=_("Expires on"), widget=DATE)
    armed = forms.BooleanField(label=_("Firearm licence"), required=False)

    def values(self) -> dict[str, Any]:
        return {**super().values(), "armed": bool(self.cleaned_data.get("armed"))}


class TrainingForm(ServiceForm):
    prefix_name = "training"
    kind = forms.ChoiceField(label=_("Kind"), choices=TrainingKind.choices)
    date = forms.DateField(label=_("Date"), widget=DATE)
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    hours = forms.DecimalField(label=_("Hours"), required=False, min_value=0, max_value=999,
                               decimal_places=1)  # fmt: skip
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE,
                                 help_text=_("Empty: the validity set for this kind."))  # fmt: skip


class PassengerForm(ServiceForm):
    """Put a person on a manifest by badge or DNI (what the guard or manager has in hand)."""

    prefix_name = "passenger"
    person = forms.CharField(label=_("Badge or DNI"), max_length=60,
                             widget=forms.TextInput(attrs={"autocomplete": "off",
                                                           "inputmode": "text"}))  # fmt: skip
