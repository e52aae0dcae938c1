"""DRF plumbing named in settings (pagination, error rendering).

Kept apart from ``core.api`` because DRF imports these while it builds its
generic views; importing viewsets from here would be circular.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from minewatch.core.errors import MineWatchError


class ObjectJSONParser(JSONParser):
    """JSON bodies must be objects: every MineWatch endpoint reads named fields.

    A view that does ``request.data.get(...)`` or ``{**request.data}`` would
    otherwise meet a string or a list (``"AAA"``, ``[null, null]``) and fail
    with a 500; here the request is refused once, for every endpoint.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_("The body must be a JSON object ({...}) of named fields."))
        return data


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render domain and model validation errors as ``{field: [message]}`` JSON, each message
    in the request's language (Accept-Language; Spanish by default) as the web pages show it."""
    if isinstance(exc, MineWatchError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"non_field_errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)
