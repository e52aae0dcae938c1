"""Model fields that keep personal data encrypted at rest (:mod:`minewatch.core.crypto`).

``EncryptedCharField`` stores a Fernet token (a text column) and reads back the text; the
model sees plain strings, the database never does. With ``hash_field="<name>"`` a
``LookupHashField`` beside it holds the keyed hash of the normalised value, and the
lookups ``exact``, ``iexact`` and ``in`` on the encrypted field are answered from that
column (``Person.objects.filter(document_number="12345678")`` works and uses the index);
any other lookup on an encrypted field (``icontains``, ``startswith``, ordering by value
is meaningless) raises a ``FieldError`` instead of silently matching nothing.

The hash is computed when the row is saved (``pre_save``), so ``QuerySet.update()`` and
``bulk_update()`` of an encrypted field with a hash would leave the hash stale: save the
instances instead.

Example::

    document_number = EncryptedCharField(max_length=20, hash_field="document_number_hash")
    document_number_hash = LookupHashField(source="document_number")
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models import lookups

from minewatch.core import crypto

ALLOWED_LOOKUPS = {"exact", "iexact", "in", "isnull"}


class LookupHashField(models.CharField):
    """The HMAC-SHA256 (hex) of another field's normalised value, computed on save."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in (("max_length", 64), ("editable", False), ("blank", True)):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        if crypto.is_raw():
            return getattr(model_instance, self.attname)
        value = crypto.lookup_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


class EncryptedCharField(models.CharField):
    """Text encrypted at rest with Fernet; ``max_length`` limits the text, not the token."""

    description = "Text encrypted at rest (Fernet)"
    is_encrypted = True

    def __init__(self, *args: Any, hash_field: str | None = None, **kwargs: Any) -> None:
        self.hash_field = hash_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        return "TextField"  # a token is about 100 characters for a DNI: the column is text

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or crypto.is_raw():
            return value
        return crypto.decrypt(value, label=f"{self.model._meta.label}.{self.name}")

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if value is None or crypto.is_raw():
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in ALLOWED_LOOKUPS:
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is encrypted: it can be matched only by "
                f"exact value, not with '{lookup_name}'"
            )
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if not self.hash_field:
            raise FieldError(
                f"{self.model._meta.label}.{self.name} is encrypted without a look-up hash: "
                "it cannot be queried by value"
            )
        return HashedIn if lookup_name == "in" else HashedExact

    def hash_column(self, lhs: Any) -> Any:
        """The hash field's column, on the same table alias as ``lhs``."""
        target = self.model._meta.get_field(self.hash_field)
        alias = getattr(lhs, "alias", None)
        if alias is None:
            raise FieldError(f"{self.model._meta.label}.{self.name}: cannot query by value here")
        return target.get_col(alias)


def _plain(value: Any, field_label: str) -> str:
    if hasattr(value, "resolve_expression"):
        raise FieldError(f"{field_label} is encrypted: compare it with a value, not an expression")
    return crypto.lookup_hash("" if value is None else str(value))


class HashedExact(lookups.Exact):
    """``field=value`` on an encrypted field: the hash column equals the value's hash."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        field = lhs.output_field
        super().__init__(field.hash_column(lhs), _plain(rhs, field.name))


class HashedIn(lookups.In):
    """``field__in=[...]`` on an encrypted field, through the hash column."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        field = lhs.output_field
        super().__init__(field.hash_column(lhs), [_plain(v, field.name) for v in rhs])


def snapshot_value(field: models.Field, value: Any) -> Any:
    """What the audit log keeps of an encrypted field: a keyed fingerprint, never the text.

    Deterministic, so the audit diff still shows which fields changed.
    """
    if value in (None, ""):
        return value
    return "encrypted:" + crypto.lookup_hash(f"{field.name}:{value}")[:16]


def encrypted_fields() -> list[tuple[Any, list[str]]]:
    """Every model with encrypted fields, and their attribute names."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if getattr(f, "is_encrypted", 0)]
        if names:
            found.append((model, names))
    return found


def reencrypt_all(chunk: int = 500) -> int:
    """Re-encrypt every stored token under the current (first) key; returns the rows changed.

    After ``minewatch keys rotate`` the old keys still decrypt; once this has run they can
    be removed from ``fernet.key``.
    """
    from django.db import transaction

    changed = 0
    with crypto.raw_values():
        for model, names in encrypted_fields():
            pks = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(pks), chunk):
                with transaction.atomic():
                    rows = model._base_manager.filter(pk__in=pks[start : start + chunk])
                    for pk, *tokens in rows.values_list("pk", *names):
                        values = {
                            n: crypto.reencrypt(t or "") for n, t in zip(names, tokens, strict=True)
                        }
                        model._base_manager.filter(pk=pk).update(**values)
                        changed += 1
    return changed
