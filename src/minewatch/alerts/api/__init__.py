"""REST API of the alerts app: ``register(router)`` and ``api_urls``."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import BaseRouter

from minewatch.alerts.api.alerts import AlertViewSet
from minewatch.alerts.api.config import (
    AlertRuleViewSet,
    ContactViewSet,
    EscalationPolicyViewSet,
    NotificationChannelViewSet,
)
from minewatch.alerts.api.protocols import alert_metrics, viewsets_for_router


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("alerts", AlertViewSet)
    router.register("alert-rules", AlertRuleViewSet)
    router.register("escalation-policies", EscalationPolicyViewSet)
    router.register("alert-contacts", ContactViewSet)
    router.register("notification-channels", NotificationChannelViewSet)
    for prefix, viewset in viewsets_for_router():
        router.register(prefix, viewset)


api_urls = [path("alert-metrics/", alert_metrics, name="api-alert-metrics")]
