"""REST API of the people app: personnel and their records, settings, access events.

Personal data (Ley 29733): document numbers, badge numbers, phones, home districts and the
reasons behind a vetting status go only to roles with ``see_personal_data``; the vetting,
licence and training endpoints are theirs alone. Everyone else reads a person's name,
role, employer and ``cleared`` (yes or no).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.core.api import TenantViewSetMixin
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.roles import has_capability
from minewatch.people import pipeline, queries, services, visits
from minewatch.people.filtersets import (
    AccessAnomalyFilterSet,
    AccessEventFilterSet,
    PersonFilterSet,
)
from minewatch.people.models import (
    AccessAnomaly,
    AccessEvent,
    Assignment,
    Credential,
    Licence,
    Person,
    TrainingRecord,
    TripPassenger,
    VettingRecord,
    Visitor,
)

PERSONAL_FIELDS = ("document_type", "document_number", "badge_number", "phone", "home_ubigeo",
                   "home_lat", "home_lon", "vetting_status")  # fmt: skip


def _actor(serializer: serializers.Serializer) -> Any:
    return serializer.context["request"].user


class PersonSerializer(serializers.ModelSerializer):
    employer_name = serializers.CharField(source="employer.name", read_only=True)
    cleared = serializers.SerializerMethodField()
    vetting_status = serializers.SerializerMethodField()
    employer = serializers.IntegerField(source="employer_id", required=False)
    role = serializers.CharField()
    status = serializers.CharField(required=False)
    document_type = serializers.CharField(required=False)
    home_lat = serializers.FloatField(required=False, allow_null=True)
    home_lon = serializers.FloatField(required=False, allow_null=True)
    hired_locally = serializers.SerializerMethodField()
    has_photo = serializers.SerializerMethodField()

    def get_has_photo(self, person: Person) -> bool:
        return bool(person.photo_sha256)

    class Meta:
        model = Person
        fields = ["id", "organisation", "employer", "employer_name", "name", "role", "status",
                  "cleared", "vetting_status", "hired_locally", "document_type",
                  "document_number", "badge_number", "phone", "home_ubigeo", "home_lat",
                  "home_lon", "has_photo", "legal_hold", "anonymised_at", "is_synthetic", "created_at",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["organisation", "legal_hold", "anonymised_at", "created_at",
                            "updated_at"]  # fmt: skip
        extra_kwargs = {"document_number": {"validators": []}}

    def _status(self, person: Person) -> Any:
        cache = self.context.setdefault("_status", {})
        configs = self.context.setdefault("_settings", {})  # one read per organisation
        if person.pk not in cache:
            if person.organisation_id not in configs:
                configs[person.organisation_id] = services.settings_for(person.organisation_id)
            cache[person.pk] = queries.status_of(
                person, people_settings=configs[person.organisation_id]
            )
        return cache[person.pk]

    def get_hired_locally(self, person: Person) -> list[int]:
        """The sites the person is posted to although they live near them."""
        return [a.site_id for a in person.assignments.all() if a.is_active and a.local_hire]

    def get_cleared(self, person: Person) -> bool:
        return person.status == "active" and self._status(person).cleared

    def get_vetting_status(self, person: Person) -> dict[str, Any]:
        found = self._status(person)
        return {"state": found.state, "reasons": list(found.reasons),
                "next_expiry": found.next_expiry}  # fmt: skip

    def to_representation(self, instance: Person) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not has_capability(request.user, "see_personal_data"):
            for name in PERSONAL_FIELDS:
                data.pop(name, None)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "employer_id" in attrs:
            attrs["employer"] = attrs.pop("employer_id")
        return attrs

    def create(self, validated: dict[str, Any]) -> Person:
        return services.save_person(actor=_actor(self), **validated)

    def update(self, instance: Person, validated: dict[str, Any]) -> Person:
        return services.save_person(actor=_actor(self), person=instance, **validated)


class RecordSerializer(serializers.ModelSerializer):
    """Records are written through ``service`` (it checks the person and the dates)."""

    person = serializers.IntegerField(source="person_id")
    service: Any = None

    def create(self, validated: dict[str, Any]) -> Any:
        validated["person"] = validated.pop("person_id")
        return type(self).service(actor=_actor(self), **validated)


class VettingRecordSerializer(RecordSerializer):
    kind = serializers.CharField()
    result = serializers.CharField()
    date = serializers.CharField()
    expires_on = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    service = staticmethod(services.add_vetting)

    class Meta:
        model = VettingRecord
        fields = ["id", "person", "kind", "date", "issuing_body", "document_number", "result",
                  "reviewer", "expires_on"]  # fmt: skip


class LicenceSerializer(RecordSerializer):
    issued_on = serializers.CharField()
    expires_on = serializers.CharField()
    service = staticmethod(services.add_licence)

    class Meta:
        model = Licence
        fields = ["id", "person", "number", "category", "issued_on", "expires_on", "armed"]


class TrainingRecordSerializer(RecordSerializer):
    kind = serializers.CharField()
    date = serializers.CharField()
    expires_on = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    hours = serializers.CharField(required=False)
    service = staticmethod(services.add_training)

    class Meta:
        model = TrainingRecord
        fields = ["id", "person", "kind", "date", "provider", "hours", "expires_on"]


class AssignmentSerializer(RecordSerializer):
    site = serializers.IntegerField(source="site_id")
    shift_start = serializers.CharField()
    shift_end = serializers.CharField()
    site_name = serializers.CharField(source="site.name", read_only=True)
    service = staticmethod(services.assign)

    class Meta:
        model = Assignment
        fields = ["id", "person", "site", "site_name", "shift_start", "shift_end", "is_active",
                  "local_hire"]  # fmt: skip
        read_only_fields = ["is_active", "local_hire"]

    def create(self, validated: dict[str, Any]) -> Any:
        validated["site"] = validated.pop("site_id")
        return super().create(validated)


class AccessEventSerializer(serializers.ModelSerializer):
    anomalies = serializers.SerializerMethodField()
    access_point_name = serializers.CharField(source="access_point.name", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True, default=None)

    class Meta:
        model = AccessEvent
        fields = ["id", "organisation", "controller_event_id", "occurred_at", "access_point",
                  "access_point_name", "direction", "credential", "result", "person",
                  "person_name", "anomalies", "received_at"]  # fmt: skip

    def get_anomalies(self, event: AccessEvent) -> list[str]:
        return [a.kind for a in event.anomalies.all()]

    def to_representation(self, instance: AccessEvent) -> dict[str, Any]:
        """The typed credential (a badge, a plate or a DNI) whole only for roles with
        ``see_personal_data``, as a person's badge and document are; the others see its last
        three characters, enough to tell two unknown credentials apart."""
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not has_capability(request.user, "see_personal_data"):
            typed = data.get("credential") or ""
            data["credential"] = "•" * max(len(typed) - 3, 0) + typed[-3:]
        return data


class AccessAnomalySerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessAnomaly
        fields = ["id", "organisation", "event", "kind", "access_point", "person", "occurred_at",
                  "created_at"]  # fmt: skip


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class PersonViewSet(TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Personnel of the company and its contractors, with their computed vetting status."""

    queryset = Person.objects.select_related("employer").prefetch_related(
        "vetting", "training", "licences", "assignments"
    )
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    write_capability = "manage_people"
    action_capabilities = {
        "photo": "manage_people",
        "export": "see_personal_data",
        "anonymise": "see_personal_data",
        "legal_hold": "manage_people",
    }

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> Response:
        """Everything held on the person (Ley 29733 access request), as JSON; audited."""
        return Response(services.export_person(actor=request.user, person=self.get_object()))

    @extend_schema(request=RevokeSerializer, responses=PersonSerializer)
    @action(detail=True, methods=["post"])
    def anonymise(self, request: Request, pk: str | None = None) -> Response:
        """Erase what identifies the person (``reason`` required); refused under a legal hold."""
        body = request.data if isinstance(request.data, dict) else {}
        person = services.anonymise_person(actor=request.user, person=self.get_object(),
                                           reason=str(body.get("reason") or ""))  # fmt: skip
        return Response(PersonSerializer(person, context={"request": request}).data)

    @extend_schema(request=dict, responses=PersonSerializer)
    @action(detail=True, methods=["post"], url_path="legal-hold")
    def legal_hold(self, request: Request, pk: str | None = None) -> Response:
        """Put (``{"hold": true}``) or lift a legal hold."""
        body = request.data if isinstance(request.data, dict) else {}
        if not isinstance(body.get("hold"), bool):
            raise InvalidInput("give hold: true or false", field="hold")
        person = services.set_legal_hold(actor=request.user, person=self.get_object(),
                                         hold=body["hold"])  # fmt: skip
        return Response(PersonSerializer(person, context={"request": request}).data)

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}, responses=PersonSerializer)  # fmt: skip
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photo(self, request: Request, pk: str | None = None) -> Response:
        """Upload the person's photo (stored in the evidence store; GET it at /people/{id}/photo/)."""
        person = services.set_photo(actor=request.user, person=self.get_object(),
                                    file=request.FILES.get("file"))  # fmt: skip
        return Response(PersonSerializer(person, context={"request": request}).data)


class PersonalRecordViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                            viewsets.ReadOnlyModelViewSet):  # fmt: skip
    write_capability = "manage_people"
    action_capabilities = {"list": "see_personal_data", "retrieve": "see_personal_data"}
    filterset_fields = ["person"]


class VettingRecordViewSet(PersonalRecordViewSet):
    """Vetting checks (personal data: managers only)."""

    queryset = VettingRecord.objects.all()
    serializer_class = VettingRecordSerializer
    filterset_fields = ["person", "kind"]  # result is encrypted: not a filter


class LicenceViewSet(PersonalRecordViewSet):
    """SUCAMEC licences (personal data: managers only)."""

    queryset = Licence.objects.all()
    serializer_class = LicenceSerializer


class TrainingRecordViewSet(PersonalRecordViewSet):
    """Training records (personal data: managers only)."""

    queryset = TrainingRecord.objects.all()
    serializer_class = TrainingRecordSerializer
    filterset_fields = ["person", "kind"]


class AssignmentViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                        viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Who is posted to which site, on which shift."""

    queryset = Assignment.objects.select_related("site").order_by("pk")
    serializer_class = AssignmentSerializer
    write_capability = "manage_people"
    filterset_fields = ["person", "site"]


class AccessEventViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Passes at access points. POST a batch: ``{"events": [...]}`` or a list."""

    queryset = AccessEvent.objects.select_related("access_point", "person").prefetch_related(
        "anomalies"
    )
    serializer_class = AccessEventSerializer
    filterset_class = AccessEventFilterSet
    write_capability = "record_access"
    action_capabilities = {"create": "record_access"}

    @extend_schema(request=dict, responses=dict)
    def create(self, request: Request) -> Response:
        """Store a controller's batch, each event once by its ``controller_event_id``.

        201 with what was stored, what was a duplicate and what was refused (index, field,
        message); 400 naming the field when nothing at all could be stored.
        """
        body = request.data
        items = body.get("events") if isinstance(body, dict) else body
        if not isinstance(items, list) or not items:
            raise InvalidInput("send a non-empty list of events", field="events")
        try:  # committed together with other gates' concurrent calls (people/pipeline.py)
            outcome = pipeline.record_access_events(actor=request.user, events=items)
        except pipeline.NotStored:
            return Response({"detail": _("the events could not be stored now; send them again")},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)  # fmt: skip
        stored = AccessEventSerializer(
            AccessEvent.objects.filter(pk__in=[e.pk for e in outcome.stored])
            .select_related("access_point", "person").prefetch_related("anomalies")
            .order_by("pk"), many=True,
        ).data  # fmt: skip
        payload = {"stored": stored, "duplicates": outcome.duplicates,
                   "rejected": outcome.rejected}  # fmt: skip
        if outcome.rejected and not outcome.stored and not outcome.duplicates:
            first = outcome.rejected[0]
            payload[first["field"]] = [first["message"]]
            return Response(payload, status=status.HTTP_400_BAD_REQUEST)
        return Response(payload, status=status.HTTP_201_CREATED)


class AccessAnomalyViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Anomalies found in access events (each also went to the alert rules)."""

    queryset = AccessAnomaly.objects.select_related("event")
    serializer_class = AccessAnomalySerializer
    filterset_class = AccessAnomalyFilterSet


class CredentialSerializer(serializers.ModelSerializer):
    kind = serializers.CharField()
    person = serializers.IntegerField(source="person_id", required=False, allow_null=True)
    vehicle = serializers.IntegerField(source="vehicle_id", required=False, allow_null=True)
    valid_from = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    valid_until = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Credential
        fields = ["id", "organisation", "kind", "value", "person", "vehicle", "valid_from",
                  "valid_until", "revoked_at", "revoked_reason", "state", "created_at"]  # fmt: skip
        read_only_fields = ["organisation", "revoked_at", "revoked_reason", "created_at"]
        extra_kwargs = {"value": {"validators": []}}

    def get_state(self, credential: Credential) -> str:
        from django.utils import timezone

        return credential.state(timezone.now())

    def to_representation(self, instance: Credential) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name in ("valid_from", "valid_until"):
            value = getattr(instance, name)
            data[name] = value.isoformat() if value else None
        return data

    def create(self, validated: dict[str, Any]) -> Credential:
        return services.issue_credential(
            actor=_actor(self), kind=validated["kind"], value=validated.get("value", ""),
            person=validated.get("person_id"), vehicle=validated.get("vehicle_id"),
            valid_from=validated.get("valid_from"), valid_until=validated.get("valid_until"),
        )  # fmt: skip


class CredentialViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                        viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Badges, QR codes and plates issued to people and vehicles (managers)."""

    queryset = Credential.objects.all()
    serializer_class = CredentialSerializer
    write_capability = "manage_people"
    action_capabilities = {"list": "see_personal_data", "retrieve": "see_personal_data",
                           "revoke": "manage_people"}  # fmt: skip
    filterset_fields = ["person", "vehicle", "kind"]

    @extend_schema(request=RevokeSerializer, responses=CredentialSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoke the credential from now on; ``reason`` is required."""
        credential = self.get_object()
        body = request.data if isinstance(request.data, dict) else {}
        revoked = services.revoke_credential(actor=request.user, credential=credential,
                                             reason=str(body.get("reason") or ""))  # fmt: skip
        return Response(CredentialSerializer(revoked, context={"request": request}).data)


class VisitorSerializer(serializers.ModelSerializer):
    access_point = serializers.IntegerField(source="access_point_id")
    host = serializers.IntegerField(source="host_id", required=False, allow_null=True)
    document_type = serializers.CharField(required=False)
    expected_exit = serializers.CharField()
    host_name = serializers.CharField(source="host.name", read_only=True, default=None)
    inside = serializers.SerializerMethodField()

    class Meta:
        model = Visitor
        fields = ["id", "organisation", "access_point", "name", "document_type",
                  "document_number", "host", "host_name", "purpose", "vehicle_plate",
                  "escorted", "checked_in_at", "expected_exit", "checked_out_at", "inside",
                  "is_synthetic"]  # fmt: skip
        read_only_fields = ["organisation", "checked_in_at", "checked_out_at"]

    def get_inside(self, visitor: Visitor) -> bool:
        return visitor.checked_out_at is None

    def to_representation(self, instance: Visitor) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["expected_exit"] = instance.expected_exit.isoformat()
        request = self.context.get("request")
        if request is None or not has_capability(request.user, "see_personal_data"):
            data.pop("document_number", None)
        return data

    def create(self, validated: dict[str, Any]) -> Visitor:
        return visits.check_in_visitor(
            actor=_actor(self), access_point=validated["access_point_id"],
            name=validated.get("name", ""), document_number=validated.get("document_number", ""),
            document_type=validated.get("document_type") or "dni",
            purpose=validated.get("purpose", ""), expected_exit=validated["expected_exit"],
            host=validated.get("host_id"), vehicle_plate=validated.get("vehicle_plate", ""),
            escorted=validated.get("escorted", True),
            is_synthetic=validated.get("is_synthetic", False),
        )  # fmt: skip


class VisitorViewSet(TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Visitors registered at the gates; POST ``{id}/check-out/`` when they leave."""

    queryset = Visitor.objects.select_related("host", "access_point")
    serializer_class = VisitorSerializer
    write_capability = "record_access"
    action_capabilities = {"check_out": "record_access"}
    filterset_fields = ["access_point", "host"]

    @extend_schema(request=None, responses=VisitorSerializer)
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, pk: str | None = None) -> Response:
        visitor = visits.check_out_visitor(actor=request.user, visitor=self.get_object())
        return Response(VisitorSerializer(visitor, context={"request": request}).data)


