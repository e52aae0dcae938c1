from django.urls import path

from minewatch.alerts import views

app_name = "alerts"
urlpatterns = [
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("checklist-items/<int:pk>/", views.checklist_item, name="checklist-item"),
    path("incidents/<int:incident_pk>/checklist/", views.start_checklist, name="start-checklist"),
]
