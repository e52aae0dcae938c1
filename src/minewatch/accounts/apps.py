from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "minewatch.accounts"
    label = "accounts"
    verbose_name = _("Accounts: two-factor login, API tokens")
    web_prefix = "security/"
