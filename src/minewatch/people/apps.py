from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "minewatch.people"
    label = "people"
    verbose_name = _("People and access")
    web_prefix = "people/"

    def ready(self) -> None:
        from minewatch.alerts.worker import register_periodic_check
        from minewatch.people.checks import run_people_checks
        from minewatch.people.retention import run_retention_periodically

        register_periodic_check(run_people_checks)
        register_periodic_check(run_retention_periodically)  # once an hour (people/retention.py)
