"""Find each capability app's API endpoints, web URLs and demo loader.

An app plugs in by providing, in its own package, any of:

* ``api.py`` with ``register(router)`` (or the module named by ``AppConfig.api_module``),
  and optionally ``api_urls`` (extra non-router URL patterns under /api/v1/);
* ``urls.py`` with ``urlpatterns`` (mounted at the app's ``web_prefix``, default its label);
* ``demo.py`` with ``load(context)`` (run by ``minewatch demo`` in ``settings.MINEWATCH_APPS`` order).

Nothing else lists the apps: adding one to ``MINEWATCH_APPS`` is enough.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import AppConfig, apps
from django.conf import settings


def minewatch_app_configs() -> Iterator[AppConfig]:
    for name in settings.MINEWATCH_APPS:
        label = name.rsplit(".", 1)[-1]
        yield apps.get_app_config(label)


def optional_module(dotted: str) -> ModuleType | None:
    """Import ``dotted`` if it exists; a module that exists but fails to import raises."""
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name == dotted:
            return None
        raise


def app_modules(kind: str) -> Iterator[tuple[AppConfig, ModuleType]]:
    """Yield ``(app_config, module)`` for each app that has ``kind`` ('api', 'urls', 'demo')."""
    for config in minewatch_app_configs():
        dotted = getattr(config, f"{kind}_module", None) or f"{config.name}.{kind}"
        module = optional_module(dotted)
        if module is not None:
            yield config, module
