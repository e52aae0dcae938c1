"""``tenancy.visibility_key``: users with equal keys must be given the same rows."""

from __future__ import annotations

from itertools import combinations

from django.apps import apps

from minewatch.core import services as core_services
from minewatch.core.choices import Role
from minewatch.core.tenancy import restrict, visibility_key
from minewatch.geo.models import Site
from minewatch.incidents.models import Incident
from minewatch.testing.world import PASSWORD


def tenant_models() -> list:
    return [m for m in apps.get_models() if hasattr(m, "tenant_owner_field")]


def test_users_with_equal_keys_get_the_same_restricted_query_for_every_model(world):
    twin = core_services.create_user(actor=None, username="a-operator-2", password=PASSWORD,
                                     organisation=world.orgs["a"], role=Role.OPERATOR)  # fmt: skip
    users = [*world.users.values(), twin]
    compared = 0
    for model in tenant_models():
        for first, second in combinations(users, 2):
            if visibility_key(model, first) != visibility_key(model, second):
                continue
            one = restrict(model.objects.all(), first).query.sql_with_params()
            other = restrict(model.objects.all(), second).query.sql_with_params()
            assert one == other, (model._meta.label, first.username, second.username)
            compared += 1
    # the twins at least share the key of every model without a per-user role filter
    assert compared >= sum(1 for m in tenant_models() if not hasattr(m, "role_filter"))


def test_a_model_with_a_role_filter_keys_by_the_user_itself(world):
    twin = core_services.create_user(actor=None, username="a-guard-2", password=PASSWORD,
                                     organisation=world.orgs["a"], role=Role.GUARD)  # fmt: skip
    guard = world.users[Role.GUARD]
    assert visibility_key(Site, guard) == visibility_key(Site, twin)
    assert visibility_key(Incident, guard) != visibility_key(Incident, twin)  # own reports
    assert visibility_key(Site, guard) != visibility_key(Site, world.users["psc-operator"])
