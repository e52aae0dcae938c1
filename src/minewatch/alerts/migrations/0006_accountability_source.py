"""Accountability becomes an alert source; existing organisations get its rule and ladder."""

from django.db import migrations, models


def add_accountability_rule(apps, schema_editor):
    """Organisations seeded before the accountability app get its rule and ladder too."""
    from minewatch.alerts.services.config import seed_accountability

    rule_model = apps.get_model("alerts", "AlertRule")
    seeded = rule_model.objects.values_list("organisation_id", flat=True).distinct()
    for organisation_id in list(seeded):
        seed_accountability(organisation_id, apps)


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0005_inventory_source'),
    ]

    operations = [
        migrations.AlterField(
            model_name='alert',
            name='source',
            field=models.CharField(choices=[('detection', 'Detection (tracking)'), ('alarm_panel', 'Alarm panel'), ('camera', 'Camera'), ('guard_tour', 'Guard tour'), ('incident', 'Incident'), ('panic', 'Panic button'), ('manual', 'Raised by hand'), ('early_warning', 'Early warning (intelligence)'), ('accountability', 'Accountability (use of force, grievances, contractors)')], max_length=20, verbose_name='source'),
        ),
        migrations.RunPython(add_accountability_rule, migrations.RunPython.noop),
    ]
