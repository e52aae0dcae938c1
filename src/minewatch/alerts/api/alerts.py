"""API of alerts: list and detail (with the ladder and who was told), and the actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from minewatch.alerts import queries, services
from minewatch.alerts.choices import kind_label
from minewatch.alerts.filtersets import AlertFilterSet
from minewatch.alerts.models import (
    Alert,
    AlertStatusChange,
    ChecklistItem,
    DeliveryAttempt,
    ProtocolChecklist,
    ResponseProtocol,
)
from minewatch.alerts.services.alerts import allowed_actions
from minewatch.core.api import TenantViewSetMixin, VisibleRelatedField
from minewatch.geo.models import Site


class DeliverySerializer(serializers.ModelSerializer):
    step_index = serializers.IntegerField(source="firing.step_index", read_only=True, default=None)

    class Meta:
        model = DeliveryAttempt
        fields = ["id", "alert", "step_index", "channel_kind", "recipient_label", "is_police",
                  "target", "subject", "attempt_number", "status", "status_code", "error",
                  "created_at", "due_at", "started_at", "finished_at", "next_retry_at"]  # fmt: skip


class StatusChangeSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = AlertStatusChange
        fields = ["from_status", "to_status", "actor", "actor_name", "note", "at"]


class ChecklistItemSerializer(serializers.ModelSerializer):
    ticked_by_name = serializers.CharField(
        source="ticked_by.username", read_only=True, default=None
    )

    class Meta:
        model = ChecklistItem
        fields = ["id", "order", "code", "text_es", "text_en", "role", "due_at",
                  "notifies_police", "ticked_at", "ticked_by", "ticked_by_name", "note"]  # fmt: skip


class ChecklistSerializer(serializers.ModelSerializer):
    protocol_code = serializers.CharField(source="protocol.code", read_only=True)
    title_es = serializers.CharField(source="protocol.title_es", read_only=True)
    title_en = serializers.CharField(source="protocol.title_en", read_only=True)
    items = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = ProtocolChecklist
        fields = ["id", "protocol", "protocol_code", "title_es", "title_en", "alert", "incident",
                  "site", "started_at", "completed_at", "items"]  # fmt: skip


class AlertSerializer(serializers.ModelSerializer):
    """An alert as listed; writes (a manual alert) go through the service."""

    site = VisibleRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    site_name = serializers.CharField(source="site.name", read_only=True, default=None)
    policy_name = serializers.CharField(source="policy.name", read_only=True, default=None)
    steps_fired = serializers.IntegerField(read_only=True, default=0)
    times = serializers.SerializerMethodField()
    kind_display = serializers.SerializerMethodField()
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    severity = serializers.IntegerField(min_value=1, max_value=5)
    kind = serializers.CharField(max_length=64, required=False, default="manual")
    actions = serializers.SerializerMethodField()
    snapshot = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = ["id", "reference", "source", "source_display", "kind", "kind_display", "title", "description", "severity",
                  "threat", "incident_type", "status", "site", "site_name", "zone",
                  "subject_type", "subject_key", "lat", "lon", "place", "raised_at",
                  "acknowledged_at", "acknowledged_by", "escalated_at", "escalated_by",
                  "police_notified_at", "resolved_at", "resolved_by", "resolution_note",
                  "occurrences", "last_occurred_at", "dedup_key", "rule", "policy", "policy_name",
                  "next_escalation_at", "steps_fired", "incident", "snapshot", "is_synthetic",
                  "times", "actions"]  # fmt: skip
        read_only_fields = [f for f in fields if f not in (
            "kind", "title", "description", "severity", "threat", "incident_type", "site",
            "subject_type", "subject_key", "lat", "lon", "place")]  # fmt: skip

    def get_times(self, alert: Alert) -> dict[str, float | None]:
        return queries.alert_times(alert)

    def get_actions(self, alert: Alert) -> list[str]:
        """What the state machine lets an operator do now (``ack``, ``escalate``, ``resolve``)."""
        return allowed_actions(alert)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_snapshot(self, alert: Alert) -> str | None:
        """Where the API serves the camera snapshot, or None without one.

        The stored file lives under the private data directory, which no URL serves: the
        file field's own ``url`` (``alerts/snapshots/...jpg``) is a 404.
        """
        if not alert.snapshot:
            return None
        url = reverse("alert-snapshot", args=[alert.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_kind_display(self, alert: Alert) -> str:
        return kind_label(alert.kind)

    def create(self, validated: dict[str, Any]) -> Alert:
        return services.raise_manual_alert(actor=self.context["request"].user, **validated)


def ladder(alert: Alert, now: dt.datetime) -> dict[str, Any] | None:
    """The escalation ladder as the console shows it: each step fired, due, or waiting."""
    if alert.policy is None:
        return None
    fired = {f.step_index: f for f in alert.firings.all()}
    deliveries: dict[int, list[DeliveryAttempt]] = {}
    for row in alert.deliveries.all():
        if row.firing_id is not None:
            index = next((i for i, f in fired.items() if f.pk == row.firing_id), None)
            deliveries.setdefault(index, []).append(row)
    steps, expected = [], alert.next_escalation_at
    for index, step in enumerate(alert.policy.steps.all()):
        firing = fired.get(index)
        state = "fired" if firing else ("due" if expected is not None else "stopped")
        row = {"index": index, "name": step.name, "channels": step.channels,
               "recipient_roles": step.recipient_roles, "notify_site_police": step.notify_site_police,
               "wait_s": step.wait_s, "state": state,
               "fired_at": firing.fired_at if firing else None,
               "fired_by": firing.actor.username if firing and firing.actor else None,
               "expected_at": None if firing else expected,
               "deliveries": DeliverySerializer(deliveries.get(index, []), many=True).data}  # fmt: skip
        if not firing and expected is not None:
            expected = expected + dt.timedelta(seconds=step.wait_s)
        steps.append(row)
    next_at = alert.next_escalation_at
    return {"policy": alert.policy_id, "policy_name": alert.policy.name, "next_escalation_at": next_at,
            "seconds_to_next": max(0.0, (next_at - now).total_seconds()) if next_at else None,
            "steps": steps}  # fmt: skip


class AlertDetailSerializer(AlertSerializer):
    ladder = serializers.SerializerMethodField()
    status_changes = StatusChangeSerializer(many=True, read_only=True)
    checklists = ChecklistSerializer(many=True, read_only=True)
    details = serializers.JSONField(read_only=True)

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "ladder", "status_changes", "checklists", "details"]

    def get_ladder(self, alert: Alert) -> dict[str, Any] | None:
        return ladder(alert, timezone.now())


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PoliceNotifiedSerializer(NoteSerializer):
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class PanicSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    site = VisibleRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    accuracy_m = serializers.FloatField(
        required=False, allow_null=True, default=None, min_value=0, max_value=100_000
    )
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class AttachProtocolSerializer(serializers.Serializer):
    protocol = VisibleRelatedField(queryset=ResponseProtocol.objects.all())


class AlertViewSet(TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Alerts: list, detail with the ladder, raise by hand, and the operator's actions."""

    queryset = (
        Alert.objects.select_related("site", "policy")
        .annotate(steps_fired=Count("firings", distinct=True))
        .order_by("-raised_at", "-id")
    )
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    write_capability = "operate"
    action_capabilities = {"panic": "report_incident", "create_incident": "report_incident"}

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                "firings__actor", "deliveries", "status_changes__actor", "policy__steps",
                Prefetch("checklists", ProtocolChecklist.objects.select_related("protocol")
                         .prefetch_related("items__ticked_by")),
            )  # fmt: skip
        return queryset

    def get_serializer_class(self) -> Any:
        return AlertSerializer if self.action in ("list", "create") else AlertDetailSerializer

    def _respond(self, alert: Alert, code: int = status.HTTP_200_OK) -> Response:
        return Response(AlertDetailSerializer(self.get_queryset().get(pk=alert.pk),
                                              context=self.get_serializer_context()).data,
                        status=code)  # fmt: skip

    def _note(self, request: Request) -> str:
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data["note"]

    @extend_schema(request=NoteSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def ack(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge: someone has it (stops the automatic ladder)."""
        alert = services.acknowledge_alert(self.get_object(), actor=request.user,
                                           note=self._note(request))  # fmt: skip
        return self._respond(alert)

    @extend_schema(request=NoteSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """Fire the next step of the ladder now."""
        alert = services.escalate_alert(self.get_object(), actor=request.user,
                                        note=self._note(request))  # fmt: skip
        return self._respond(alert)

    @extend_schema(request=NoteSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """Resolve with a note saying how (required)."""
        alert = services.resolve_alert(self.get_object(), actor=request.user,
                                       note=self._note(request))  # fmt: skip
        return self._respond(alert)

    @extend_schema(request=PoliceNotifiedSerializer, responses=AlertDetailSerializer)
    @action(detail=True, methods=["post"], url_path="police-notified")
    def police_notified(self, request: Request, pk: str | None = None) -> Response:
        """Record that the police were told (e.g. by phone), for the response-time metric."""
        body = PoliceNotifiedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = services.record_police_notified(self.get_object(), actor=request.user,
                                                **body.validated_data)  # fmt: skip
        return self._respond(alert)

    @extend_schema(request=dict, responses=dict)
    @action(detail=True, methods=["post"], url_path="create-incident")
    def create_incident(self, request: Request, pk: str | None = None) -> Response:
        """Report an incident prefilled from the alert (fields in the body override) and link it.

        ``incident_type`` defaults to the one the alert suggests; required when it suggests none.
        """
        from minewatch.incidents.api import IncidentSerializer

        alert = self.get_object()
        body = IncidentSerializer(data=request.data, context=self.get_serializer_context(),
                                  partial=True)  # fmt: skip
        body.is_valid(raise_exception=True)
        incident = services.create_incident_from_alert(alert, actor=request.user,
                                                       **body.validated_data)  # fmt: skip
        return Response(IncidentSerializer(incident, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip

    @extend_schema(request=AttachProtocolSerializer, responses=ChecklistSerializer)
    @action(detail=True, methods=["post"], url_path="attach-protocol")
    def attach_protocol(self, request: Request, pk: str | None = None) -> Response:
        """Attach a response protocol checklist to this alert."""
        body = AttachProtocolSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        checklist = services.attach_protocol(actor=request.user, alert=self.get_object(),
                                             protocol=body.validated_data["protocol"])  # fmt: skip
        return Response(ChecklistSerializer(checklist).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    @action(detail=True, methods=["get"])
    def snapshot(self, request: Request, pk: str | None = None) -> FileResponse:
        """The camera snapshot kept with the alert (JPEG)."""
        alert = self.get_object()
        if not alert.snapshot:
            raise Http404("no snapshot")
        return FileResponse(alert.snapshot.open("rb"), content_type="image/jpeg")

    @extend_schema(request=PanicSerializer, responses=AlertDetailSerializer)
    @action(detail=False, methods=["post"])
    def panic(self, request: Request) -> Response:
        """The panic button: an alert of severity 5 at the given position, right now."""
        body = PanicSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        alert = services.raise_panic(actor=request.user, **body.validated_data)
        return self._respond(alert, status.HTTP_201_CREATED)
