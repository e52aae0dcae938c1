"""Demo risk data: controls deployed at every demo site and register entries for the main threats.

The deployments are synthetic (plausible for each kind of operation), chosen so the
heatmap shows both well-covered threats and structural imbalances (e.g. organised crime
at Poderosa, where guards and CCTV do little against extortion networks).
"""

from __future__ import annotations

from typing import Any

from minewatch.risk import services

BASE = {"guard_patrols": 0.7, "access_control": 0.6, "radio_communication": 0.8, "cctv": 0.5}
EXTRA: dict[str, dict[str, float]] = {
    "las_bambas": {"community_relations_programme": 0.6, "fleet_tracking": 0.8, "escorts": 0.6,
                   "police_agreement": 0.5},
    "antapaccay": {"community_relations_programme": 0.5, "fleet_tracking": 0.7},
    "constancia": {"community_relations_programme": 0.4},
    "cerro_verde": {"inventory_control": 0.8, "personnel_screening": 0.7,
                    "remote_operations_centre": 0.7},
    "toquepala": {"inventory_control": 0.7, "personnel_screening": 0.6},
    "cuajone": {"inventory_control": 0.6},
    "quellaveco": {"perimeter_intrusion_alarms": 0.7, "drone_patrols": 0.5},
    # Pataz: a remote mine where the base controls are thin (the seed's imbalance).
    "poderosa": {"guard_patrols": 0.5, "cctv": 0.3, "access_control": 0.3,
                 "radio_communication": 0.5, "perimeter_intrusion_alarms": 0.2},
    "matarani": {"identity_cargo_verification": 0.8, "inventory_control": 0.7},
    "antamina": {"community_relations_programme": 0.7, "police_agreement": 0.4},
    "yanacocha": {"community_relations_programme": 0.5, "drone_patrols": 0.4},
}  # fmt: skip
# (site, threat, impact) rated in the demo register; likelihood is the suggestion, adopted.
ENTRIES = (
    ("poderosa", "organised_crime", 5), ("poderosa", "illegal_mining", 4),
    ("las_bambas", "social_conflict", 4), ("las_bambas", "organised_crime", 4),
    ("antamina", "social_conflict", 3), ("cerro_verde", "internal", 3),
)  # fmt: skip


def _owner_user(context: Any, site: Any) -> Any:
    admin = context.users["admin"]
    return admin if site.organisation_id == admin.organisation_id else context.users["manager2"]


def load(context: Any) -> None:
    """Deployed controls at every demo site and a few register entries (synthetic)."""
    count = 0
    for key, site in context.sites.items():
        for control, quality in {**BASE, **EXTRA.get(key, {})}.items():
            services.deploy_control(actor=_owner_user(context, site), site=site, control=control,
                                    quality=quality, notes="Synthetic demo deployment")  # fmt: skip
            count += 1
    for key, threat, impact in ENTRIES:
        site = context.sites[key]
        owner = _owner_user(context, site)
        services.save_register_entry(actor=owner, site=site, threat=threat, impact=impact,
                                     owner=owner, notes="Synthetic demo rating",
                                     now=context.now)  # fmt: skip
    context.summary.append(f"{count} deployed controls, {len(ENTRIES)} risk register entries")
