"""Pages of the web app that belong to no single capability."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page after login: the incident register until the operations map exists."""
    return redirect("incidents:list")
