"""The people settings page ("Ajustes de personal"): a manager changes them through
``services.save_settings``; a refused value is shown next to its input; other roles only read."""

import datetime as dt

import pytest
from django.test import Client

from minewatch.core.models import AuditEntry
from minewatch.people import services
from minewatch.people.models import PeopleSettings


def signed_in(user, language="es"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def form_of(current, **changes):
    """What the page posts for ``current`` (as the browser sends it), with ``changes``."""
    data = {
        "required_vetting": [f"{r}:{k}" for r, kinds in current.required_vetting.items()
                             for k in kinds],
        "required_training": [f"{r}:{k}" for r, kinds in current.required_training.items()
                              for k in kinds],
        "expiry_alert_days": ", ".join(str(d) for d in current.expiry_alert_days),
        "local_hire_action": current.local_hire_action,
        "magazine_opens": current.magazine_opens.strftime("%H:%M"),
        "magazine_closes": current.magazine_closes.strftime("%H:%M"),
    }  # fmt: skip
    for name in ("warn_days", "local_hire_km", "denial_limit", "denial_window_min",
                 *services.RETENTION_SETTINGS):  # fmt: skip
        data[name] = str(getattr(current, name))
    for kind, days in current.validity_days.items():
        data[f"validity_days-{kind}"] = str(days)
    data.update(changes)
    return data


def test_page_in_spanish_with_the_grid_and_linked_from_people_and_setup(world):
    client = signed_in(world.users["security_manager"])
    page = client.get("/people/settings/").content.decode()
    assert "Ajustes de personal" in page and "Antecedentes policiales" in page
    assert (
        'name="required_vetting" value="guard:polygraph" aria-label="Vigilante: Polígrafo" checked'
        in page
    )
    assert (
        'name="required_vetting" value="staff:polygraph" aria-label="Personal propio: Polígrafo">'
        in page
    )
    assert "Guardar" in page and 'id="read-only"' not in page
    assert 'href="/people/settings/"' in client.get("/people/").content.decode()
    assert 'href="/people/settings/"' in client.get("/setup/").content.decode()


def test_manager_saves_and_the_values_persist_with_an_audit_entry(world):
    manager = world.users["security_manager"]
    current = services.settings_for(manager.organisation_id)
    site = world.sites["a1"]
    data = form_of(
        current, warn_days="45", expiry_alert_days="60, 7, 0", local_hire_action="refuse",
        local_hire_km="80", denial_limit="5", denial_window_min="15", magazine_opens="07:30",
        magazine_closes="17:00", retention_access_events_days="365", retention_leavers_days="0",
        **{"validity_days-polygraph": "180", "validity_days-drug_test": "",
           f"site_districts-{site.pk}": "130801"},
    )  # fmt: skip
    data["required_vetting"] = [*data["required_vetting"], "staff:polygraph"]
    data["required_training"] = ["guard:human_rights"]
    client = signed_in(manager)
    response = client.post("/people/settings/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = PeopleSettings.objects.get(organisation_id=manager.organisation_id)
    assert saved.warn_days == 45 and saved.expiry_alert_days == [60, 7, 0]
    assert saved.local_hire_action == "refuse" and saved.local_hire_km == 80
    assert (saved.denial_limit, saved.denial_window_min) == (5, 15)
    assert (saved.magazine_opens, saved.magazine_closes) == (dt.time(7, 30), dt.time(17))
    assert saved.retention_access_events_days == 365 and saved.retention_leavers_days == 0
    assert saved.validity_days["polygraph"] == 180 and "drug_test" not in saved.validity_days
    assert saved.site_districts == {str(site.pk): "130801"}
    assert "polygraph" in saved.required_vetting["staff"]
    assert saved.required_training == {"guard": ["human_rights"], "supervisor": [],
                                       "driver": [], "escort": [], "staff": []}  # fmt: skip
    entry = AuditEntry.objects.filter(object_type="people.peoplesettings", object_id=str(saved.pk),
                                      actor=manager).first()  # fmt: skip
    assert entry is not None and entry.organisation_id == manager.organisation_id
    assert entry.after["warn_days"] == 45
    page = client.get("/people/settings/").content.decode()
    assert 'value="60, 7, 0"' in page and "Ajustes de personal guardados." in page


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"warn_days": "-3"}, "warn_days", "entre 0 y 365 días"),
        ({"retention_visitors_days": "-1"}, "retention_visitors_days", "un número entero entre 0"),
        ({"denial_window_min": "abc"}, "denial_window_min", "Ingrese un número entero."),
        ({"expiry_alert_days": "30, 400"}, "expiry_alert_days",
         "400 no es un número entero de días entre 0 y 365."),
        ({"validity_days-polygraph": "-10"}, "validity_days", "la vigencia debe ser"),
        ({"magazine_opens": "25:99"}, "magazine_opens", "no es una hora"),
    ],
)  # fmt: skip
def test_a_bad_value_is_shown_beside_its_field_and_nothing_changes(world, change, field, message):
    manager = world.users["security_manager"]
    services.save_settings(actor=manager, warn_days=20)
    stored = PeopleSettings.objects.get(organisation_id=manager.organisation_id)
    before = {f.name: getattr(stored, f.name) for f in PeopleSettings._meta.fields}
    audits = AuditEntry.objects.count()
    data = form_of(stored, local_hire_km="99", **change)
    response = signed_in(manager).post("/people/settings/", data)
    assert response.status_code == 400
    page = response.content.decode()
    start = page.index(f'id="field-{field}"' if field != "validity_days" else 'id="validity_days"')
    assert message in page[start : start + 2500], page[start : start + 2500]
    stored.refresh_from_db()
    assert {f.name: getattr(stored, f.name) for f in PeopleSettings._meta.fields} == before
    assert AuditEntry.objects.count() == audits


