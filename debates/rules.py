"""The one permission function: may this user write to this consultation now?

Every write view, form and template asks `participation()`; it derives the
answer from the consultation's dates (the closing gate) and the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from accounts.models import User
from debates.models import Consultation, Phase


class Refusal(StrEnum):
    """Why a write is refused; each has its own message."""

    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    ANONYMOUS = "anonymous"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class Decision:
    """The answer of the permission function, with the reason when refused."""

    refusal: Refusal | None = None
    message: str = ""

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def needs_sign_in(self) -> bool:
        """Return whether signing in is what stands in the way."""
        return self.refusal == Refusal.ANONYMOUS

    def __bool__(self) -> bool:
        return self.allowed


def participation(
    user: User | AnonymousUser, consultation: Consultation, now: datetime | None = None
) -> Decision:
    """Return whether `user` may post, vote or edit in `consultation` at `now`."""
    phase = consultation.phase_at(now)
    if phase == Phase.CLOSED:
        return Decision(Refusal.CLOSED, _("La consultation est fermée"))
    if phase == Phase.UPCOMING:
        opens = date_format(localtime(consultation.opens_at), "d/m/Y - H:i")
        return Decision(
            Refusal.NOT_YET_OPEN,
            _("La participation ouvrira le %(date)s.") % {"date": opens},
        )
    if not user.is_authenticated:
        return Decision(Refusal.ANONYMOUS, _("Connectez-vous pour participer."))
    if not user.is_active:
        return Decision(Refusal.INACTIVE, _("Votre compte ne peut pas participer."))
    return Decision()
