"""Root URL configuration: admin, accounts, i18n, the API and each app's pages."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from minewatch.core.api import health
from minewatch.core.metrics import metrics_view
from minewatch.core.registry import app_modules


def build_api_urls() -> list[URLPattern | URLResolver]:
    router = DefaultRouter()
    extra: list[URLPattern | URLResolver] = []
    for _config, module in app_modules("api"):
        register = getattr(module, "register", None)
        if register is not None:
            register(router)
        extra.extend(getattr(module, "api_urls", []))
    return [
        path("health", health, name="api-health"),
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
        *extra,
        path("", include(router.urls)),
    ]


def build_app_urls() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for config, module in app_modules("urls"):
        prefix = getattr(config, "web_prefix", config.label + "/")
        patterns.append(path(prefix, include(module)))
    return patterns


urlpatterns = [
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(build_api_urls())),
    *build_app_urls(),
]
