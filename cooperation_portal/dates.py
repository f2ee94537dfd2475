"""The Court's calendar: deadlines are dates in the Court's time zone (settings.TIME_ZONE, Europe/Amsterdam)."""

import datetime

from django.utils import timezone


def court_today() -> datetime.date:
    return timezone.localdate()
