"""Existing organisations: the default alarm and camera rules stop forcing the invasion
type (each kind's suggestion applies: fire, tampering, panic get their own checklists),
and every protocol added to the catalogue since they were seeded is copied in."""

from django.db import migrations

RULES_WITHOUT_TYPE = (
    "Alarmas de intrusión y pánico (paneles SIA)",
    "Intrusión detectada por cámara",
)


def update(apps, schema_editor):
    from minewatch.alerts.services.protocols import seed_protocols

    rule_model = apps.get_model("alerts", "AlertRule")
    rule_model.objects.filter(
        name__in=RULES_WITHOUT_TYPE, incident_type="concession_invasion"
    ).update(incident_type="")
    seeded = apps.get_model("alerts", "ResponseProtocol").objects.values_list(
        "organisation_id", flat=True
    )
    for organisation in apps.get_model("core", "Organisation").objects.filter(pk__in=seeded):
        seed_protocols(organisation, apps)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0006_accountability_source")]

    operations = [migrations.RunPython(update, migrations.RunPython.noop)]
