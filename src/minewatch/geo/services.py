"""Every write of the geo app: sites, zones, routes and contractor assignments.

Geometry arrives as GeoJSON and is validated with shapely (engine/geometry.py);
the region of a point is computed from the bundled boundaries, never typed in.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from minewatch.core import audit
from minewatch.core.choices import AuditAction, OrganisationKind
from minewatch.core.errors import InvalidInput
from minewatch.core.events import Event, publish
from minewatch.core.models import Organisation
from minewatch.geo.choices import SiteKind, ZoneKind, ZoneShape
from minewatch.geo.engine import geometry as geom
from minewatch.geo.engine.regions import peru_regions
from minewatch.geo.models import Region, Route, Site, SiteAssignment, Zone


def validated_point(
    lat: Any, lon: Any, *, country: str = "PE", prefix: str = ""
) -> tuple[float, float]:
    """Return (lat, lon) as floats or raise InvalidInput naming ``lat``/``lon``."""
    values = {}
    for name, value in (("lat", lat), ("lon", lon)):
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(
                _("%(value)r is not a number") % {"value": value}, field=prefix + name
            ) from None
    if not -90 <= values["lat"] <= 90:
        raise InvalidInput(_("latitude must be between -90 and 90"), field=prefix + "lat")
    if not -180 <= values["lon"] <= 180:
        raise InvalidInput(_("longitude must be between -180 and 180"), field=prefix + "lon")
    if country == "PE" and not geom.is_in_peru_bbox(values["lat"], values["lon"]):
        raise InvalidInput(
            _("point (%(lat)s, %(lon)s) is outside Peru's bounding box")
            % {"lat": values["lat"], "lon": values["lon"]},
            field=prefix + "lat",
        )
    return values["lat"], values["lon"]


def region_for(lat: float, lon: float) -> Region | None:
    """The Region row containing the point, from the bundled boundaries."""
    found = peru_regions().locate(lat, lon)
    return Region.objects.filter(code=found.code).first() if found else None


def _parsed(geojson: Any, kind: str, field: str) -> Any:
    try:
        return geom.parse_geometry(geojson, kind)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def _set_bounds(instance: Any, shape: Any) -> None:
    instance.geometry = geom.to_geojson(shape)
    instance.min_lon, instance.min_lat, instance.max_lon, instance.max_lat = shape.bounds


def _check_in_peru(shape: Any, field: str) -> None:
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    for lat, lon in ((min_lat, min_lon), (max_lat, max_lon)):
        if not geom.is_in_peru_bbox(lat, lon):
            raise InvalidInput(_("geometry extends outside Peru's bounding box"), field=field)


def _save_audited(
    instance: Any, *, actor: Any, before: dict[str, Any] | None, note: str = ""
) -> None:
    instance.full_clean()
    instance.save()
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=instance,
        before=before,
        after=audit.snapshot(instance),
        note=note,
    )
    name = f"{instance._meta.model_name}.{'updated' if before else 'created'}"
    publish(Event(name, instance.organisation_id, {"id": instance.pk}))


@transaction.atomic
def save_site(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    kind: str,
    lat: Any,
    lon: Any,
    site: Site | None = None,
    geometry: dict[str, Any] | None = None,
    country: str = "PE",
    **fields: Any,
) -> Site:
    """Create a site, or update ``site``; point and optional polygon validated, region computed."""
    if kind not in SiteKind.values:
        raise InvalidInput(_("unknown site kind %(kind)r") % {"kind": kind}, field="kind")
    if organisation.kind == OrganisationKind.SECURITY_CONTRACTOR:
        raise InvalidInput(_("sites belong to the company that owns them"), field="organisation")
    lat_f, lon_f = validated_point(lat, lon, country=country)
    before = audit.snapshot(site) if site else None
    site = site or Site(organisation=organisation)
    site.name, site.kind, site.lat, site.lon, site.country = name, kind, lat_f, lon_f, country
    for key, value in fields.items():
        setattr(site, key, value)
    if geometry:
        shape = _parsed(geometry, "area", "geometry")
        if country == "PE":
            _check_in_peru(shape, "geometry")
        _set_bounds(site, shape)
    else:
        site.geometry = None
        site.min_lon = site.max_lon = lon_f
        site.min_lat = site.max_lat = lat_f
    site.region = region_for(lat_f, lon_f) if country == "PE" else None
    _save_audited(site, actor=actor, before=before)
    return site


@transaction.atomic
def save_zone(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    kind: str,
    zone: Zone | None = None,
    site: Site | None = None,
    route: Route | None = None,
    geometry: dict[str, Any] | None = None,
    center_lat: Any = None,
    center_lon: Any = None,
    radius_m: Any = None,
    **fields: Any,
) -> Zone:
    """Create or update a zone given as a GeoJSON polygon or a circle (centre + radius in metres)."""
    if kind not in ZoneKind.values:
        raise InvalidInput(_("unknown zone kind %(kind)r") % {"kind": kind}, field="kind")
    for related, label in ((site, "site"), (route, "route")):
        if related is not None and related.organisation_id != organisation.pk:
            raise InvalidInput(_("this record belongs to another organisation"), field=label)
    before = audit.snapshot(zone) if zone else None
    zone = zone or Zone(organisation=organisation)
    zone.name, zone.kind, zone.site, zone.route = name, kind, site, route
    for key, value in fields.items():
        setattr(zone, key, value)
    if geometry is not None:
        shape = _parsed(geometry, "area", "geometry")
        zone.shape, zone.center_lat, zone.center_lon, zone.radius_m = (
            ZoneShape.POLYGON,
            None,
            None,
            None,
        )
    elif radius_m is not None:
        lat_f, lon_f = validated_point(center_lat, center_lon, prefix="center_")
        try:
            radius = float(radius_m)
        except (TypeError, ValueError):
            raise InvalidInput(
                _("%(value)r is not a number") % {"value": radius_m}, field="radius_m"
            ) from None
        if not 0 < radius <= 200_000:
            raise InvalidInput(_("radius must be between 0 and 200,000 m"), field="radius_m")
        shape = geom.circle_polygon(lat_f, lon_f, radius)
        zone.shape, zone.center_lat, zone.center_lon, zone.radius_m = (
            ZoneShape.CIRCLE,
            lat_f,
            lon_f,
            radius,
        )
    else:
        raise InvalidInput(
            _("give a polygon geometry or a circle (center and radius_m)"), field="geometry"
        )
    _check_in_peru(shape, "geometry")
    _set_bounds(zone, shape)
    _save_audited(zone, actor=actor, before=before)
    return zone


@transaction.atomic
def save_route(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    geometry: dict[str, Any],
    buffer_m: Any = 500.0,
    route: Route | None = None,
    origin: Site | None = None,
    destination: Site | None = None,
    **fields: Any,
) -> Route:
    """Create or update a transport corridor: a line with a buffer in metres."""
    shape = _parsed(geometry, "line", "geometry")
    _check_in_peru(shape, "geometry")
    try:
        buffer = float(buffer_m)
    except (TypeError, ValueError):
        raise InvalidInput(
            _("%(value)r is not a number") % {"value": buffer_m}, field="buffer_m"
        ) from None
    if not 1 <= buffer <= 50_000:
        raise InvalidInput(_("buffer must be between 1 and 50,000 m"), field="buffer_m")
    for related, label in ((origin, "origin"), (destination, "destination")):
        if related is not None and related.organisation_id != organisation.pk:
            raise InvalidInput(_("this site belongs to another organisation"), field=label)
    before = audit.snapshot(route) if route else None
    route = route or Route(organisation=organisation)
    route.name, route.buffer_m, route.origin, route.destination = name, buffer, origin, destination
    for key, value in fields.items():
        setattr(route, key, value)
    _set_bounds(route, shape)
    route.length_m = geom.length_m(shape)
    _save_audited(route, actor=actor, before=before)
    return route


@transaction.atomic
def assign_contractor(
    *, actor: Any, site: Site, contractor: Organisation, service: str = "", **fields: Any
) -> SiteAssignment:
    """Give a security contractor access to a site's records."""
    if contractor.kind != OrganisationKind.SECURITY_CONTRACTOR:
        raise InvalidInput(
            "only a security contractor can be assigned to a site", field="contractor"
        )
    assignment, created = SiteAssignment.objects.get_or_create(
        site=site, contractor=contractor, defaults={"service": service, **fields}
    )
    if not created:
        raise InvalidInput("this contractor is already assigned to the site", field="contractor")
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=assignment,
        after=audit.snapshot(assignment),
        organisation_id=site.organisation_id,
    )
    return assignment
