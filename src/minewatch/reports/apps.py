from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "minewatch.reports"
    label = "reports"
    verbose_name = _("Reports")
    web_prefix = "reports/"

    def ready(self) -> None:
        from minewatch.alerts.worker import register_periodic_check
        from minewatch.reports.schedule import send_due_monthly_reports

        # The alerts worker runs every app's periodic jobs (alerts/worker.py).
        register_periodic_check(send_due_monthly_reports)
