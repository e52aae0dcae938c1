"""Filters of the core app, and the filter pieces every app's FilterSets share.

Every id a client sends in a query string goes through :class:`IdField`: a
whole number between 1 and the largest 64-bit id. SQLite cannot even compare a
column with a larger integer (``OverflowError``), so a bigger number must be a
400 naming the parameter, never reach the database. :class:`MineWatchFilterSet`
makes the filters generated from ``Meta.fields`` use the same checks; every
app's FilterSet derives from it.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS

from minewatch.core.models import AuditEntry

# The largest value of a 64-bit signed integer: BigAutoField's and SQLite's INTEGER limit.
MAX_ID = 2**63 - 1

ID_ERROR = _("Enter a whole number between 1 and %(max)s (a record id).")


def check_id(value: Any) -> int:
    """``value`` as an id, or a ``ValidationError`` saying what an id must be."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise forms.ValidationError(ID_ERROR, code="invalid", params={"max": MAX_ID}) from None
    if not 1 <= number <= MAX_ID:
        raise forms.ValidationError(ID_ERROR, code="invalid", params={"max": MAX_ID})
    return number


class IdField(forms.IntegerField):
    """A record id in a query string: a whole number from 1 to :data:`MAX_ID`."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        return check_id(value)


class IdFilter(django_filters.NumberFilter):
    """Filter on a related record's id (``site=12``), with the id checked by :class:`IdField`."""

    field_class = IdField


class IdModelChoiceField(django_filters.fields.ModelChoiceField):
    """A related record chosen by id; the id is checked before the database sees it."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values or value == self.null_value:
            return super().to_python(value)
        if self.to_field_name in (None, "id", "pk"):
            check_id(value)
        return super().to_python(value)


class IdModelMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    """Several related records chosen by id; each id is checked first."""

    def _check_values(self, value: Any) -> Any:
        if self.to_field_name in (None, "id", "pk"):
            for item in value:
                if item != self.null_value:
                    check_id(item)
        return super()._check_values(value)


class IdModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = IdModelChoiceField


class IdModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = IdModelMultipleChoiceField


def _with_checked_ids(defaults: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """django-filter's field→filter table with every id (own or related) checked by IdField."""
    table = dict(defaults)
    for field_class in (models.AutoField, models.BigAutoField):
        table[field_class] = {"filter_class": IdFilter}
    for field_class in (models.ForeignKey, models.OneToOneField):
        table[field_class] = {**defaults[field_class], "filter_class": IdModelChoiceFilter}
    table[models.ManyToManyField] = {
        **defaults[models.ManyToManyField],
        "filter_class": IdModelMultipleChoiceFilter,
    }
    return table


class MineWatchFilterSet(django_filters.FilterSet):
    """Base of every MineWatch FilterSet: generated id filters refuse out-of-range ids."""

    FILTER_DEFAULTS = _with_checked_ids(FILTER_FOR_DBFIELD_DEFAULTS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # django-filter builds a filter's form field once and keeps it, label included. Whoever
        # reads ``field`` on the class-level filters first (drf-spectacular does, building the
        # schema, before any model is attached) fixes a label-less field for every later copy,
        # and the form then falls back to the English attribute name ("Status") whatever the
        # request's language. Each FilterSet builds its own fields, labelled in its language.
        for declared in self.filters.values():
            declared.__dict__.pop("_field", None)


class AuditEntryFilterSet(MineWatchFilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["action", "object_type", "object_id", "actor"]
