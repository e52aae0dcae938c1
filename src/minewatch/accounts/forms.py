"""Forms of the account-security pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from minewatch.accounts import services
from minewatch.accounts.choices import TokenScope
from minewatch.core.choices import Role


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=20, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                      "autofocus": True}),
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
    )  # fmt: skip


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"), max_length=10, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )  # fmt: skip


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What will use it, e.g. “SIEM export”."))  # fmt: skip
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices,
                              initial=TokenScope.READ)  # fmt: skip
    expires_in_days = forms.IntegerField(label=_("Expires after (days)"), min_value=1,
                                         max_value=services.MAX_TOKEN_DAYS,
                                         initial=services.DEFAULT_TOKEN_DAYS)  # fmt: skip
    allowed_networks = forms.CharField(
        label=_("Allowed address ranges"), required=False, max_length=1000,
        help_text=_("Optional, e.g. 10.0.0.0/8, 192.0.2.7"),
    )  # fmt: skip


class PolicyForm(forms.Form):
    required_roles = forms.MultipleChoiceField(
        label=_("Roles that must use two-factor login"), choices=Role.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
