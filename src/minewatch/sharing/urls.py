from django.urls import path

from minewatch.sharing import views

app_name = "sharing"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("settings/", views.settings_page, name="settings"),
    path("groups/new/", views.group_create, name="group-create"),
    path("groups/<int:pk>/", views.group_detail, name="group-detail"),
    path("agreements/new/", views.agreement_create, name="agreement-create"),
    path("agreements/<int:pk>/toggle/", views.agreement_toggle, name="agreement-toggle"),
    path("shared/", views.shared_list, name="shared-list"),
    path("map/", views.shared_map, name="map"),
    path("external/", views.external_list, name="external-list"),
    path("export/<str:kind>/", views.export_download, name="export"),
    path("import/stix/", views.stix_import, name="stix-import"),
    path("import/acled/", views.acled_import, name="acled-import"),
]
