"""Forms of the accountability pages. They parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from minewatch.accountability.choices import (
    ForceJustification,
    ForceLevel,
    GrievanceCategory,
    GrievanceOutcome,
    IcocaStatus,
    PublicSecurityForce,
    ReviewFinding,
    SupportKind,
)
from minewatch.accountability.services.grievances import LIAISON_CHANNELS, accepting_organisations
from minewatch.core.models import User

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"})


class GrievanceFactsForm(forms.Form):
    """What, where and when, and who (optional): shared by the public form and the liaison's."""

    category = forms.ChoiceField(label=_("What is it about?"), choices=GrievanceCategory.choices,
                                 widget=forms.RadioSelect)  # fmt: skip
    description = forms.CharField(
        label=_("What happened?"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Tell us in your own words. You may leave out names."),
    )  # fmt: skip
    place_name = forms.CharField(label=_("Where? (place, community, road)"), max_length=300,
                                 required=False)  # fmt: skip
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    occurred_on = forms.DateField(label=_("When? (date)"), required=False, widget=DATE)
    occurred_when = forms.CharField(label=_("When? (in your words, e.g. 'last week, at night')"),
                                    max_length=200, required=False)  # fmt: skip
    complainant_name = forms.CharField(label=_("Your name (optional)"), max_length=200,
                                       required=False)  # fmt: skip
    complainant_contact = forms.CharField(
        label=_("Phone or e-mail to reach you (optional)"), max_length=200, required=False,
        help_text=_("Leave your name and contact empty to complain anonymously."),
    )  # fmt: skip

    FACT_FIELDS = ("category", "description", "place_name", "lat", "lon", "occurred_on",
                   "occurred_when", "complainant_name", "complainant_contact")  # fmt: skip

    def facts(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.FACT_FIELDS}


class PublicGrievanceForm(GrievanceFactsForm):
    """The public form at /reclamos/: no login, a honeypot instead of a captcha."""

    organisation = forms.ModelChoiceField(label=_("Which mining operation is it about?"),
                                          queryset=accepting_organisations())  # fmt: skip
    photo = forms.FileField(label=_("Photo (optional)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))  # fmt: skip
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by bots.
    website = forms.CharField(label=_("Leave this empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisations = self.fields["organisation"].queryset
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()
        self.order_fields(["organisation", *self.FACT_FIELDS, "photo"])

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())


class StatusLookupForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters",
                                                         "autocomplete": "off"}))  # fmt: skip


class LiaisonGrievanceForm(GrievanceFactsForm):
    """The liaison files a grievance heard at a meeting, on the phone, or in a letter."""

    channel = forms.ChoiceField(label=_("Received through"),
                                choices=[(c.value, c.label) for c in LIAISON_CHANNELS])  # fmt: skip
    received_at = forms.DateTimeField(label=_("Received at"), required=False, widget=DATETIME)
    non_retaliation_noted = forms.BooleanField(
        label=_("The complainant was told of the non-retaliation policy"), required=False
    )
    personnel = forms.CharField(label=_("Security personnel concerned"), max_length=300,
                                required=False)  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].help_text = ""
        self.order_fields(["channel", "received_at", *self.FACT_FIELDS, "personnel",
                           "non_retaliation_noted"])  # fmt: skip

    def service_values(self) -> dict[str, Any]:
        values = self.facts()
        for name in ("channel", "received_at", "non_retaliation_noted", "personnel"):
            values[name] = self.cleaned_data.get(name)
        if not values["received_at"]:
            values.pop("received_at")
        return values


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = User.objects.filter(
            organisation_id=organisation_id, is_active=True
        ).order_by("username")


