"""Mounted at ``/ingest/`` (``TrackingConfig.web_prefix``)."""

from django.urls import path

from minewatch.tracking import views

urlpatterns = [
    path("osmand/", views.osmand, name="ingest-osmand"),
    path("traccar/", views.traccar, name="ingest-traccar"),
]
