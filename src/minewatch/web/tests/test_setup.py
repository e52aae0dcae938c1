"""Setup pages: users, sites/zones/routes, alerting configuration, channel tests, the liaison home."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minewatch.alerts.models import AlertRule, EscalationPolicy, NotificationChannel
from minewatch.alerts.tests import conftest as alerts_fixtures
from minewatch.core.models import AuditEntry, User
from minewatch.testing.world import PASSWORD

pytestmark = pytest.mark.django_db

# The real SMTP server and HTTP receiver of the alerts tests.
smtp_server = alerts_fixtures.smtp_server
http_receiver = alerts_fixtures.http_receiver


def login(user: Any, language: str = "es") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_setup_index_lists_what_each_role_may_configure(world: Any) -> None:
    admin = login(world.users["admin"]).get("/setup/").content.decode()
    assert "/setup/users/" in admin and "/setup/alert-rules/" in admin
    manager = login(world.users["security_manager"]).get("/setup/").content.decode()
    assert "/setup/users/" not in manager and "/setup/channels/" in manager
    assert "/setup/assignments/" in manager
    for role in ("operator", "guard", "auditor", "analyst"):
        assert login(world.users[role]).get("/setup/").status_code == 404
        assert login(world.users[role]).get("/setup/alert-rules/").status_code == 404


def test_site_list_is_the_users_company_and_edits_go_through_the_service(world: Any) -> None:
    client = login(world.users["security_manager"])
    html = client.get("/setup/sites/").content.decode()
    assert "Pataz" in html and "Antamina" not in html
    site = world.sites["a1"]
    response = client.post(f"/setup/sites/{site.pk}/", {
        "name": "Pataz norte", "kind": site.kind, "lat": "-7.8", "lon": "-77.6", "is_active": "on",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    site.refresh_from_db()
    assert site.name == "Pataz norte"
    assert AuditEntry.objects.filter(object_type="geo.site", object_id=str(site.pk)).exists()
    # another company's site is not found
    assert client.get(f"/setup/sites/{world.sites['b1'].pk}/").status_code == 404


def test_a_point_outside_peru_is_refused_in_spanish_and_nothing_changes(world: Any) -> None:
    client = login(world.users["security_manager"])
    site = world.sites["a1"]
    response = client.post(f"/setup/sites/{site.pk}/", {
        "name": "Mar adentro", "kind": site.kind, "lat": "40.0", "lon": "-3.7", "is_active": "on",
    })  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "fuera del Perú" in html and "bounding box" not in html
    site.refresh_from_db()
    assert site.name != "Mar adentro"


def test_alert_rule_created_and_a_bad_value_named(world: Any) -> None:
    client = login(world.users["security_manager"])
    assert client.get("/setup/alert-rules/new/").status_code == 200
    response = client.post("/setup/alert-rules/new/", {
        "name": "Pánico en Pataz", "is_enabled": "on", "kinds": "alarm.panic, alarm.burglary",
        "sites": [str(world.sites["a1"].pk)], "min_severity": "3", "dedup_minutes": "5",
        "throttle_max_alerts": "10", "throttle_window_minutes": "60",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = AlertRule.objects.get(name="Pánico en Pataz")
    assert rule.kinds == ["alarm.panic", "alarm.burglary"]
    assert list(rule.sites.all()) == [world.sites["a1"]]
    bad = client.post(f"/setup/alert-rules/{rule.pk}/", {"name": "x", "min_severity": "9"})
    assert bad.status_code == 400
    rule.refresh_from_db()
    assert rule.min_severity == 3 and rule.name == "Pánico en Pataz"
    # another company's site cannot be chosen
    other = client.post(f"/setup/alert-rules/{rule.pk}/", {
        "name": "x", "sites": [str(world.sites["b1"].pk)], "min_severity": "3"})  # fmt: skip
    assert other.status_code == 400


def test_escalation_policy_with_steps_from_the_form(world: Any) -> None:
    client = login(world.users["security_manager"])
    form = client.get("/setup/escalation-policies/new/").content.decode()
    assert 'name="steps-0-channels"' in form
    response = client.post("/setup/escalation-policies/new/", {
        "name": "Escalera Pataz", "is_active": "on", "min_severity": "1",
        "steps-0-name": "Operador", "steps-0-channels": ["inapp"],
        "steps-0-recipient_roles": ["operator"], "steps-0-wait_s": "120",
        "steps-1-name": "Jefe", "steps-1-channels": ["email", "sms"],
        "steps-1-recipient_roles": ["security_manager"], "steps-1-wait_s": "0",
        "steps-2-name": "", "steps-2-wait_s": "",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    policy = EscalationPolicy.objects.get(name="Escalera Pataz")
    steps = list(policy.steps.order_by("order"))
    assert [s.name for s in steps] == ["Operador", "Jefe"]
    assert steps[1].channels == ["email", "sms"] and steps[0].wait_s == 120
    # no step at all is refused, in Spanish
    empty = client.post(f"/setup/escalation-policies/{policy.pk}/", {
        "name": "Escalera Pataz", "min_severity": "1", "steps-0-name": ""})  # fmt: skip
    assert empty.status_code == 400
    assert "al menos un paso" in empty.content.decode()


def test_police_contact_edit(world: Any) -> None:
    client = login(world.users["security_manager"])
    contact = world.extra["police_a1"]
    html = client.get("/setup/contacts/").content.decode()
    assert contact.name in html and world.extra["police_b1"].name not in html
    response = client.post(f"/setup/contacts/{contact.pk}/", {
        "name": contact.name, "kind": "police", "site": str(world.sites["a1"].pk),
        "phone": "+51900000002", "email": "pnp@example.pe", "is_active": "on"})  # fmt: skip
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "+51900000002"


def test_email_channel_test_goes_through_the_smtp_server(world: Any, smtp_server: Any) -> None:
    port, inbox = smtp_server
    client = login(world.users["security_manager"])
    response = client.post("/setup/channels/new/", {
        "name": "Correo de prueba", "kind": "email", "is_active": "on",
        "config": f'{{"host": "127.0.0.1", "port": {port}, "sender": "alertas@example.pe"}}',
        "timeout_s": "5", "max_attempts": "3", "backoff_base_s": "5", "backoff_max_s": "60",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    channel = NotificationChannel.objects.get(name="Correo de prueba")
    sent = client.post(f"/setup/channels/{channel.pk}/test/", {"target": "jefe@example.pe"},
                       follow=True)  # fmt: skip
    assert "Prueba enviada" in sent.content.decode()
    assert [e.rcpt_tos for e in inbox.envelopes] == [["jefe@example.pe"]]
    assert b"MineWatch" in inbox.envelopes[0].content
    assert AuditEntry.objects.filter(
        object_type="alerts.notificationchannel",
        object_id=str(channel.pk),
        note__startswith="test sent",
    ).exists()


def test_webhook_channel_test_reports_a_failure(world: Any, http_receiver: Any) -> None:
    manager = world.users["security_manager"]
    from minewatch.alerts import services

    channel = services.save_channel(actor=manager, organisation=manager.organisation,
                                    name="Webhook", kind="webhook", config={})  # fmt: skip
    client = login(manager)
    ok = client.post(f"/setup/channels/{channel.pk}/test/",
                     {"target": http_receiver.url + "/sms"}, follow=True)  # fmt: skip
    assert "Prueba enviada" in ok.content.decode()
    failed = client.post(f"/setup/channels/{channel.pk}/test/",
                         {"target": http_receiver.url + "/fail"}, follow=True)  # fmt: skip
    assert "falló" in failed.content.decode()
    assert [path for path, _b, _h in http_receiver.requests] == ["/sms", "/fail"]
    # an operator cannot send tests
    assert (
        login(world.users["operator"]).post(f"/setup/channels/{channel.pk}/test/").status_code
        == 404
    )


def test_a_secret_is_kept_when_the_form_sends_it_back_masked(world: Any) -> None:
    manager = world.users["security_manager"]
    from minewatch.alerts import services

    channel = services.save_channel(actor=manager, organisation=manager.organisation, name="SMTP",
                                    kind="email", config={"host": "h", "port": 25, "sender": "a@b.pe",
                                                          "password": "s3creto"})  # fmt: skip
    client = login(manager)
    form = client.get(f"/setup/channels/{channel.pk}/").content.decode()
    assert "s3creto" not in form and "***" in form
    response = client.post(f"/setup/channels/{channel.pk}/", {
        "name": "SMTP 2", "kind": "email", "is_active": "on",
        "config": '{"host": "h", "port": 25, "sender": "a@b.pe", "password": "***"}',
        "timeout_s": "5", "max_attempts": "3", "backoff_base_s": "5", "backoff_max_s": "60"})  # fmt: skip
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.config["password"] == "s3creto" and channel.name == "SMTP 2"
    bad = client.post(f"/setup/channels/{channel.pk}/", {"name": "x", "kind": "email",
                                                          "config": "{no json"})  # fmt: skip
    assert bad.status_code == 400 and "JSON" in bad.content.decode()


def test_users_invite_role_and_deactivate(world: Any) -> None:
    admin = world.users["admin"]
    client = login(admin)
    html = client.get("/setup/users/").content.decode()
    assert "a-guard" in html and "b-manager" not in html
    assert "Gerente de seguridad" in html and ">security_manager<" not in html
    response = client.post("/setup/users/", {"action": "invite", "username": "nuevo",
                                             "role": "analyst", "email": "n@example.pe"})  # fmt: skip
    assert response.status_code == 200
    link = response.context["invited_link"]
    user = User.objects.get(username="nuevo")
    assert user.organisation == admin.organisation and not user.has_usable_password()
    # the invitee sets a password through the link, then signs in
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="es")
    form = anonymous.get(link, follow=True)
    assert form.status_code == 200
    done = anonymous.post(form.redirect_chain[-1][0] if form.redirect_chain else link, {
        "new_password1": "Una-clave-larga-2026", "new_password2": "Una-clave-larga-2026"})  # fmt: skip
    assert done.status_code == 302
    assert Client().login(username="nuevo", password="Una-clave-larga-2026")
    # role and deactivation
    client.post("/setup/users/", {"action": "role", "user": user.pk, "role": "operator"})
    user.refresh_from_db()
    assert user.role == "operator"
    client.post("/setup/users/", {"action": "deactivate", "user": user.pk})
    user.refresh_from_db()
    assert not user.is_active
    assert not Client().login(username="nuevo", password="Una-clave-larga-2026")
    # taken name, in Spanish; not one's own deactivation; another company's user is not found
    taken = client.post(
        "/setup/users/", {"action": "invite", "username": "a-guard", "role": "guard"}
    )
    assert taken.status_code == 400 and "ya existe" in taken.content.decode()
    own = client.post("/setup/users/", {"action": "deactivate", "user": admin.pk})
    assert own.status_code == 400
    other = client.post(
        "/setup/users/", {"action": "deactivate", "user": world.users["b-manager"].pk}
    )
    assert other.status_code == 404
    assert login(world.users["security_manager"]).get("/setup/users/").status_code == 404


def test_contractor_assignments_list(world: Any) -> None:
    html = login(world.users["security_manager"]).get("/setup/assignments/").content.decode()
    assert "Pataz" in html
    assert login(world.users["operator"]).get("/setup/assignments/").status_code == 404


def test_liaison_lands_on_community_home(world: Any) -> None:
    client = login(world.users["liaison"])
    assert client.get("/")["Location"] == "/community/"
    html = client.get("/community/").content.decode()
    assert "/accountability/grievances/" in html and "/reclamos/" in html
    assert login(world.users["operator"]).get("/community/").status_code == 404


def test_high_contrast_is_kept(world: Any) -> None:
    client = login(world.users["operator"])
    assert 'class="contrast-high"' not in client.get("/incidents/").content.decode()
    response = client.post("/contrast/", {"contrast": "high", "next": "/incidents/"})
    assert response["Location"] == "/incidents/"
    assert 'class="contrast-high"' in client.get("/incidents/").content.decode()
    assert client.post("/contrast/", {"contrast": "high", "next": "https://evil.example/"})[
        "Location"] == "/"  # fmt: skip
    client.post("/contrast/", {"contrast": "normal", "next": "/"})
    assert 'class="contrast-high"' not in client.get("/incidents/").content.decode()


def test_admin_resets_a_users_two_factor_login_from_the_users_page(world: Any) -> None:
    """A lost phone: the administrator resets it on the page (it was API and CLI only)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    operator = world.users["operator"]
    TOTPDevice.objects.create(user=operator, name="teléfono", confirmed=True)
    client = login(world.users["admin"])
    assert "Restablecer el segundo factor" in client.get("/setup/users/").content.decode()
    response = client.post("/setup/users/", {"action": "reset-2fa", "user": operator.pk},
                           follow=True)  # fmt: skip
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=operator).exists()
    assert "restablecido" in response.content.decode()
    # a manager may not, and another company's user is not found
    refused = login(world.users["security_manager"]).post(
        "/setup/users/", {"action": "reset-2fa", "user": operator.pk})  # fmt: skip
    assert refused.status_code == 404
    other = client.post("/setup/users/", {"action": "reset-2fa",
                                          "user": world.users["b-manager"].pk})  # fmt: skip
    assert other.status_code == 404
