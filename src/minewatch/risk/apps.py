from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "minewatch.risk"
    label = "risk"
    verbose_name = _("Risk and capability gap")
    web_prefix = "risk/"
