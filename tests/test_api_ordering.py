"""Every paginated list of the API has a stable order: an unordered queryset can give the same
row on two pages and skip another (Django's UnorderedObjectListWarning; CI saw it for
``/api/v1/person-assignments/``)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIRequestFactory, force_authenticate

from minewatch.core.registry import app_modules


def registered() -> list[tuple[str, Any]]:
    router = DefaultRouter()
    for _config, module in app_modules("api"):
        register = getattr(module, "register", None)
        if register is not None:
            register(router)
    return [(prefix, viewset) for prefix, viewset, _basename in router.registry]


@pytest.mark.django_db
def test_every_list_endpoint_orders_its_rows(world: Any) -> None:
    factory = APIRequestFactory()
    unordered = []
    for prefix, viewset in registered():
        if not hasattr(viewset, "list"):
            continue
        request = factory.get(f"/api/v1/{prefix}/")
        force_authenticate(request, user=world.users["admin"])
        view = viewset()
        view.action_map, view.action, view.format_kwarg = {"get": "list"}, "list", None
        view.args, view.kwargs = (), {}
        view.request = view.initialize_request(request)
        queryset = view.filter_queryset(view.get_queryset())
        if hasattr(queryset, "ordered") and not queryset.ordered:
            unordered.append(prefix)
    assert len(registered()) > 40
    assert not unordered
