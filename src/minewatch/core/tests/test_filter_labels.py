"""A filter bar's labels are in the language of the request, whatever was built before it.

drf-spectacular reads ``filter.field`` on each FilterSet's class-level filters while it builds
``/api/v1/schema/``. django-filter caches that form field, with no label (the class-level filter
has no model yet), and every later FilterSet deep-copies it: the Spanish filter bars then showed
Django's English fallback ("Role", "Status", "Kind", "Product") for the rest of the process.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from django_filters.utils import label_for_filter

import minewatch.urls  # noqa: F401  (imports every app's FilterSets)
from minewatch.core.filtersets import MineWatchFilterSet


def filtersets(cls: type = MineWatchFilterSet) -> Iterator[type]:
    for sub in cls.__subclasses__():
        if getattr(sub._meta, "model", None) is not None:
            yield sub
        yield from filtersets(sub)


def expected_label(filterset: type, name: str) -> str:
    declared = filterset.base_filters[name]
    if declared._label is not None:
        return str(declared._label)
    return label_for_filter(
        filterset._meta.model, declared.field_name, declared.lookup_expr, declared.exclude
    )


def test_every_filterset_is_checked() -> None:
    assert len(list(filtersets())) >= 30


@pytest.mark.parametrize("filterset", list(filtersets()), ids=lambda cls: cls.__name__)
def test_labels_follow_the_active_language_after_the_schema_read_the_filters(
    filterset: type,
) -> None:
    with translation.override("en"):
        for declared in filterset.base_filters.values():
            assert declared.field is not None  # what drf-spectacular reads building the schema
    with translation.override("es"):
        form = filterset(queryset=filterset._meta.model.objects.none()).form
        wrong = {
            name: (form[name].label, expected_label(filterset, name))
            for name in form.fields
            if form[name].label != expected_label(filterset, name)
        }
    assert not wrong
