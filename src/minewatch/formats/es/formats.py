"""Spanish (Peru) formats: 24-hour times, and numbers as written in Peru and by Intl "es-PE"
in the browser (1,234,567.89; S/ and US$ amounts alike), so a page and its scripts agree."""

from django.conf.locale.es.formats import *  # noqa: F403 (dates and input formats stay Spanish)

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
TIME_FORMAT = "H:i"
DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
