"""Pages of the accountability app: the public grievance pages and the staff screens.

Mounted at the site root (``AccountabilityConfig.web_prefix`` is empty) so that the
public form lives at the short, printable address /reclamos/.
"""

from django.urls import path

from minewatch.accountability import public_views, registry_views, views

app_name = "accountability"
urlpatterns = [
    path("reclamos/", public_views.grievance_intake, name="public-intake"),
    path("reclamos/estado/", public_views.grievance_status, name="public-status"),
    path("accountability/grievances/", views.grievance_list, name="grievance-list"),
    path("accountability/grievances/new/", views.grievance_create, name="grievance-create"),
    path("accountability/grievances/<int:pk>/", views.grievance_detail, name="grievance-detail"),
    path(
        "accountability/grievances/<int:pk>/photo/", views.grievance_photo, name="grievance-photo"
    ),  # fmt: skip
    path(
        "accountability/grievances/<int:pk>/<slug:action>/",
        views.grievance_action,
        name="grievance-action",
    ),  # fmt: skip
    path("accountability/use-of-force/", views.force_list, name="force-list"),
    path("accountability/use-of-force/new/", views.force_create, name="force-create"),
    path("accountability/use-of-force/<int:pk>/", views.force_detail, name="force-detail"),
    path("accountability/use-of-force/<int:pk>/review/", views.force_review, name="force-review"),
    path("accountability/use-of-force/<int:pk>/amend/", views.force_amend, name="force-amend"),
    path("accountability/contractors/", registry_views.contractor_list, name="contractor-list"),
    path(
        "accountability/contractors/new/",
        registry_views.contractor_create,
        name="contractor-create",
    ),
    path(
        "accountability/contractors/<int:pk>/",
        registry_views.contractor_detail,
        name="contractor-detail",
    ),
    path(
        "accountability/contractors/<int:pk>/assign/",
        registry_views.contractor_assign,
        name="contractor-assign",
    ),
    path("accountability/agreements/", registry_views.agreement_list, name="agreement-list"),
    path(
        "accountability/agreements/new/", registry_views.agreement_create, name="agreement-create"
    ),
    path(
        "accountability/agreements/<int:pk>/",
        registry_views.agreement_detail,
        name="agreement-detail",
    ),
    path(
        "accountability/agreements/<int:pk>/support/",
        registry_views.agreement_support,
        name="agreement-support",
    ),
]
