from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelConfig(AppConfig):
    name = "minewatch.intel"
    label = "intel"
    verbose_name = _("Intelligence")
    web_prefix = "intel/"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from minewatch.core import events
        from minewatch.core.models import Organisation
        from minewatch.intel.signals import on_event, on_organisation_saved

        events.subscribe(on_event)
        post_save.connect(
            on_organisation_saved, sender=Organisation, dispatch_uid="intel-warning-settings"
        )
