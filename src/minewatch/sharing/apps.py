from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "minewatch.sharing"
    label = "sharing"
    verbose_name = _("Sharing")
    web_prefix = "sharing/"

    def ready(self) -> None:
        from minewatch.core import events
        from minewatch.sharing.signals import on_event

        events.subscribe(on_event)
