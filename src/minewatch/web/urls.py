from django.contrib.auth import views as auth_views
from django.urls import path

from minewatch.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.map_page, name="map"),
    path("map/regions.geojson", views.map_regions, name="map-regions"),
    path("map/layers.json", views.map_layers, name="map-layers"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("console/", views.console, name="console"),
    path("convoys/", views.convoys, name="convoys"),
    path("convoys/<int:trip_id>/", views.trip_detail, name="trip-detail"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
