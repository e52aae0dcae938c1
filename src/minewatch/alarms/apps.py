from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "minewatch.alarms"
    label = "alarms"
    verbose_name = _("Alarm panels, cameras and guard tours")
    web_prefix = "alarms/"

    def ready(self) -> None:
        # Silent panels, missed checkpoints and lone guards are checked by the alerts worker.
        from minewatch.alarms.services.supervision import run_checks
        from minewatch.alerts.worker import register_periodic_check

        register_periodic_check(run_checks)
