from django.urls import path

from minewatch.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    *[
        path(f"{kind}.{fmt}", views.document, {"kind": kind, "fmt": fmt}, name=f"{kind}-{fmt}")
        for kind in views.KINDS
        for fmt in ("html", "pdf")
    ],
]
