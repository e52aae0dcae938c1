"""Serializers of the core app."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from minewatch.core.models import AuditEntry, Organisation, User
from minewatch.core.roles import has_capability


class WholeItemSerializerMixin:
    """For the item serializer of a nested list (a trip's vehicles, a route's checkpoints).

    DRF passes a PATCH's ``partial=True`` down to nested serializers, so an item
    missing a required field (``{"role": "cargo"}`` without its ``vehicle``)
    was accepted and the service failed on it (a 500). A list given in a PATCH
    replaces the old one, so each of its items must be whole: every required
    field is checked here, named under the item.
    """

    def to_internal_value(self, data: Any) -> Any:
        if getattr(self.root, "partial", False) and isinstance(data, dict):  # type: ignore[attr-defined]
            missing = {
                name: [field.error_messages["required"]]
                for name, field in self.fields.items()  # type: ignore[attr-defined]
                if field.required and not field.read_only and name not in data
            }
            if missing:
                raise serializers.ValidationError(missing)
        return super().to_internal_value(data)  # type: ignore[misc]


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "tax_id", "country", "contact_email", "contact_phone"]


class UserSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "organisation",
            "organisation_name",
            "role",
            "preferred_language",
        ]


def audit_visibility(user: Any, entries: Iterable[AuditEntry]) -> dict[int, set[str] | None]:
    """What of each audit entry ``user`` may not read: ``None`` = the whole record, else field names.

    The audit log copies whole objects, so it must not show what the object's own
    endpoint would hide. Two declarations on a model decide it:

    * ``role_filter(user)`` (the per-role filter of ``core.tenancy``): an entry about an
      object the user cannot see (a protected intelligence source, a confidential
      incident) keeps only who did what and when;
    * ``audit_protected_fields = {"field": "capability"}``: those fields are dropped from
      ``before``, ``after`` and ``changes`` for users without the capability (e.g. the
      ``source`` of an intelligence report without ``see_sources``).

    Entries absent from the result are shown whole.
    """
    by_type: dict[str, list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        by_type[entry.object_type].append(entry)
    hidden: dict[int, set[str] | None] = {}
    for label, group in by_type.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        fields = {
            name
            for name, capability in getattr(model, "audit_protected_fields", {}).items()
            if not has_capability(user, capability)
        }
        role_filter = getattr(model, "role_filter", None)
        visible: set[str] | None = None
        if role_filter is not None:
            ids = []
            for entry in group:
                with contextlib.suppress(ValidationError):  # a malformed id is not visible
                    ids.append(model._meta.pk.to_python(entry.object_id))
            rows = model._default_manager.filter(pk__in=ids).filter(role_filter(user))
            visible = {str(pk) for pk in rows.values_list("pk", flat=True)}
        for entry in group:
            if visible is not None and entry.object_id not in visible:
                hidden[entry.pk] = None
            elif fields:
                hidden[entry.pk] = fields
    return hidden


class AuditListSerializer(serializers.ListSerializer):
    """Works out, once per page, which entries the requesting user may read in full."""

    def to_representation(self, data: Any) -> list[Any]:
        entries = list(data.all() if hasattr(data, "all") else data)
        request = self.context.get("request")
        self.child.hidden = audit_visibility(getattr(request, "user", None), entries)
        return [self.child.to_representation(entry) for entry in entries]


class AuditEntrySerializer(serializers.ModelSerializer):
    """An audit entry; what the reader may not see of the object is left out (``redacted``)."""

    redacted = serializers.SerializerMethodField()

    class Meta:
        list_serializer_class = AuditListSerializer
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "changes",
            "note",
            "redacted",
        ]

    def get_redacted(self, entry: AuditEntry) -> bool:
        return entry.pk in self._hidden()

    def _hidden(self) -> dict[int, set[str] | None]:
        hidden = getattr(self, "hidden", None)
        if hidden is None:  # a single entry (retrieve)
            request = self.context.get("request")
            instance = self.instance if isinstance(self.instance, AuditEntry) else None
            hidden = audit_visibility(
                getattr(request, "user", None), [instance] if instance else []
            )
            self.hidden = hidden
        return hidden

    def to_representation(self, entry: AuditEntry) -> dict[str, Any]:
        data = super().to_representation(entry)
        if entry.pk not in self._hidden():
            return data
        fields = self._hidden()[entry.pk]
        if fields is None:
            data.update(object_repr=str(_("(restricted)")), before=None, after=None, changes={})
            return data
        for key in ("before", "after", "changes"):
            if isinstance(data[key], dict):
                data[key] = {k: v for k, v in data[key].items() if k not in fields}
        return data
