"""How dates are written on the platform, for templates and messages alike."""

from __future__ import annotations

from datetime import datetime

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language


def stamp_text(value: datetime) -> str:
    """Return a date as the reference page writes it, « 29/10/2014 - 13:17 ».

    In English the day/month order would be misread, so the month is named
    (« 29 Oct 2014, 13:17 »).
    """
    local = localtime(value)
    if get_language() == "en":
        return date_format(local, "j M Y, H:i")
    return date_format(local, "d/m/Y - H:i")