class RespondForm(forms.Form):
    response = forms.CharField(label=_("Response given"), widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=GrievanceOutcome.choices)
    remedy = forms.CharField(label=_("Remedy"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the appeal"),
                             widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


class UseOfForceReportForm(forms.Form):
    """A use-of-force report; the service checks every value and the rules between them."""

    occurred_at = forms.DateTimeField(label=_("When"), widget=DATETIME)
    place = forms.CharField(label=_("Where"), max_length=300)
    incident = forms.ModelChoiceField(label=_("Incident"), queryset=None, required=False)
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False)
    personnel = forms.CharField(label=_("Who used force (personnel)"),
                                widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    contractor = forms.ModelChoiceField(label=_("Contractor"), queryset=None, required=False)
    subjects = forms.CharField(
        label=_("Against whom"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Describe them; identify them only if needed."),
    )  # fmt: skip
    force_level = forms.ChoiceField(label=_("Force level"), choices=ForceLevel.choices)
    warning_given = forms.BooleanField(label=_("A warning was given"), required=False)
    warning_details = forms.CharField(label=_("Warning (words used)"), max_length=300,
                                      required=False)  # fmt: skip
    justification = forms.ChoiceField(
        label=_("Justification (ICoC para 31)"), required=False,
        choices=[("", "—"), *ForceJustification.choices],
    )  # fmt: skip
    justification_details = forms.CharField(label=_("Circumstances"), required=False,
                                            widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    injuries_personnel = forms.CharField(label=_("Injuries to personnel"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    injuries_subjects = forms.CharField(label=_("Injuries to others"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    medical_aid_given = forms.BooleanField(label=_("Medical aid given"), required=False)
    medical_aid_at = forms.DateTimeField(label=_("Medical aid given at"), required=False,
                                         widget=DATETIME)  # fmt: skip
    medical_aid_details = forms.CharField(label=_("Medical aid"), max_length=300, required=False)
    rounds_fired = forms.IntegerField(label=_("Rounds fired"), min_value=0, required=False)
    weapon = forms.CharField(label=_("Weapon (type, serial number)"), max_length=200,
                             required=False)  # fmt: skip
    witnesses = forms.CharField(label=_("Witnesses"), required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    police_informed = forms.BooleanField(label=_("The police were told"), required=False)
    police_informed_at = forms.DateTimeField(label=_("Police told at"), required=False,
                                             widget=DATETIME)  # fmt: skip
    police_unit = forms.CharField(label=_("Police unit told"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from minewatch.core.choices import OrganisationKind
        from minewatch.core.models import Organisation
        from minewatch.core.tenancy import restrict
        from minewatch.geo.models import Site
        from minewatch.incidents.models import Incident

        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = restrict(Incident.objects.all(), user)[:500]
        self.fields["site"].queryset = restrict(Site.objects.all(), user)
        self.fields["contractor"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.SECURITY_CONTRACTOR
        )

    def service_values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["rounds_fired"] = values.get("rounds_fired") or 0
        return values


class ReviewForm(forms.Form):
    finding = forms.ChoiceField(label=_("Finding"), choices=ReviewFinding.choices)
    actions = forms.CharField(label=_("Actions"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class AmendmentForm(forms.Form):
    """Amend one written field of a reviewed report (the API amends any field)."""

    field = forms.ChoiceField(label=_("Field"), choices=[])
    new_value = forms.CharField(label=_("New text"), widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("Reason for the amendment"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from minewatch.accountability.models import UseOfForceReport
        from minewatch.accountability.services.use_of_force import TEXT_FIELDS

        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [
            (name, UseOfForceReport._meta.get_field(name).verbose_name) for name in TEXT_FIELDS
        ]


class ContractorForm(forms.Form):
    """A registry entry; the service validates the RUC (check digit) and the modalities."""

    company = forms.ModelChoiceField(label=_("Private security company"), queryset=None)
    ruc = forms.CharField(label=_("RUC"), max_length=20)
    sucamec_authorisation = forms.CharField(label=_("SUCAMEC authorisation number"),
                                            max_length=64)  # fmt: skip
    sucamec_expires_on = forms.DateField(label=_("SUCAMEC authorisation expires on"), widget=DATE)
    modalities = forms.MultipleChoiceField(label=_("Authorised modalities (D.Leg. 1213)"),
                                           choices=[], widget=forms.CheckboxSelectMultiple)  # fmt: skip
    icoca_status = forms.ChoiceField(label=_("ICoCA status"), choices=IcocaStatus.choices)
    icoca_since = forms.DateField(label=_("ICoCA status since"), required=False, widget=DATE)
    insurer = forms.CharField(label=_("Insurer"), max_length=200, required=False)
    insurance_policy = forms.CharField(label=_("Insurance policy"), max_length=100, required=False)
    insurance_expires_on = forms.DateField(label=_("Insurance expires on"), required=False,
                                           widget=DATE)  # fmt: skip
    contract_starts_on = forms.DateField(label=_("Contract starts on"), required=False,
                                         widget=DATE)  # fmt: skip
    contract_ends_on = forms.DateField(label=_("Contract ends on"), required=False, widget=DATE)
    notes = forms.CharField(label=_("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.utils.translation import get_language

        from minewatch.accountability.engine.legal import MODALITIES
        from minewatch.core.choices import OrganisationKind
        from minewatch.core.models import Organisation

        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.SECURITY_CONTRACTOR
        )
        english = (get_language() or "es").startswith("en")
        self.fields["modalities"].choices = [
            (m.code, m.label_en if english else m.label_es) for m in MODALITIES
        ]


class AssignmentForm(forms.Form):
    """Assign a registered contractor to a site; the modality may be any service the user names,
    so that a refused one (e.g. crowd control) gets the law's explanation."""

    site = forms.ModelChoiceField(label=_("Site"), queryset=None)
    modality = forms.ChoiceField(label=_("Service"), choices=[])
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from django.utils.translation import get_language

        from minewatch.accountability.engine.legal import MODALITIES, PROHIBITED
        from minewatch.geo.models import Site

        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(organisation_id=user.organisation_id)
        english = (get_language() or "es").startswith("en")
        self.fields["modality"].choices = [
            (m.code, m.label_en if english else m.label_es) for m in (*MODALITIES, *PROHIBITED)
        ]


class AgreementForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=64)
    force = forms.ChoiceField(label=_("Public security force"), choices=PublicSecurityForce.choices)
    counterpart = forms.CharField(label=_("Counterpart (unit, command)"), max_length=300)
    legal_basis = forms.CharField(label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 2}))
    scope = forms.CharField(label=_("Scope"), widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=DATE)
    human_rights_clauses = forms.CharField(label=_("Human-rights clauses"),
                                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    units_deployed = forms.CharField(label=_("Units deployed"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


class SupportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SupportKind.choices)
    description = forms.CharField(label=_("Description"), max_length=300)
    value_pen = forms.DecimalField(label=_("Value (PEN)"), min_value=0, decimal_places=2)
    given_on = forms.DateField(label=_("Given on"), widget=DATE)
