from django.urls import path

from minewatch.intel import views

app_name = "intel"
urlpatterns = [
    path("", views.report_list, name="report-list"),
    path("reports/new/", views.report_create, name="report-create"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("actors/", views.actor_list, name="actor-list"),
    path("actors/<int:pk>/", views.actor_detail, name="actor-detail"),
    path("warnings/", views.warning_list, name="warning-list"),
    path("warnings/settings/", views.warning_settings, name="warning-settings"),
    path("warnings/triage/", views.warning_triage, name="warning-triage"),
]
