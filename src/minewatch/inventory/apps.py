from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "minewatch.inventory"
    label = "inventory"
    verbose_name = _("Inventory and cargo integrity")
    web_prefix = "inventory/"

    def ready(self) -> None:
        from minewatch.core import events
        from minewatch.inventory.signals import on_event

        events.subscribe(on_event)
