"""Inventory loss findings become an alert source; existing organisations get the default rule."""

from django.db import migrations, models


def add_inventory_rule(apps, schema_editor):
    """Organisations seeded before the inventory app fed the alerts get its default rule too."""
    from minewatch.alerts.services.config import INVENTORY_RULE

    rule_model = apps.get_model("alerts", "AlertRule")
    name, kinds, sources, severity, dedup, incident_type = INVENTORY_RULE
    seeded = rule_model.objects.values_list("organisation_id", flat=True).distinct()
    for organisation_id in seeded:
        if not rule_model.objects.filter(organisation_id=organisation_id, name=name).exists():
            rule_model.objects.create(
                organisation_id=organisation_id, name=name, kinds=kinds, sources=sources,
                min_severity=severity, dedup_minutes=dedup, incident_type=incident_type,
            )


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0004_early_warning_source"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alert",
            name="source",
            field=models.CharField(choices=[("detection", "Detection (tracking)"), ("alarm_panel", "Alarm panel"), ("camera", "Camera"), ("guard_tour", "Guard tour"), ("incident", "Incident"), ("panic", "Panic button"), ("manual", "Raised by hand"), ("early_warning", "Early warning (intelligence)"), ("inventory", "Inventory and cargo integrity")], max_length=20, verbose_name="source"),
        ),
        migrations.RunPython(add_inventory_rule, migrations.RunPython.noop),
    ]
