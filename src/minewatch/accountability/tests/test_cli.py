"""``minewatch accountability check`` and ``services``, in-process."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from typer.testing import CliRunner

from minewatch.accountability.services import grievances
from minewatch.cli import app

runner = CliRunner()


def test_check_alerts_an_overdue_grievance_once(world: Any) -> None:
    grievances.submit_public_grievance(
        organisation=world.orgs["a"], category="other", description="Ruido de noche",
        place_name="Chagual", now=timezone.now() - dt.timedelta(days=20),
    )  # fmt: skip
    first = runner.invoke(app, ["accountability", "check"])
    assert first.exit_code == 0 and first.stdout.strip() == "1 new accountability alert(s)"
    again = runner.invoke(app, ["accountability", "check"])
    assert again.stdout.strip() == "0 new accountability alert(s)"


def test_services_lists_the_refused_services_with_their_law() -> None:
    result = runner.invoke(app, ["accountability", "services"])
    assert result.exit_code == 0
    assert "refused   crowd_control" in result.stdout and "D.Leg. 1267" in result.stdout
