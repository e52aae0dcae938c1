from django.urls import path

from minewatch.alarms import views

app_name = "alarms"
urlpatterns = [path("scan/", views.scan, name="scan")]
