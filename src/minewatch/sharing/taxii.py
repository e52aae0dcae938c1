"""A read-only TAXII 2.1 server (OASIS TAXII 2.1, §4–5): discovery, API root, collections,
objects (``added_after``, ``match[type]``, ``match[id]``, ``limit``/``next``), one object,
and the manifest.

Each collection is a sharing agreement the user's organisation publishes or receives
(``queries.agreements_readable_by``: tenancy decides). Authentication is the API's own
(the DRF authentication classes in settings: tokens, sessions), so a partner's client
sends ``Authorization: Token …``. Every answer, errors included, is
``application/taxii+json;version=2.1``; a client that accepts neither that nor ``*/*``
gets 406. The TAXII API is not in the OpenAPI schema (its envelope is TAXII's).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.urls import path, reverse
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.sharing import queries
from minewatch.sharing.engine import taxii
from minewatch.sharing.models import SharingAgreement

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
API_ROOT = "minewatch"


def taxii_response(body: dict[str, Any], status: int = 200,
                   headers: dict[str, str] | None = None) -> HttpResponse:  # fmt: skip
    response = HttpResponse(json.dumps(body), status=status, content_type=TAXII_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _accepts_taxii(accept: str) -> bool:
    if not accept:
        return True
    for part in accept.split(","):
        tokens = [token.strip() for token in part.split(";")]
        media, params = tokens[0], tokens[1:]
        if media in ("*/*", "application/*"):
            return True
        if media == "application/taxii+json" and all(
            not p.startswith("version=") or p == "version=2.1" for p in params
        ):
            return True
    return False


class TaxiiView(APIView):
    """Base: the API's authentication, any signed-in role that may read, TAXII errors."""

    permission_classes = [IsAuthenticated]
    schema = None

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return JSONRenderer(), "application/json"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not has_capability(request.user, "read"):
            raise exceptions.PermissionDenied("your account cannot read")
        if not _accepts_taxii(request.headers.get("Accept", "")):
            raise exceptions.NotAcceptable(f"this server answers only {TAXII_MEDIA_TYPE}")

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, MineWatchError):
            status, title, detail = exc.status_code, "Bad request", f"{exc.field}: {exc.message}"
        elif isinstance(exc, exceptions.APIException):
            status, title, detail = (
                exc.status_code,
                exc.default_code.replace("_", " "),
                str(exc.detail),
            )
        else:
            raise exc
        response = taxii_response({"title": title, "description": detail,
                                   "http_status": str(status)}, status=status)  # fmt: skip
        if status == 401:
            response["WWW-Authenticate"] = "Token"
        return response

    def collection(self, request: Request, collection_id: str) -> SharingAgreement:
        agreement = (
            queries.agreements_readable_by(request.user)
            .filter(collection_id=_uuid(collection_id))
            .first()
        )
        if agreement is None:
            raise exceptions.NotFound(f"no collection {collection_id}")
        return agreement


def _uuid(text: str) -> str | None:
    import uuid

    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise exceptions.NotFound(f"no collection {text}") from None


class DiscoveryView(TaxiiView):
    def get(self, request: Request) -> HttpResponse:
        root = request.build_absolute_uri(reverse("taxii-api-root"))
        return taxii_response({
            "title": "MineWatch TAXII 2.1", "description": "Shared security intelligence of "
            "the organisations that publish to you under a sharing agreement.",
            "default": root, "api_roots": [root],
        })  # fmt: skip


class ApiRootView(TaxiiView):
    def get(self, request: Request) -> HttpResponse:
        return taxii_response({
            "title": "MineWatch", "description": "Read-only collections, one per sharing agreement.",
            "versions": [TAXII_MEDIA_TYPE], "max_content_length": 0,
        })  # fmt: skip


def _collection_resource(agreement: SharingAgreement) -> dict[str, Any]:
    return {
        "id": str(agreement.collection_id), "title": agreement.name,
        "description": f"{agreement.organisation.name}: {agreement.description}".strip(": "),
        "can_read": True, "can_write": False, "media_types": [STIX_MEDIA_TYPE],
    }  # fmt: skip


