from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "minewatch.web"
    label = "web"
    verbose_name = _("Operations-centre web app")
    web_prefix = ""
