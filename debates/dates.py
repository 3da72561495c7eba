"""How dates are written on the platform, for templates and messages alike."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from debates.models import Phase

if TYPE_CHECKING:
    from debates.models import Consultation

# Beyond this many days left, the deadline is said as a date.
FAR_DAYS = 60


def stamp_text(value: datetime) -> str:
    """Return a date as the reference page writes it, « 29/10/2014 - 13:17 ».

    In English the day/month order would be misread, so the month is named
    (« 29 Oct 2014, 13:17 »).
    """
    local = localtime(value)
    if get_language() == "en":
        return date_format(local, "j M Y, H:i")
    return date_format(local, "d/m/Y - H:i")


def last_day(consultation: Consultation) -> date:
    """Return the last local day to take part: the end is exclusive (midnight is the next day)."""
    return localtime(consultation.closes_at - timedelta(microseconds=1)).date()


def deadline_text(consultation: Consultation, now: datetime | None = None) -> str:
    """Say where a consultation stands in its calendar, in the reader's words.

    « Ouvre le 3 mars 2026 », « Plus que 12 jours pour participer »,
    « Dernier jour pour participer », « Close depuis le 1 février 2015 ».
    Days are counted in local days (Europe/Paris), not in periods of 24 hours:
    a consultation closing tomorrow night has « Plus qu'un jour » all today.
    Far deadlines say their date: a count of hundreds of days means little.
    """
    now = now or timezone.now()
    phase = consultation.phase_at(now)
    if phase == Phase.UPCOMING:
        when = date_format(localtime(consultation.opens_at), "DATE_FORMAT")
        return _("Ouvre le %(date)s") % {"date": when}
    if phase == Phase.CLOSED:
        when = date_format(localtime(consultation.closes_at), "DATE_FORMAT")
        return _("Close depuis le %(date)s") % {"date": when}
    final = last_day(consultation)
    left = (final - localtime(now).date()).days
    if left <= 0:
        return _("Dernier jour pour participer")
    if left == 1:
        return _("Plus qu'un jour pour participer")
    if left > FAR_DAYS:
        return _("Participation jusqu'au %(date)s inclus") % {
            "date": date_format(final, "DATE_FORMAT")
        }
    return ngettext(
        "Plus que %(n)s jour pour participer", "Plus que %(n)s jours pour participer", left
    ) % {"n": left}
