from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "minewatch.accountability"
    label = "accountability"
    verbose_name = _("Human rights and accountability")
    web_prefix = ""

    def ready(self) -> None:
        from minewatch.accountability.checks import run_deadline_checks
        from minewatch.alerts.worker import register_periodic_check

        register_periodic_check(run_deadline_checks)
