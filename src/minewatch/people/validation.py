"""Checks of personnel input: identity documents, UBIGEO, phones. Each names its field."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pe import cui as dni  # the DNI number is the CUI

from minewatch.core.errors import InvalidInput
from minewatch.people.choices import DocumentType

CE = re.compile(r"[A-Z0-9]{8,12}")  # carné de extranjería: 9 digits today, older ones alphanumeric
UBIGEO = re.compile(r"[0-9]{6}")
PHONE = re.compile(r"\+?[0-9]{6,15}")


def check_document(document_type: str, number: str) -> str:
    """The document number in its compact form (a DNI's check digit, when given, is checked)."""
    if document_type not in DocumentType.values:
        raise InvalidInput(_("unknown document type %(type)r") % {"type": document_type},
                           field="document_type")  # fmt: skip
    number = re.sub(r"[\s.-]", "", str(number or "")).upper()
    if document_type == DocumentType.DNI:
        try:
            return dni.validate(number)
        except StdnumError:
            raise InvalidInput(
                _("%(number)r is not a valid DNI (8 digits, optionally followed by its check "
                  "digit)") % {"number": number}, field="document_number",
            ) from None  # fmt: skip
    if not CE.fullmatch(number):
        raise InvalidInput(_("%(number)r is not a valid carné de extranjería") % {"number": number},
                           field="document_number")  # fmt: skip
    return number


def lookup_key(number: str) -> str:
    """A typed credential as stored: no spaces, dots or dashes, upper case; a DNI without check digit."""
    compact = re.sub(r"[\s.-]", "", str(number or "")).upper()
    return compact[:8] if len(compact) == 9 and compact[:8].isdigit() else compact


def check_ubigeo(value: str) -> str:
    value = (value or "").strip()
    if value and not UBIGEO.fullmatch(value):
        raise InvalidInput(_("a UBIGEO is 6 digits, e.g. 130801"), field="home_ubigeo")
    return value


def check_phone(value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    if value and not PHONE.fullmatch(value):
        raise InvalidInput(_("%(phone)r is not a phone number") % {"phone": value}, field="phone")
    return value
