from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "minewatch.core"
    label = "core"
    verbose_name = _("Core: organisations, users, audit")
    # core/api.py holds the shared API base classes; the endpoints live apart.
    api_module = "minewatch.core.api_views"
