from django.contrib.auth import views as auth_views
from django.urls import path

from minewatch.core.auth import LoginForm
from minewatch.web import audit, basemap, console, views

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.map_page, name="map"),
    path("map/regions.geojson", views.map_regions, name="map-regions"),
    path("map/layers.json", views.map_layers, name="map-layers"),
    path("map/basemap.json", basemap.basemap_descriptor, name="map-basemap"),
    path("map/basemap.pmtiles", basemap.basemap_pmtiles, name="map-basemap-pmtiles"),
    path("map/basemap/<slug:name>.geojson", basemap.basemap_layer, name="map-basemap-layer"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("console/", views.console, name="console"),
    path("console/queue.json", console.queue_json, name="console-queue"),
    path("console/handover/", console.handover, name="console-handover"),
    path("convoys/", views.convoys, name="convoys"),
    path("audit/", audit.audit_log, name="audit-log"),
    path("convoys/<int:trip_id>/", views.trip_detail, name="trip-detail"),
    path("accounts/login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]

# Setup pages (users, sites, alerting) and the community liaison's home: web/setup.py.
from minewatch.web import setup  # noqa: E402

urlpatterns += [
    path("setup/", setup.index, name="setup"),
    path("setup/users/", setup.users, name="setup-users"),
    path("setup/assignments/", setup.assignments, name="setup-assignments"),
    path("setup/channels/<int:pk>/test/", setup.channel_test, name="setup-channel-test"),
    path("setup/<slug:slug>/", setup.resource_list, name="setup-list"),
    path("setup/<slug:slug>/new/", setup.resource_edit, name="setup-new"),
    path("setup/<slug:slug>/<int:pk>/", setup.resource_edit, name="setup-edit"),
    path("community/", setup.liaison_home, name="liaison-home"),
    path("contrast/", setup.set_contrast, name="set-contrast"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url="/accounts/login/"),
        name="password_reset_confirm",
    ),
]
