from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackingConfig(AppConfig):
    name = "minewatch.tracking"
    label = "tracking"
    verbose_name = _("Convoy and fleet tracking")
    # The tracker-facing endpoints: /ingest/osmand/ and /ingest/traccar/.
    web_prefix = "ingest/"

    def ready(self) -> None:
        # Zones, routes, trips and devices shape the in-process engines: rebuild on change.
        from minewatch.tracking import signals

        signals.connect()
