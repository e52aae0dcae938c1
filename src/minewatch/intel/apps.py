from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelConfig(AppConfig):
    name = "minewatch.intel"
    label = "intel"
    verbose_name = _("Intelligence")
    web_prefix = "intel/"

    def ready(self) -> None:
        from minewatch.core import events
        from minewatch.intel.signals import on_event

        events.subscribe(on_event)
