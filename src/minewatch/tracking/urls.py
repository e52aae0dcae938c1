"""Mounted at ``/ingest/`` (``TrackingConfig.web_prefix``)."""

from django.urls import path

from minewatch.tracking import views

urlpatterns = [
    path("osmand/", views.osmand, name="ingest-osmand"),
    path("osmand/<str:secret>/", views.osmand, name="ingest-osmand-secret"),
    path("osmand/<str:secret>", views.osmand),  # trackers do not follow a redirect
    path("traccar/", views.traccar, name="ingest-traccar"),
]
