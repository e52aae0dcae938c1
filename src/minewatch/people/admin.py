from django.contrib import admin

from minewatch.people.models import (
    AccessAnomaly,
    AccessEvent,
    Assignment,
    Licence,
    PeopleSettings,
    Person,
    TrainingRecord,
    VettingRecord,
)


class RecordInline(admin.TabularInline):
    extra = 0


class VettingInline(RecordInline):
    model = VettingRecord


class LicenceInline(RecordInline):
    model = Licence


class TrainingInline(RecordInline):
    model = TrainingRecord


class AssignmentInline(RecordInline):
    model = Assignment


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "employer", "role", "status", "is_synthetic")
    list_filter = ("role", "status", "is_synthetic")
    search_fields = ("name", "=document_number", "badge_number")
    inlines = [VettingInline, LicenceInline, TrainingInline, AssignmentInline]


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "access_point", "direction", "credential", "result", "person")
    list_filter = ("direction", "result")


admin.site.register(PeopleSettings)
admin.site.register(AccessAnomaly)