def test_a_bad_district_is_shown_beside_the_districts_other_sites_ignored(world):
    manager = world.users["security_manager"]
    other = world.sites["b1"]
    data = form_of(services.settings_for(manager.organisation_id))
    # A crafted post naming another company's site: the page lists only its own, so it is
    # ignored; the service's own refusal is tested through a bad UBIGEO of an own site.
    data[f"site_districts-{other.pk}"] = "130801"
    data[f"site_districts-{world.sites['a1'].pk}"] = "13"
    page = signed_in(manager).post("/people/settings/", data).content.decode()
    start = page.index('id="site_districts"')
    assert "un UBIGEO tiene 6 dígitos" in page[start : start + 3000]
    assert not PeopleSettings.objects.filter(organisation_id=manager.organisation_id).exists()


@pytest.mark.parametrize("role", ["guard", "operator", "analyst"])
def test_other_roles_read_but_cannot_change(world, role):
    user = world.users[role]
    client = signed_in(user)
    page = client.get("/people/settings/")
    assert page.status_code == 200
    text = page.content.decode()
    assert (
        'id="read-only"' in text
        and '<fieldset class="settings-form" disabled>' in text
        and "Guardar" not in text
    )
    current = services.settings_for(user.organisation_id)
    response = client.post("/people/settings/", form_of(current, warn_days="99"))
    assert response.status_code == 403
    assert client.post("/people/settings/", {"warn_days": "x"}).status_code == 403
    assert not PeopleSettings.objects.filter(organisation_id=user.organisation_id).exists()


def test_another_companys_settings_are_untouched(world):
    manager, other = world.users["security_manager"], world.users["b-manager"]
    services.save_settings(actor=other, warn_days=11, denial_limit=7)
    theirs = PeopleSettings.objects.get(organisation_id=other.organisation_id)
    data = form_of(services.settings_for(manager.organisation_id), warn_days="50",
                   denial_limit="2")  # fmt: skip
    assert signed_in(manager).post("/people/settings/", data).status_code == 302
    theirs.refresh_from_db()
    assert (theirs.warn_days, theirs.denial_limit) == (11, 7)
    assert PeopleSettings.objects.get(organisation_id=manager.organisation_id).warn_days == 50
    page = signed_in(other).get("/people/settings/").content.decode()
    assert 'name="warn_days" id="id_warn_days" value="11"' in page
    assert "Pataz" not in page  # the other company's sites are not listed


def test_a_site_the_page_does_not_list_keeps_its_district(world):
    from minewatch.geo import services as geo_services

    manager = world.users["security_manager"]
    closed = geo_services.save_site(
        actor=manager, organisation=manager.organisation, name="Mina cerrada", kind="mine",
        lat=-7.7, lon=-77.5, is_active=False,
    )  # fmt: skip
    a1 = world.sites["a1"]
    services.save_settings(actor=manager, site_districts={str(closed.pk): "130801",
                                                          str(a1.pk): "130802"})  # fmt: skip
    current = services.settings_for(manager.organisation_id)
    page = signed_in(manager).get("/people/settings/").content.decode()
    assert f'name="site_districts-{a1.pk}"' in page
    assert f'name="site_districts-{closed.pk}"' not in page
    data = form_of(current, **{f"site_districts-{a1.pk}": ""})  # emptied: removed
    assert signed_in(manager).post("/people/settings/", data).status_code == 302
    current.refresh_from_db()
    assert current.site_districts == {str(closed.pk): "130801"}
