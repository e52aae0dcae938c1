from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "minewatch.alerts"
    label = "alerts"
    verbose_name = _("Alerts, escalation and response protocols")

    def ready(self) -> None:
        # New organisations get the default rules, ladder and protocols; detections and
        # reported incidents published on core.events become alerts.
        from minewatch.alerts import subscribers

        subscribers.connect()
