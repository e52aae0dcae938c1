"""Encrypt the credential typed or scanned at each pass (a badge, a plate or a DNI) at rest
(Ley 29733), with its keyed hash beside it so a pass is still found by what was typed.

As 0009 did for visitors: the column becomes text (a Fernet token is longer than the
value) and every existing row is encrypted in place, in chunks of 1,000 by key. Reversible:
going back decrypts. On PostgreSQL the plain values stay in dead row versions until
``VACUUM FULL people_accessevent`` (docs/people.md).
"""

from django.db import migrations

import minewatch.core.fields
from minewatch.core import crypto

CHUNK = 1000


def _rewrite(apps, schema_editor, convert):
    event = apps.get_model("people", "accessevent")
    if not event.objects.exists():
        return
    crypto.create_keys()
    table = schema_editor.quote_name(event._meta.db_table)
    last = 0
    with crypto.raw_values():
        while True:
            rows = list(event.objects.filter(pk__gt=last).order_by("pk")
                        .values_list("pk", "credential")[:CHUNK])  # fmt: skip
            if not rows:
                return
            with schema_editor.connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET credential = %s, credential_hash = %s WHERE id = %s",  # noqa: S608 - the table's own name
                    [(*convert(value or ""), pk) for pk, value in rows],
                )
            last = rows[-1][0]


def encrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, lambda plain: (crypto.encrypt(plain), crypto.lookup_hash(plain)))


def decrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, lambda token: (crypto.decrypt(token), ""))


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0009_encrypt_visitor_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="accessevent",
            name="credential_hash",
            field=minewatch.core.fields.LookupHashField(source="credential"),
        ),
        migrations.AlterField(
            model_name="accessevent",
            name="credential",
            field=minewatch.core.fields.EncryptedCharField(
                hash_field="credential_hash", max_length=60, verbose_name="credential"
            ),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
