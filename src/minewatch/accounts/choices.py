"""Enumerations of the accounts app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    """What an API token may do, never more than its user's role allows."""

    READ = "read", _("read only")
    WRITE = "write", _("read and write")
