"""Messages from engines and services, in the user's language, at the edge where they are shown.

Engines stay free of Django and say what is wrong in English with the values that matter
("assailants_min (9) is greater than assailants_max (2)"). ``translate_message`` matches such
a message against the patterns below and returns the catalogue's translation with the same
values; a message that matches nothing is returned as it came (already translated by a
service's ``gettext``, or new: the walk test in ``web/tests/test_spanish_walk.py`` finds those).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from minewatch.core.choices import Role

# What "your role cannot …" names (core.checks.require's ``what``), as shown to a user.
ACTIONS = {
    "manage users": gettext_lazy("manage users"),
    "assign contractors": gettext_lazy("assign contractors"),
    "change alerting configuration": gettext_lazy("change alerting configuration"),
    "report incidents": gettext_lazy("report incidents"),
    "manage incidents": gettext_lazy("manage incidents"),
    "manage sites": gettext_lazy("manage sites"),
}

# Field names that appear inside messages, in words.
FIELD_WORDS = {
    "assailants_min": pgettext_lazy("field", "minimum number of assailants"),
    "assailants_max": pgettext_lazy("field", "maximum number of assailants"),
    "occurred_at": pgettext_lazy("field", "date and time"),
    "site": pgettext_lazy("field", "site"),
    "route": pgettext_lazy("field", "route"),
    "zone": pgettext_lazy("field", "zone"),
    "contractor": pgettext_lazy("field", "contractor"),
    "user": pgettext_lazy("field", "user"),
    "escalation_policy": pgettext_lazy("field", "escalation policy"),
    "origin": pgettext_lazy("field", "origin"),
    "destination": pgettext_lazy("field", "destination"),
}


def field_word(name: str) -> str:
    return str(FIELD_WORDS.get(name, name.replace("_", " ")))


def _evidence_kind(code: str) -> str:
    """An evidence kind in words ("photo" → "foto"), as the upload form lists them."""
    from minewatch.evidence.choices import EvidenceKind

    try:
        return str(EvidenceKind(code).label).lower()
    except ValueError:
        return code


def _file_format(name: str) -> str:
    """A sniffed file format as people name it: "jpeg" → "JPEG", "text" → "texto"."""
    return str(FILE_FORMAT_WORDS[name]) if name in FILE_FORMAT_WORDS else name.upper()


FILE_FORMAT_WORDS = {
    "text": pgettext_lazy("file format", "plain text"),
    "eml": pgettext_lazy("file format", "e-mail (EML)"),
}


def _role_cannot(m: re.Match[str]) -> str:
    what = m["what"]
    return _("Your role cannot %(action)s.") % {"action": ACTIONS.get(what, what)}


PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"your role cannot (?P<what>.+?)\.?$"), _role_cannot),
    (re.compile(r"your user belongs to no organisation"),
     lambda m: _("Your user belongs to no organisation.")),
    (re.compile(r"unknown (?P<field>[a-z_]+) (?P<value>.+)$"),
     lambda m: _("Unknown %(field)s: %(value)s.") % {"field": field_word(m["field"]),
                                                       "value": m["value"]}),
    (re.compile(r"point \((?P<lat>[-0-9.]+), ?(?P<lon>[-0-9.]+)\) is outside Peru'?s bounding box"),
     lambda m: _("The point (%(lat)s, %(lon)s) is outside Peru.") % m.groupdict()),
    (re.compile(r"(?P<a>[a-z_]+) \((?P<x>-?\d+)\) is greater than (?P<b>[a-z_]+) \((?P<y>-?\d+)\)"),
     lambda m: _("%(a)s (%(x)s) is greater than %(b)s (%(y)s).") % {
         "a": field_word(m["a"]).capitalize(), "x": m["x"], "b": field_word(m["b"]), "y": m["y"]}),
    (re.compile(r"^(?:(?P<field>[a-z_]+) )?is in the future\.?$"),
     lambda m: _("It is in the future.") if not m["field"] else
     _("%(field)s is in the future.") % {"field": field_word(m["field"]).capitalize()}),
    (re.compile(r"a ladder needs at least one step"),
     lambda m: _("An escalation policy needs at least one step.")),
    (re.compile(r"step (?P<n>\d+): channels must be among .*"),
     lambda m: _("Step %(n)s: choose at least one channel.") % m.groupdict()),
    (re.compile(r"step (?P<n>\d+): unknown role\(s\) (?P<roles>.*)"),
     lambda m: _("Step %(n)s: unknown role(s) %(roles)s.") % m.groupdict()),
    (re.compile(r"step (?P<n>\d+): wait_s must be >= 0 seconds"),
     lambda m: _("Step %(n)s: the wait cannot be negative.") % m.groupdict()),
    (re.compile(r"(?P<kind>[a-z]+) channel needs \[(?P<keys>.*)\]"),
     lambda m: _("A %(kind)s channel needs the settings %(keys)s.") % m.groupdict()),
    (re.compile(r"unknown channel kind (?P<kind>.*)"),
     lambda m: _("Unknown channel kind %(kind)s.") % m.groupdict()),
    (re.compile(r"an object is expected"), lambda m: _("A JSON object ({…}) is expected.")),
    (re.compile(r"only a security contractor can be assigned to a site"),
     lambda m: _("Only a security contractor can be assigned to a site.")),
    (re.compile(r"this contractor is already assigned to the site"),
     lambda m: _("This contractor is already assigned to the site.")),
    (re.compile(r"user '(?P<name>.*)' already exists"),
     lambda m: _("The user %(name)s already exists.") % m.groupdict()),
    (re.compile(r"a user name is required"), lambda m: _("A user name is required.")),
    # Upload refusals (evidence.services and the evidence engine's content sniffing).
    (re.compile(r"^no file was uploaded"), lambda m: _("No file was uploaded.")),
    (re.compile(r"^the file is (?P<size>[0-9.]+) MB; the upload limit is (?P<limit>[0-9.]+) MB"),
     lambda m: _("The file is %(size)s MB; the upload limit is %(limit)s MB.") % m.groupdict()),
    (re.compile(r"(?:file refused: )?the file is empty"), lambda m: _("The file is empty.")),
    (re.compile(r"file refused: ZIP archives are not accepted"),
     lambda m: _("ZIP archives are not accepted: upload each file on its own.")),
    (re.compile(r"file refused: markup \(HTML, SVG or XML\)"),
     lambda m: _("Markup (HTML, SVG or XML) is not accepted as evidence.")),
    (re.compile(r"file refused: the content type could not be recognised"),
     lambda m: _("The type of the file could not be recognised from its content.")),
    (re.compile(r"file refused: (?P<what>.+) files are not accepted as evidence"),
     lambda m: _("%(what)s files are not accepted as evidence.") % m.groupdict()),
    (re.compile(r"file refused: declared (?P<kind>\w+), but the content is (?P<label>\S+).*must be "
                r"one of: (?P<allowed>.+)$"),
     lambda m: _("The file was declared as %(kind)s but its content is %(label)s; accepted: "
                 "%(allowed)s.") % {"kind": _evidence_kind(m["kind"]),
                                    "label": _file_format(m["label"]),
                                    "allowed": ", ".join(_file_format(f.strip())
                                                         for f in m["allowed"].split(","))}),
    (re.compile(r"this file is already evidence item (?P<id>\d+) of this incident"),
     lambda m: _("This file is already evidence item %(id)s of this incident.") % m.groupdict()),
    (re.compile(r"^cannot be in the future"), lambda m: _("It cannot be in the future.")),
    (re.compile(r"^cannot be negative"), lambda m: _("It cannot be negative.")),
    (re.compile(r"^cannot be earlier than occurred_at"),
     lambda m: _("It cannot be earlier than when it happened.")),
    (re.compile(r"^give both latitude and longitude, or neither"),
     lambda m: _("Give both latitude and longitude, or neither.")),
    (re.compile(r"geometry (?:lies|extends) outside Peru'?s bounding box"),
     lambda m: _("The shape lies outside Peru.")),
    # Expiry alert days (people/engine/expiry.py check_thresholds).
    (re.compile(r"give a non-empty list of days"),
     lambda m: _("Give at least one number of days, e.g. 30, 7, 0.")),
    (re.compile(r"^(?P<value>\S+) is not a whole number of days between 0 and 365"),
     lambda m: _("%(value)s is not a whole number of days between 0 and 365.") % m.groupdict()),
    (re.compile(r"phone '(?P<phone>.*)' is not an international number such as \+51987654321"),
     lambda m: _("The phone %(phone)s is not an international number such as +51987654321.")
     % m.groupdict()),
]  # fmt: skip


def translate_message(message: str) -> str:
    """``message`` in the active language when it is one of the known English messages."""
    text = str(message)
    for pattern, render in PATTERNS:
        found = pattern.search(text)
        if found:
            return render(found)
    return text


def role_label(code: str) -> str:
    """A role's name in words (``security_manager`` → "Jefe de seguridad")."""
    try:
        return str(Role(code).label)
    except ValueError:
        return code
