from django.urls import path

from minewatch.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.heatmap, name="heatmap"),
    path("sites/<int:pk>/", views.site_detail, name="site-detail"),
    path("bands/", views.bands, name="bands"),
]
