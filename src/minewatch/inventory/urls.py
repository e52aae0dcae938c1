from django.urls import path

from minewatch.inventory import views

app_name = "inventory"
urlpatterns = [
    path("", views.reconciliation, name="reconciliation"),
    path("lots/", views.lot_list, name="lot-list"),
    path("lots/<int:pk>/", views.lot_detail, name="lot-detail"),
    path("magazines/", views.magazine_list, name="magazine-list"),
    path("magazines/<int:pk>/", views.magazine_report, name="magazine-report"),
]
