"""Load Peru's regions from the bundled boundaries (geo/data/peru_admin1.geojson)."""

from django.db import migrations


def load(apps, schema_editor):  # noqa: ANN001, ANN201
    from minewatch.geo.engine.geometry import to_geojson
    from minewatch.geo.engine.regions import peru_regions

    region_model = apps.get_model("geo", "Region")
    for region in peru_regions().regions:
        min_lon, min_lat, max_lon, max_lat = region.geometry.bounds
        region_model.objects.update_or_create(
            code=region.code,
            defaults={
                "ubigeo": region.ubigeo,
                "name": region.name,
                "geometry": to_geojson(region.geometry, precision=4),
                "min_lon": min_lon,
                "min_lat": min_lat,
                "max_lon": max_lon,
                "max_lat": max_lat,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