class TripPassengerSerializer(serializers.ModelSerializer):
    trip = serializers.IntegerField(source="trip_id")
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.name", read_only=True)
    trip_reference = serializers.CharField(source="trip.reference", read_only=True)

    class Meta:
        model = TripPassenger
        fields = ["id", "trip", "trip_reference", "person", "person_name", "boarded_at",
                  "arrived_at"]  # fmt: skip
        read_only_fields = ["boarded_at", "arrived_at"]

    def create(self, validated: dict[str, Any]) -> TripPassenger:
        return visits.add_passenger(actor=_actor(self), trip=validated["trip_id"],
                                    person=validated["person_id"])  # fmt: skip


class CheckPassengerSerializer(serializers.Serializer):
    stage = serializers.CharField()


class TripPassengerViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                           mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Passenger manifests of personnel-transport trips; POST ``{id}/check/`` with
    ``stage`` ``board`` or ``arrive``; DELETE takes a passenger off before boarding."""

    queryset = TripPassenger.objects.select_related("person", "trip")
    serializer_class = TripPassengerSerializer
    write_capability = "manage_people"
    action_capabilities = {"check": "record_access"}
    filterset_fields = ["trip", "person"]

    def perform_destroy(self, instance: TripPassenger) -> None:
        visits.remove_passenger(actor=self.request.user, passenger=instance)

    @extend_schema(request=CheckPassengerSerializer, responses=TripPassengerSerializer)
    @action(detail=True, methods=["post"])
    def check(self, request: Request, pk: str | None = None) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        line = visits.check_passenger(actor=request.user, passenger=self.get_object(),
                                      stage=str(body.get("stage") or ""))  # fmt: skip
        return Response(TripPassengerSerializer(line, context={"request": request}).data)


SETTINGS_FIELDS = ("required_vetting", "required_training", "validity_days", "warn_days",
                   *services.MORE_SETTINGS)  # fmt: skip


@extend_schema(request=dict, responses=dict)
@api_view(["GET", "PUT", "PATCH"])
def people_settings(request: Request) -> Response:
    """The company's people settings: required vetting and training per role, validity."""
    user = request.user
    if getattr(user, "organisation_id", None) is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    if request.method != "GET":
        if not isinstance(request.data, dict):
            raise InvalidInput("send an object", field="non_field_errors")
        values = {k: request.data[k] for k in SETTINGS_FIELDS if k in request.data}
        services.save_settings(actor=user, **values)
    elif not has_capability(user, "read"):
        raise NotAllowed("your role cannot read the people settings")
    current = services.settings_for(user.organisation_id)
    values = {k: getattr(current, k) for k in SETTINGS_FIELDS}
    for name in ("magazine_opens", "magazine_closes"):
        value = values[name]
        values[name] = value.strftime("%H:%M") if hasattr(value, "strftime") else str(value)[:5]
    return Response(values)


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("people", PersonViewSet)
    router.register("vetting-records", VettingRecordViewSet)
    router.register("licences", LicenceViewSet)
    router.register("training-records", TrainingRecordViewSet)
    router.register("person-assignments", AssignmentViewSet)
    router.register("access-events", AccessEventViewSet)
    router.register("access-anomalies", AccessAnomalyViewSet)
    router.register("access-credentials", CredentialViewSet)
    router.register("visitors", VisitorViewSet)
    router.register("trip-passengers", TripPassengerViewSet)


api_urls = [path("people-settings/", people_settings, name="api-people-settings")]