class CollectionsView(TaxiiView):
    def get(self, request: Request) -> HttpResponse:
        rows = queries.agreements_readable_by(request.user).select_related("organisation")
        return taxii_response({"collections": [_collection_resource(a) for a in rows]})


class CollectionView(TaxiiView):
    def get(self, request: Request, collection_id: str) -> HttpResponse:
        return taxii_response(_collection_resource(self.collection(request, collection_id)))


def _filters(request: Request) -> dict[str, Any]:
    params = request.query_params
    try:
        added_after = (taxii.parse_timestamp(params["added_after"], "added_after")
                       if params.get("added_after") else None)  # fmt: skip
        raw_limit = params.get("limit") or "100"
        limit = int(raw_limit) if raw_limit.isdigit() else -1
        if limit == 0:
            limit = 100  # taxii2-client asks limit=0 for "the server's default"
        if not 1 <= limit <= taxii.MAX_PAGE:
            raise ValueError(f"limit: {raw_limit!r} is not a whole number 1..{taxii.MAX_PAGE}")
    except ValueError as exc:
        raise exceptions.ValidationError(str(exc)) from None
    split = lambda name: {v.strip() for v in params.get(name, "").split(",") if v.strip()}  # noqa: E731
    return {"added_after": added_after, "types": split("match[type]") or None,
            "ids": split("match[id]") or None, "limit": limit,
            "after": params.get("next") or None}  # fmt: skip


def _page(request: Request, agreement: SharingAgreement, **extra: Any) -> taxii.Page:
    options = _filters(request) | extra
    try:
        return taxii.page(queries.collection_entries(agreement), **options)
    except ValueError as exc:
        raise exceptions.ValidationError(str(exc)) from None


def _envelope(
    result: taxii.Page, items: list[dict[str, Any]], key: str = "objects"
) -> HttpResponse:
    body: dict[str, Any] = {"more": result.more}
    if result.next:
        body["next"] = result.next
    if items:
        body[key] = items
    headers = {}
    if result.entries:
        headers = {
            "X-TAXII-Date-Added-First": taxii.taxii_timestamp(result.entries[0].date_added),
            "X-TAXII-Date-Added-Last": taxii.taxii_timestamp(result.entries[-1].date_added),
        }
    return taxii_response(body, headers=headers)


class ObjectsView(TaxiiView):
    def get(self, request: Request, collection_id: str) -> HttpResponse:
        result = _page(request, self.collection(request, collection_id))
        return _envelope(result, [entry.stix for entry in result.entries])


class ObjectView(TaxiiView):
    def get(self, request: Request, collection_id: str, object_id: str) -> HttpResponse:
        result = _page(request, self.collection(request, collection_id), ids={object_id})
        if not result.entries:
            raise exceptions.NotFound(f"no object {object_id} in this collection")
        return _envelope(result, [entry.stix for entry in result.entries])


class ManifestView(TaxiiView):
    def get(self, request: Request, collection_id: str) -> HttpResponse:
        result = _page(request, self.collection(request, collection_id))
        items = [{
            "id": entry.id, "date_added": taxii.taxii_timestamp(entry.date_added),
            "version": entry.stix.get("modified") or entry.stix.get("created", ""),
            "media_type": STIX_MEDIA_TYPE,
        } for entry in result.entries]  # fmt: skip
        return _envelope(result, items)


urlpatterns = [
    path("taxii2/", DiscoveryView.as_view(), name="taxii-discovery"),
    path(f"taxii2/{API_ROOT}/", ApiRootView.as_view(), name="taxii-api-root"),
    path(f"taxii2/{API_ROOT}/collections/", CollectionsView.as_view(), name="taxii-collections"),
    path(f"taxii2/{API_ROOT}/collections/<str:collection_id>/", CollectionView.as_view(),
         name="taxii-collection"),
    path(f"taxii2/{API_ROOT}/collections/<str:collection_id>/objects/", ObjectsView.as_view(),
         name="taxii-objects"),
    path(f"taxii2/{API_ROOT}/collections/<str:collection_id>/objects/<str:object_id>/",
         ObjectView.as_view(), name="taxii-object"),
    path(f"taxii2/{API_ROOT}/collections/<str:collection_id>/manifest/", ManifestView.as_view(),
         name="taxii-manifest"),
]  # fmt: skip
