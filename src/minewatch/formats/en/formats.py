"""English formats with 24-hour times (a control room reads one clock in both languages)."""

from django.conf.locale.en.formats import *  # noqa: F403

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
