"""The four-threat taxonomy of the seed study, plus internal threats (SPEC "Taxonomy").

Each incident type carries its default severity (1 minor … 5 critical), its
mapping to ACLED (event type / sub-event type, ACLED codebook 2023) and to the
Global Terrorism Database attack type (GTD codebook), a STIX 2.1 object type
and name for sharing, and the code of its response protocol (alerts app).

Pure data: no Django, so engines and exports can use it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Threat:
    code: str
    label_es: str
    label_en: str


@dataclass(frozen=True)
class IncidentType:
    code: str
    threat: str
    label_es: str
    label_en: str
    default_severity: int
    acled_event_type: str
    acled_sub_event_type: str
    gtd_attack_type: str
    stix_type: str
    protocol: str = ""


THREATS: tuple[Threat, ...] = (
    Threat("terrorism", "Terrorismo", "Terrorism"),
    Threat("social_conflict", "Conflicto social", "Social conflict"),
    Threat("illegal_mining", "Minería ilegal", "Illegal mining"),
    Threat("organised_crime", "Crimen organizado", "Organised crime"),
    Threat("internal", "Amenaza interna", "Internal threat"),
)

# ACLED event types and sub-event types as named in the ACLED codebook.
_BATTLES = "Battles"
_VAC = "Violence against civilians"
_ERV = "Explosions/Remote violence"
_RIOTS = "Riots"
_PROTESTS = "Protests"
_STRAT = "Strategic developments"
# GTD attack types (attacktype1_txt).
_ARMED = "Armed Assault"
_BOMB = "Bombing/Explosion"
_FACILITY = "Facility/Infrastructure Attack"
_HIJACK = "Hijacking"
_KIDNAP = "Hostage Taking (Kidnapping)"
_ASSASSINATION = "Assassination"
_UNARMED = "Unarmed Assault"
_UNKNOWN = "Unknown"
_NA = "Not applicable"

INCIDENT_TYPES: tuple[IncidentType, ...] = (
    # terrorism
    IncidentType("armed_attack", "terrorism", "Ataque armado", "Armed attack", 5,
                 _BATTLES, "Armed clash", _ARMED, "attack-pattern", "armed_attack"),
    IncidentType("ambush", "terrorism", "Emboscada", "Ambush", 5,
                 _BATTLES, "Armed clash", _ARMED, "attack-pattern", "convoy_attack"),
    IncidentType("sabotage", "terrorism", "Sabotaje", "Sabotage", 4,
                 _STRAT, "Looting/property destruction", _FACILITY, "attack-pattern", "sabotage"),
    IncidentType("explosives_theft", "terrorism", "Robo de explosivos", "Explosives theft", 5,
                 _STRAT, "Looting/property destruction", _UNKNOWN, "attack-pattern",
                 "explosives_theft"),
    IncidentType("attack_on_infrastructure", "terrorism", "Ataque a infraestructura",
                 "Attack on infrastructure", 5, _ERV, "Remote explosive/landmine/IED", _FACILITY,
                 "attack-pattern", "attack_on_infrastructure"),
    IncidentType("terrorist_extortion", "terrorism", "Extorsión terrorista", "Terrorist extortion",
                 4, _VAC, "Attack", _UNARMED, "attack-pattern", "terrorist_extortion"),
    # social conflict
    IncidentType("protest", "social_conflict", "Protesta", "Protest", 2,
                 _PROTESTS, "Peaceful protest", _NA, "observed-data", "protest"),
    IncidentType("road_blockade", "social_conflict", "Bloqueo de vía", "Road blockade", 3,
                 _PROTESTS, "Protest with intervention", _NA, "observed-data", "road_blockade"),
    IncidentType("occupation_of_facilities", "social_conflict", "Toma de instalaciones",
                 "Occupation of facilities", 4, _RIOTS, "Violent demonstration", _NA,
                 "observed-data", "occupation_of_facilities"),
    IncidentType("staff_retention", "social_conflict", "Retención de personal",
                 "Staff retention (people held)", 5, _RIOTS, "Mob violence", _KIDNAP,
                 "attack-pattern", "staff_retention"),
    IncidentType("property_damage", "social_conflict", "Daños a la propiedad", "Property damage",
                 3, _RIOTS, "Violent demonstration", _FACILITY, "observed-data", "property_damage"),
    IncidentType("violent_clash", "social_conflict", "Enfrentamiento violento", "Violent clash", 4,
                 _RIOTS, "Mob violence", _UNARMED, "observed-data", "violent_clash"),
    # illegal mining
    IncidentType("concession_invasion", "illegal_mining", "Invasión de concesión",
                 "Concession invasion", 4, _STRAT, "Non-violent transfer of territory", _NA,
                 "attack-pattern", "concession_invasion"),
    IncidentType("illegal_extraction", "illegal_mining", "Extracción ilegal (socavón)",
                 "Illegal extraction (tunnel breakthrough)", 3, _STRAT, "Other", _NA,
                 "attack-pattern", "illegal_extraction"),
    IncidentType("ore_theft", "illegal_mining", "Robo de mineral", "Ore theft", 3,
                 _STRAT, "Looting/property destruction", _NA, "attack-pattern", "ore_theft"),
    IncidentType("armed_confrontation", "illegal_mining", "Enfrentamiento armado",
                 "Armed confrontation", 5, _BATTLES, "Armed clash", _ARMED, "attack-pattern",
                 "armed_attack"),
    IncidentType("supply_chain_infiltration", "illegal_mining", "Infiltración de la cadena de suministro",
                 "Supply-chain infiltration", 3, _STRAT, "Other", _NA, "attack-pattern",
                 "supply_chain_infiltration"),
    IncidentType("environmental_damage", "illegal_mining", "Daño ambiental", "Environmental damage",
                 2, _STRAT, "Other", _NA, "observed-data", "environmental_damage"),
    # organised crime
    IncidentType("extortion", "organised_crime", "Extorsión", "Extortion", 4,
                 _VAC, "Attack", _UNARMED, "attack-pattern", "extortion"),
    IncidentType("protection_payment_demand", "organised_crime", "Cobro de cupos",
                 "Protection payment demand", 4, _VAC, "Attack", _UNARMED, "attack-pattern",
                 "extortion"),
    IncidentType("threat_intimidation", "organised_crime", "Amenaza o intimidación",
                 "Threat or intimidation", 3, _VAC, "Attack", _UNARMED, "attack-pattern", "threat_intimidation"),
    IncidentType("concentrate_theft", "organised_crime", "Robo de concentrado", "Concentrate theft",
                 4, _STRAT, "Looting/property destruction", _HIJACK, "attack-pattern",
                 "cargo_hijacking"),
    IncidentType("cargo_hijacking", "organised_crime", "Secuestro de carga", "Cargo hijacking", 5,
                 _VAC, "Attack", _HIJACK, "attack-pattern", "cargo_hijacking"),
    IncidentType("convoy_attack", "organised_crime", "Ataque a convoy", "Convoy attack", 5,
                 _VAC, "Attack", _ARMED, "attack-pattern", "convoy_attack"),
    IncidentType("mineral_trafficking", "organised_crime", "Tráfico de minerales",
                 "Mineral trafficking", 3, _STRAT, "Other", _NA, "attack-pattern",
                 "mineral_trafficking"),
    IncidentType("robbery_cash_valuables", "organised_crime", "Robo de dinero y valores",
                 "Robbery of cash and valuables", 4, _VAC, "Attack", _ARMED, "attack-pattern",
                 "robbery_cash_valuables"),
    IncidentType("kidnapping", "organised_crime", "Secuestro", "Kidnapping", 5,
                 _VAC, "Abduction/forced disappearance", _KIDNAP, "attack-pattern", "kidnapping"),
    IncidentType("homicide", "organised_crime", "Homicidio", "Homicide", 5,
                 _VAC, "Attack", _ARMED, "attack-pattern", "homicide"),
    IncidentType("assassination", "organised_crime", "Sicariato", "Assassination", 5,
                 _VAC, "Attack", _ASSASSINATION, "attack-pattern", "assassination"),
    IncidentType("infiltration_company_contractor", "organised_crime",
                 "Infiltración en empresa o contratista", "Infiltration of company or contractor",
                 4, _STRAT, "Other", _NA, "attack-pattern", "infiltration_company_contractor"),
    # internal
    IncidentType("internal_theft", "internal", "Robo interno", "Internal theft", 3,
                 _STRAT, "Looting/property destruction", _NA, "observed-data", "internal_theft"),
    IncidentType("fraud", "internal", "Fraude", "Fraud", 3, _STRAT, "Other", _NA, "observed-data",
                 "fraud"),
    IncidentType("unauthorised_access", "internal", "Acceso no autorizado", "Unauthorised access",
                 2, _STRAT, "Other", _NA, "observed-data", "unauthorised_access"),
    IncidentType("policy_breach", "internal", "Incumplimiento de políticas", "Policy breach", 1,
                 _STRAT, "Other", _NA, "observed-data", "policy_breach"),
)  # fmt: skip

THREATS_BY_CODE = {t.code: t for t in THREATS}
TYPES_BY_CODE = {t.code: t for t in INCIDENT_TYPES}

WEAPONS: tuple[tuple[str, str, str], ...] = (
    ("firearm", "Arma de fuego", "Firearm"),
    ("explosive", "Explosivo", "Explosive"),
    ("bladed", "Arma blanca", "Bladed weapon"),
    ("blunt", "Objeto contundente", "Blunt object"),
    ("incendiary", "Incendiario", "Incendiary"),
    ("vehicle", "Vehículo", "Vehicle"),
    ("none", "Ninguna", "None"),
    ("unknown", "Desconocida", "Unknown"),
)

RESPONDERS: tuple[tuple[str, str, str], ...] = (
    ("psc", "Empresa de seguridad privada", "Private security company"),
    ("pnp", "Policía Nacional del Perú (PNP)", "National Police (PNP)"),
    ("ffaa", "Fuerzas Armadas (FFAA)", "Armed forces (FFAA)"),
    ("community_relations", "Relaciones comunitarias", "Community relations"),
    ("serenazgo", "Serenazgo", "Municipal security (serenazgo)"),
    ("fiscalia", "Fiscalía (Ministerio Público)", "Public prosecutor (Fiscalía)"),
    ("none", "Ninguno", "None"),
)


def threat_of(incident_type: str) -> str:
    """The threat an incident type belongs to; ValueError for an unknown type.

    >>> threat_of("cargo_hijacking")
    'organised_crime'
    """
    try:
        return TYPES_BY_CODE[incident_type].threat
    except KeyError:
        raise ValueError(f"unknown incident type {incident_type!r}") from None


def types_of(threat: str) -> list[IncidentType]:
    """The incident types of one threat, in taxonomy order."""
    if threat not in THREATS_BY_CODE:
        raise ValueError(f"unknown threat {threat!r}")
    return [t for t in INCIDENT_TYPES if t.threat == threat]
