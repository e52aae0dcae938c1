from django.urls import path

from minewatch.evidence import views

app_name = "evidence"
urlpatterns = [
    path("incident/<int:incident_pk>/upload/", views.evidence_upload, name="upload"),
    path("incident/<int:incident_pk>/dossier/", views.incident_dossier, name="dossier"),
    path("<int:pk>/", views.evidence_detail, name="detail"),
    path("<int:pk>/download/", views.evidence_download, name="download"),
    path("<int:pk>/<slug:verb>/", views.evidence_action, name="action"),
]
