"""Seed default rules, an escalation ladder and the response-protocol catalogue
(Spanish and English) for every organisation that exists already; new organisations
get them when they are created (alerts.subscribers)."""

from django.db import migrations


def seed(apps, schema_editor):
    from minewatch.alerts.services.config import seed_defaults

    for organisation in apps.get_model("core", "Organisation").objects.all():
        seed_defaults(organisation, apps)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial"), ("core", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
