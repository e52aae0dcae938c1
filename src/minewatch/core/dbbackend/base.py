"""See the package docstring: PostgreSQL with aware datetimes normalised to UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def adapt_datetimefield_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.utcoffset() is not None:
            value = value.astimezone(dt.UTC)
        return super().adapt_datetimefield_value(value)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
