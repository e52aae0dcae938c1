"""``minewatch manage tracking_partitions [--months N]``: create the monthly position partitions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from minewatch.tracking.services.storage import (
    create_month_partitions,
    existing_partitions,
    is_partitioned,
)


class Command(BaseCommand):
    help = "Create the position table's partitions from this month on (PostgreSQL only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--months", type=int, default=4, help="Months from this one on.")

    def handle(self, *args: Any, months: int, **options: Any) -> None:
        if not is_partitioned():
            self.stdout.write("the position table is not partitioned (SQLite): nothing to do")
            return
        created = create_month_partitions(start=timezone.now().date(), months=months)
        self.stdout.write(f"created: {', '.join(created) or '-'}")
        self.stdout.write(f"partitions: {', '.join(existing_partitions())}")
