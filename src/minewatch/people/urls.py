from django.urls import path

from minewatch.people import settings_views, transport_views, views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/records/<slug:kind>/", views.person_record, name="record"),
    path(
        "<int:pk>/credentials/<int:credential_pk>/revoke/",
        views.credential_revoke,
        name="credential-revoke",
    ),
    path("gate/", views.gate, name="gate"),
    path("settings/", settings_views.people_settings, name="settings"),
    path("<int:pk>/photo/", views.photo, name="photo"),
    path("transport/", transport_views.transport_list, name="transport"),
    path("transport/plates/", transport_views.plates, name="plates"),
    path(
        "transport/plates/<int:credential_pk>/revoke/",
        transport_views.plate_revoke,
        name="plate-revoke",
    ),
    path("transport/<int:trip_id>/", transport_views.manifest, name="manifest"),
    path(
        "transport/<int:trip_id>/passengers/", transport_views.passenger_add, name="passenger-add"
    ),
    path(
        "transport/<int:trip_id>/passengers/<int:line_pk>/check/",
        transport_views.passenger_check,
        name="passenger-check",
    ),
    path(
        "transport/<int:trip_id>/passengers/<int:line_pk>/remove/",
        transport_views.passenger_remove,
        name="passenger-remove",
    ),
]
