"""Device secrets: hashed, required unless the device is marked a legacy tracker.

An existing ``ingest_token`` becomes the device's secret (hashed). A device
without one kept accepting unauthenticated positions before this migration; it
is marked ``accepts_unauthenticated`` (a legacy tracker, shown as a warning)
so that no tracker in the field is cut off by an upgrade: rotate its secret and
clear the mark to close it.
"""

import hashlib

from django.db import migrations, models


def tokens_to_secrets(apps, schema_editor):
    Device = apps.get_model("tracking", "Device")
    for device in Device.objects.all().only("pk", "ingest_token"):
        if device.ingest_token:
            digest = hashlib.sha256(device.ingest_token.encode("utf-8")).hexdigest()
            Device.objects.filter(pk=device.pk).update(secret_hash="sha256$" + digest)
        else:
            Device.objects.filter(pk=device.pk).update(accepts_unauthenticated=True)


class Migration(migrations.Migration):
    dependencies = [("tracking", "0002_partition_positions")]

    operations = [
        migrations.AddField(
            model_name="device",
            name="secret_hash",
            field=models.CharField(
                blank=True, editable=False, max_length=128, verbose_name="secret (hashed)"
            ),
        ),
        migrations.AddField(
            model_name="device",
            name="accepts_unauthenticated",
            field=models.BooleanField(
                default=False, verbose_name="accepts positions without a secret (legacy tracker)"
            ),
        ),
        migrations.RunPython(tokens_to_secrets, migrations.RunPython.noop),
        migrations.RemoveField(model_name="device", name="ingest_token"),
    ]
