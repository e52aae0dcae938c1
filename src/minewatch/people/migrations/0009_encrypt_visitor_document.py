"""Encrypt visitors' document numbers at rest (Ley 29733), as 0005 did for people.

The column becomes text (a Fernet token is longer than the number) and every existing row
is encrypted in place. Reversible: going back decrypts. On PostgreSQL the plain values stay
in dead row versions until ``VACUUM FULL people_visitor`` (docs/people.md).
"""

from django.db import migrations

import minewatch.core.fields
from minewatch.core import crypto


def encrypt_rows(apps, schema_editor):
    visitor = apps.get_model("people", "visitor")
    if not visitor.objects.exists():
        return
    crypto.create_keys()
    with crypto.raw_values():
        for pk, number in visitor.objects.values_list("pk", "document_number").iterator(500):
            visitor.objects.filter(pk=pk).update(document_number=crypto.encrypt(number or ""))


def decrypt_rows(apps, schema_editor):
    visitor = apps.get_model("people", "visitor")
    with crypto.raw_values():
        for pk, token in visitor.objects.values_list("pk", "document_number").iterator(500):
            visitor.objects.filter(pk=pk).update(document_number=crypto.decrypt(token or ""))


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0008_access_event_indexes_covered"),
    ]

    operations = [
        migrations.AlterField(
            model_name="visitor",
            name="document_number",
            field=minewatch.core.fields.EncryptedCharField(
                max_length=20, verbose_name="document number"
            ),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
