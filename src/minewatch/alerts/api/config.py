"""API of alerting configuration: rules, escalation ladders, contacts, channels."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, viewsets

from minewatch.alerts import services
from minewatch.alerts.models import (
    AlertRule,
    Contact,
    EscalationPolicy,
    EscalationStep,
    NotificationChannel,
)
from minewatch.core.api import TenantViewSetMixin, VisibleRelatedField
from minewatch.core.errors import InvalidInput
from minewatch.core.models import User
from minewatch.core.serializers import WholeItemSerializerMixin
from minewatch.geo.models import Site, Zone


def owner(serializer: serializers.Serializer) -> Any:
    user = serializer.context["request"].user
    if user.organisation is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    return user.organisation


class AlertRuleSerializer(serializers.ModelSerializer):
    sites = VisibleRelatedField(queryset=Site.objects.all(), many=True, required=False)
    zones = VisibleRelatedField(queryset=Zone.objects.all(), many=True, required=False)
    escalation_policy = VisibleRelatedField(
        queryset=EscalationPolicy.objects.all(), required=False, allow_null=True
    )
    kinds = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    sources = serializers.ListField(child=serializers.CharField(max_length=32), required=False)

    class Meta:
        model = AlertRule
        fields = ["id", "organisation", "name", "is_enabled", "kinds", "sources", "sites", "zones",
                  "min_severity", "window_start", "window_end", "dedup_minutes",
                  "throttle_max_alerts", "throttle_window_minutes", "alert_severity", "threat",
                  "incident_type", "escalation_policy", "suppressed_count"]  # fmt: skip
        read_only_fields = ["organisation", "suppressed_count"]

    def create(self, validated: dict[str, Any]) -> AlertRule:
        return services.save_rule(actor=self.context["request"].user, organisation=owner(self),
                                  **validated)  # fmt: skip

    def update(self, instance: AlertRule, validated: dict[str, Any]) -> AlertRule:
        return services.save_rule(actor=self.context["request"].user,
                                  organisation=instance.organisation, rule=instance, **validated)  # fmt: skip


class EscalationStepSerializer(WholeItemSerializerMixin, serializers.ModelSerializer):
    users = VisibleRelatedField(queryset=User.objects.all(), many=True, required=False)
    contacts = VisibleRelatedField(queryset=Contact.objects.all(), many=True, required=False)
    channels = serializers.ListField(child=serializers.CharField(max_length=10))
    recipient_roles = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False
    )

    class Meta:
        model = EscalationStep
        fields = ["order", "name", "recipient_roles", "users", "contacts", "notify_site_police",
                  "channels", "wait_s"]  # fmt: skip
        read_only_fields = ["order"]


class EscalationPolicySerializer(serializers.ModelSerializer):
    steps = EscalationStepSerializer(many=True, required=False)
    threats = serializers.ListField(child=serializers.CharField(max_length=32), required=False)
    kinds = serializers.ListField(child=serializers.CharField(max_length=64), required=False)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "organisation", "name", "threats", "kinds", "min_severity", "is_active",
                  "steps"]  # fmt: skip
        read_only_fields = ["organisation"]

    def create(self, validated: dict[str, Any]) -> EscalationPolicy:
        return services.save_escalation_policy(actor=self.context["request"].user,
                                               organisation=owner(self), **validated)  # fmt: skip

    def update(self, instance: EscalationPolicy, validated: dict[str, Any]) -> EscalationPolicy:
        return services.save_escalation_policy(
            actor=self.context["request"].user, organisation=instance.organisation,
            policy=instance, **validated,
        )  # fmt: skip


class ContactSerializer(serializers.ModelSerializer):
    site = VisibleRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    webhook_secret = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Contact
        fields = ["id", "organisation", "name", "kind", "site", "region", "area", "email", "phone",
                  "webhook_url", "webhook_secret", "notes", "is_active"]  # fmt: skip
        read_only_fields = ["organisation"]

    def create(self, validated: dict[str, Any]) -> Contact:
        return services.save_contact(actor=self.context["request"].user, organisation=owner(self),
                                     **validated)  # fmt: skip

    def update(self, instance: Contact, validated: dict[str, Any]) -> Contact:
        return services.save_contact(actor=self.context["request"].user,
                                     organisation=instance.organisation, contact=instance,
                                     **validated)  # fmt: skip


SECRET_KEYS = ("password", "secret")


class NotificationChannelSerializer(serializers.ModelSerializer):
    """Secrets in ``config`` (password, secret) are write-only: read back as "***"."""

    class Meta:
        model = NotificationChannel
        fields = ["id", "organisation", "name", "kind", "config", "timeout_s", "max_attempts",
                  "backoff_base_s", "backoff_max_s", "is_active"]  # fmt: skip
        read_only_fields = ["organisation"]

    def to_representation(self, instance: NotificationChannel) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["config"] = {k: ("***" if k in SECRET_KEYS and v else v)
                          for k, v in (instance.config or {}).items()}  # fmt: skip
        return data

    def create(self, validated: dict[str, Any]) -> NotificationChannel:
        return services.save_channel(actor=self.context["request"].user, organisation=owner(self),
                                     **validated)  # fmt: skip

    def update(
        self, instance: NotificationChannel, validated: dict[str, Any]
    ) -> NotificationChannel:
        config = validated.get("config")
        if isinstance(config, dict):  # "***" means: keep the stored secret
            for key in SECRET_KEYS:
                if config.get(key) == "***":
                    config[key] = (instance.config or {}).get(key, "")
        return services.save_channel(actor=self.context["request"].user,
                                     organisation=instance.organisation, channel=instance,
                                     **validated)  # fmt: skip


class ConfigViewSet(TenantViewSetMixin, viewsets.ModelViewSet):
    """Managers configure alerting; everyone of the organisation may read it."""

    write_capability = "configure_alerts"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class AlertRuleViewSet(ConfigViewSet):
    queryset = AlertRule.objects.select_related("escalation_policy").prefetch_related(
        "sites", "zones"
    )
    serializer_class = AlertRuleSerializer
    filterset_fields = ["is_enabled"]


class EscalationPolicyViewSet(ConfigViewSet):
    queryset = EscalationPolicy.objects.prefetch_related("steps__users", "steps__contacts")
    serializer_class = EscalationPolicySerializer
    filterset_fields = ["is_active"]


class ContactViewSet(ConfigViewSet):
    queryset = Contact.objects.select_related("site")
    serializer_class = ContactSerializer
    filterset_fields = ["kind", "site", "is_active"]


class NotificationChannelViewSet(ConfigViewSet):
    queryset = NotificationChannel.objects.all()
    serializer_class = NotificationChannelSerializer
    filterset_fields = ["kind", "is_active"]
    action_capabilities = {"list": "configure_alerts", "retrieve": "configure_alerts"}
