"""Set the test provider up: its database, signing key, a client and people (run once)."""

from __future__ import annotations

import os
import sys

import django
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def main() -> None:
    directory = os.environ["OIDC_TEST_DIR"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(os.path.join(directory, "op-key.pem"), "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))  # fmt: skip
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    client_id, client_secret, redirect_uri = sys.argv[1:4]
    Application.objects.create(
        name="MineWatch", client_id=client_id, client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL, redirect_uris=redirect_uri,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        skip_authorization=True, algorithm=Application.RS256_ALGORITHM,
    )  # fmt: skip
    admins = Group.objects.create(name="admin")
    for username, email in (("rosa", "rosa.quispe@minera-a.pe"), ("nadie", "nadie@otra.pe"),
                            ("nueva", "nueva.analista@minera-a.pe")):  # fmt: skip
        person = User.objects.create_user(username, email=email, password="idp-password-1",
                                          first_name=username.title(), last_name="Test")  # fmt: skip
        person.groups.add(admins)


if __name__ == "__main__":
    main()
