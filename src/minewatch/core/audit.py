"""Writing the audit log. Every service calls :func:`record` inside its transaction."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.forms.models import model_to_dict

from minewatch.core import ledger
from minewatch.core.fields import snapshot_value
from minewatch.core.models import AuditEntry


def snapshot(instance: models.Model) -> dict[str, Any]:
    """A JSON-safe copy of the instance's concrete fields, for before/after."""
    data = model_to_dict(instance, fields=[f.name for f in instance._meta.concrete_fields])
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.name in data:
            data[field.name] = getattr(instance, field.attname)
        elif isinstance(field, models.FileField) and field.name in data:
            data[field.name] = getattr(instance, field.name).name or ""  # the stored path
        elif getattr(field, "is_encrypted", False) and field.name in data:
            # Encrypted at rest (Ley 29733): the audit log keeps a keyed fingerprint only.
            data[field.name] = snapshot_value(field, data[field.name])
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Fields whose value changed, as ``{field: [old, new]}``."""
    after = after or {}
    if not before:  # a creation (a batch writes thousands): every field set, in key order
        return {k: [None, after[k]] for k in sorted(after) if after[k] is not None}
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def record(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    organisation_id: int | None = None,
) -> AuditEntry:
    """Append one audit entry describing a write to ``instance``."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    if organisation_id is None:
        organisation_id = getattr(instance, "organisation_id", None)
    entry = AuditEntry(
        organisation_id=organisation_id,
        actor=actor if is_user else None,
        actor_name=str(getattr(actor, "username", "") or actor or "system")[:150],
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk or ""),
        object_repr=str(instance)[:300],
        before=before,
        after=after,
        changes=diff(before, after),
        note=note[:500],
    )
    ledger.chain_entry(entry)
    entry.save(force_insert=True)
    ledger.sign_head_after_commit()
    return entry
