"""Every write of the alarms app."""

from minewatch.alarms.services.cameras import (
    attach_snapshot,
    handle_frigate_message,
    save_camera_rule,
)
from minewatch.alarms.services.panels import panel_accounts, record_panel_event, save_panel
from minewatch.alarms.services.supervision import run_checks
from minewatch.alarms.services.tours import check_in, end_tour, record_scan, save_route, start_tour

__all__ = [
    "attach_snapshot",
    "check_in",
    "end_tour",
    "handle_frigate_message",
    "panel_accounts",
    "record_panel_event",
    "record_scan",
    "run_checks",
    "save_camera_rule",
    "save_panel",
    "save_route",
    "start_tour",
]
