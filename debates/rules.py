"""The one permission function: may this user write to this consultation now?

Every write view, form and template asks `participation()` (or `may_edit()`
for a change to an existing contribution); the answer derives from the
consultation's dates (the closing gate) and from the user's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from accounts.models import User
from debates.dates import stamp_text
from debates.models import Consultation, Contribution, Phase


class Refusal(StrEnum):
    """Why a write is refused; each has its own message."""

    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    ANONYMOUS = "anonymous"
    INACTIVE = "inactive"
    UNCONFIRMED_EMAIL = "unconfirmed_email"
    UNVERIFIED = "unverified"
    NOT_AUTHOR = "not_author"
    BLOCKED = "blocked"
    DRAFT = "draft"
    HIDDEN = "hidden"
    NOT_ORGANISER = "not_organiser"


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


def has_confirmed_email(user: User) -> bool:
    """Return whether the user confirmed an email address (cached on the instance)."""
    cached = getattr(user, "_has_confirmed_email", None)
    if cached is None:
        cached = EmailAddress.objects.filter(user=user, verified=True).exists()
        user._has_confirmed_email = cached  # type: ignore[attr-defined]
    return cached


def participation(
    user: User | AnonymousUser, consultation: Consultation, now: datetime | None = None
) -> Decision:
    """Return whether `user` may post, vote or edit in `consultation` at `now`."""
    if consultation.is_draft:
        return Decision(Refusal.DRAFT, _("Cette consultation n'est pas encore publiée."))
    phase = consultation.phase_at(now)
    if phase == Phase.CLOSED:
        return Decision(Refusal.CLOSED, _("La consultation est fermée"))
    if phase == Phase.UPCOMING:
        opens = stamp_text(consultation.opens_at)
        return Decision(
            Refusal.NOT_YET_OPEN,
            _("La participation ouvrira le %(date)s.") % {"date": opens},
        )
    if not user.is_authenticated:
        return Decision(Refusal.ANONYMOUS, _("Connectez-vous pour participer."))
    if not user.is_active:
        return Decision(Refusal.INACTIVE, _("Votre compte ne peut pas participer."))
    if user.is_blocked:
        return Decision(
            Refusal.BLOCKED,
            _(
                "Votre compte a été bloqué par la modération : "
                "vous ne pouvez plus publier ni voter."
            ),
        )
    if not has_confirmed_email(user):
        return Decision(
            Refusal.UNCONFIRMED_EMAIL,
            _(
                "Confirmez votre adresse électronique pour participer : "
                "suivez le lien du courriel que nous vous avons envoyé."
            ),
        )
    if consultation.requires_verified_accounts and not user.is_verified:
        return Decision(
            Refusal.UNVERIFIED,
            _("Cette consultation est réservée aux comptes vérifiés."),
        )
    return Decision()


def may_edit(
    user: User | AnonymousUser,
    contribution: Contribution,
    consultation: Consultation,
    now: datetime | None = None,
) -> Decision:
    """Return whether `user` may change the text of `contribution` now."""
    decision = participation(user, consultation, now)
    if not decision:
        return decision
    if contribution.author_id != user.pk:
        return Decision(Refusal.NOT_AUTHOR, _("Seul l'auteur d'une contribution peut la modifier."))
    frozen = frozen_by_moderation(contribution)
    # Not `frozen or decision`: a refusal is falsy.
    return decision if frozen is None else frozen


def frozen_by_moderation(contribution: Contribution) -> Decision | None:
    """Return the refusal when moderation froze `contribution`, else None.

    Hiding a contribution freezes it; hiding a proposal freezes its whole
    thread: its arguments and sources can no longer be edited, endorsed or
    added to, and nobody votes on it. `contribution.thread` costs no query
    when the caller preloaded the proposal (as every write view does).
    """
    if contribution.is_hidden:
        return hidden_refusal()
    thread = contribution.thread
    if thread.pk != contribution.pk and thread.is_hidden:
        return Decision(
            Refusal.HIDDEN,
            _(
                "La proposition #%(number)s est masquée par la modération : sa discussion "
                "est figée, ses arguments et ses sources ne peuvent plus être modifiés "
                "ni recevoir d'accords."
            )
            % {"number": thread.number},
        )
    return None


def hidden_refusal() -> Decision:
    return Decision(
        Refusal.HIDDEN,
        _(
            "Cette contribution est masquée par la modération : elle ne peut plus être "
            "modifiée ni recevoir d'arguments, de sources ou de votes."
        ),
    )


def participation_on(
    user: User | AnonymousUser,
    contribution: Contribution,
    consultation: Consultation,
    now: datetime | None = None,
) -> Decision:
    """Return whether `user` may add to `contribution` (argue, deposit, vote, endorse) at `now`."""
    decision = participation(user, consultation, now)
    if not decision:
        return decision
    frozen = frozen_by_moderation(contribution)
    # Not `frozen or decision`: a refusal is falsy.
    return decision if frozen is None else frozen


def may_report(user: User | AnonymousUser, consultation: Consultation) -> Decision:
    """Return whether `user` may report a contribution; moderation outlives participation."""
    if not user.is_authenticated:
        return Decision(Refusal.ANONYMOUS, _("Connectez-vous pour signaler une contribution."))
    if not user.is_active:
        return Decision(Refusal.INACTIVE, _("Votre compte ne peut pas participer."))
    if user.is_blocked:
        return Decision(Refusal.BLOCKED, _("Votre compte a été bloqué par la modération."))
    if consultation.is_draft:
        return Decision(Refusal.DRAFT, _("Cette consultation n'est pas encore publiée."))
    return Decision()


def may_answer(user: User | AnonymousUser, consultation: Consultation) -> Decision:
    """Return whether `user` may write official answers and results for `consultation`.

    Answers are not participation: the closing gate does not apply (organisers
    answer while it is open or after the close), only the role does. Only the
    consultation's own organisers answer, administrators included only when
    they are organisers of it.
    """
    if not user.is_authenticated:
        return Decision(Refusal.ANONYMOUS, _("Connectez-vous pour répondre."))
    if not user.is_active or user.is_blocked:
        return Decision(Refusal.INACTIVE, _("Votre compte ne peut pas répondre."))
    if not consultation.organisers.filter(pk=user.pk).exists():
        return Decision(
            Refusal.NOT_ORGANISER,
            _("Seuls les organisateurs de cette consultation publient ses réponses officielles."),
        )
    return Decision()


def staff_may_rewrite(consultation: Consultation, now: datetime | None = None) -> Decision:
    """Return whether staff may change a contribution's fields in the admin.

    Once the consultation is closed its contributions are a public archive:
    only the moderation actions (hide, unhide, with their public log) touch
    them, never the change form nor a revert from history.
    """
    if consultation.phase_at(now) == Phase.CLOSED:
        return Decision(
            Refusal.CLOSED,
            _(
                "La consultation est fermée : ses contributions ne changent plus que par "
                "la modération (masquer, rétablir)."
            ),
        )
    return Decision()
