from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def make_sqlite_files_private(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Keep the SQLite database (and so its WAL and shared-memory files) readable by us only.

    SQLite creates the ``-wal`` and ``-shm`` files with the database file's permissions, so
    one ``chmod 0600`` of the database when a connection opens covers all three.
    """
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name.startswith("file:") or ":memory:" in name:
        return
    for path in (name, f"{name}-wal", f"{name}-shm"):
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        except OSError:
            continue  # not created yet, or not ours to change


class CoreConfig(AppConfig):
    name = "minewatch.core"
    label = "core"
    verbose_name = _("Core: organisations, users, audit")
    # core/api.py holds the shared API base classes; the endpoints live apart.
    api_module = "minewatch.core.api_views"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(make_sqlite_files_private, dispatch_uid="minewatch-private-db")
        from django.contrib.auth.signals import user_logged_in

        from minewatch.core.auth import log_login

        user_logged_in.connect(log_login, dispatch_uid="minewatch-log-login")
