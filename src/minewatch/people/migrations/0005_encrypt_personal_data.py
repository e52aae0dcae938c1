"""Encrypt document numbers, phones and vetting results at rest (Ley 29733).

New encrypted columns are added beside the plain ones, every existing row is encrypted
into them (and the person's document hash filled), the plain columns are dropped and the
new ones take their names. The keys are created in the data directory when missing (an
installation upgrading to this version has none yet). Reversible: going back decrypts.

On PostgreSQL the dropped values stay in dead row versions until ``VACUUM FULL`` of
``people_person`` and ``people_vettingrecord`` (docs/people.md).
"""

from django.db import migrations, models

import minewatch.core.fields
from minewatch.core import crypto

# (model, plain field, encrypted field)
PAIRS = (
    ("person", "document_number", "document_number_enc"),
    ("person", "phone", "phone_enc"),
    ("vettingrecord", "document_number", "document_number_enc"),
    ("vettingrecord", "result", "result_enc"),
)


def encrypt_rows(apps, schema_editor):
    crypto.create_keys()
    with crypto.raw_values():
        for model_name in ("person", "vettingrecord"):
            model = apps.get_model("people", model_name)
            pairs = [(plain, enc) for name, plain, enc in PAIRS if name == model_name]
            columns = [plain for plain, _ in pairs]
            for row in model.objects.values("pk", *columns).iterator(chunk_size=500):
                values = {enc: crypto.encrypt(row[plain] or "") for plain, enc in pairs}
                if model_name == "person":
                    values["document_number_hash"] = crypto.lookup_hash(row["document_number"])
                model.objects.filter(pk=row["pk"]).update(**values)


def decrypt_rows(apps, schema_editor):
    with crypto.raw_values():
        for model_name in ("person", "vettingrecord"):
            model = apps.get_model("people", model_name)
            pairs = [(plain, enc) for name, plain, enc in PAIRS if name == model_name]
            columns = [enc for _, enc in pairs]
            for row in model.objects.values("pk", *columns).iterator(chunk_size=500):
                values = {plain: crypto.decrypt(row[enc] or "") for plain, enc in pairs}
                model.objects.filter(pk=row["pk"]).update(**values)


def encrypted(verbose_name, max_length, **kwargs):
    return minewatch.core.fields.EncryptedCharField(
        max_length=max_length, verbose_name=verbose_name, **kwargs
    )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_person_legal_hold_and_anonymisation"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="person", name="person_unique_document"),
        migrations.AddField(
            model_name="person",
            name="document_number_hash",
            field=minewatch.core.fields.LookupHashField(source="document_number"),
        ),
        migrations.AddField(
            model_name="person",
            name="document_number_enc",
            field=encrypted("document number", 20, default=""),
        ),
        migrations.AddField(
            model_name="person",
            name="phone_enc",
            field=encrypted("phone", 20, blank=True, default=""),
        ),
        migrations.AddField(
            model_name="vettingrecord",
            name="document_number_enc",
            field=encrypted("document number", 60, blank=True, default=""),
        ),
        migrations.AddField(
            model_name="vettingrecord", name="result_enc", field=encrypted("result", 16, default="")
        ),
        # A default on the plain columns that must be filled, so that going back can re-add them.
        migrations.AlterField(
            model_name="person",
            name="document_number",
            field=models.CharField(default="", max_length=20, verbose_name="document number"),
        ),
        migrations.AlterField(
            model_name="vettingrecord",
            name="result",
            field=models.CharField(
                choices=[("clear", "Clear"), ("flagged", "Flagged"), ("failed", "Failed")],
                default="",
                max_length=16,
                verbose_name="result",
            ),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
        migrations.RemoveField(model_name="person", name="document_number"),
        migrations.RemoveField(model_name="person", name="phone"),
        migrations.RemoveField(model_name="vettingrecord", name="document_number"),
        migrations.RemoveField(model_name="vettingrecord", name="result"),
        migrations.RenameField("person", "document_number_enc", "document_number"),
        migrations.RenameField("person", "phone_enc", "phone"),
        migrations.RenameField("vettingrecord", "document_number_enc", "document_number"),
        migrations.RenameField("vettingrecord", "result_enc", "result"),
        migrations.AlterField(
            model_name="person",
            name="document_number",
            field=minewatch.core.fields.EncryptedCharField(
                hash_field="document_number_hash", max_length=20, verbose_name="document number"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="phone",
            field=minewatch.core.fields.EncryptedCharField(
                blank=True, max_length=20, verbose_name="phone"
            ),
        ),
        migrations.AlterField(
            model_name="vettingrecord",
            name="document_number",
            field=minewatch.core.fields.EncryptedCharField(
                blank=True, max_length=60, verbose_name="document number"
            ),
        ),
        migrations.AlterField(
            model_name="vettingrecord",
            name="result",
            field=minewatch.core.fields.EncryptedCharField(
                choices=[("clear", "Clear"), ("flagged", "Flagged"), ("failed", "Failed")],
                max_length=16,
                verbose_name="result",
            ),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(
                fields=("organisation", "document_type", "document_number_hash"),
                name="person_unique_document",
            ),
        ),
    ]
