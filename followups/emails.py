"""The notification emails: one per event, or one daily digest, in the recipient's language.

Every message carries the one-click unsubscribe headers of RFC 8058
(`List-Unsubscribe` with an https address, `List-Unsubscribe-Post:
List-Unsubscribe=One-Click`), whose address needs no sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from debates.dates import stamp_text
from followups.links import ALL_CHANNELS, absolute, unsubscribe_url
from followups.models import Event, EventKind


@dataclass(frozen=True)
class Written:
    subject: str
    body: str


def _context(event: Event) -> dict[str, Any]:
    context: dict[str, Any] = {"event": event, "consultation": event.consultation}
    if event.contribution_id is not None:
        item = event.contribution.concrete  # type: ignore[union-attr]
        context["contribution"] = item
        context["contribution_url"] = absolute(item.get_absolute_url())
    if event.proposal_id is not None:
        proposal = event.proposal
        context["proposal"] = proposal
        context["proposal_url"] = absolute(proposal.get_page_url())  # type: ignore[union-attr]
        answer = getattr(proposal, "answer", None)
        context["answer"] = answer
    context["closes_text"] = stamp_text(event.consultation.closes_at)
    context["consultation_url"] = absolute(event.consultation.get_absolute_url())
    context["results_url"] = absolute(reverse("results", kwargs={"slug": event.consultation.slug}))
    return context


def _subject(event: Event, context: dict[str, Any]) -> str:
    kind = EventKind(event.kind)
    title = event.consultation.title
    if kind == EventKind.REPLY:
        item = context["contribution"]
        if item.kind == "argument":
            return _("Nouvel argument sur la proposition #%(number)s") % {
                "number": context["proposal"].number
            }
        return _("Nouvelle source sur la proposition #%(number)s") % {
            "number": context["proposal"].number
        }
    if kind == EventKind.HIDDEN:
        return _("Votre contribution #%(number)s a été masquée") % {
            "number": context["contribution"].number
        }
    if kind == EventKind.RESTORED:
        return _("Votre contribution #%(number)s a été rétablie") % {
            "number": context["contribution"].number
        }
    if kind == EventKind.ANSWER:
        return _("Réponse officielle sur la proposition #%(number)s : %(state)s") % {
            "number": context["proposal"].number,
            "state": context["answer"].get_state_display(),
        }
    if kind == EventKind.CLOSING_SOON:
        return _("La consultation « %(title)s » ferme dans trois jours") % {"title": title}
    if kind == EventKind.CLOSED:
        return _("La consultation « %(title)s » est fermée") % {"title": title}
    return _("La synthèse de la consultation « %(title)s » est publiée") % {"title": title}


def write(event: Event, user: User) -> Written:
    """Return the subject and body of `event` for `user`, in the active language."""
    context = _context(event) | {
        "user": user,
        "unsubscribe_url": unsubscribe_url(user.pk, event.channel.value),
        "settings_url": absolute(reverse("notification_settings")),
        "channel_label": event.channel.label,
    }
    if event.kind == EventKind.HIDDEN:
        # The moderation notice keeps its own wording (debates/moderation.py).
        item = context["contribution"]
        context |= {
            "author": user,
            "reason": item.get_hidden_reason_display(),
            "note": item.hidden_note,
            "log_url": absolute(reverse("moderation_log", args=[event.consultation.slug])),
        }
    body = render_to_string(f"followups/email/{event.kind}.txt", context)
    return Written(_subject(event, context), body)


def message(user: User, written: Written, channel: str) -> EmailMessage:
    """Return the email with its one-click unsubscribe headers."""
    link = unsubscribe_url(user.pk, channel)
    return EmailMessage(
        subject=written.subject,
        body=written.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def event_email(event: Event, user: User) -> EmailMessage:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return message(user, write(event, user), event.channel.value)


def digest_email(user: User, events: list[Event]) -> EmailMessage:
    """Return one email gathering the day's events for `user`."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        items = []
        for event in events:
            context = _context(event)
            items.append({"subject": _subject(event, context), "url": _link(event, context)})
        subject = _("Votre résumé du jour : %(n)s nouvelle(s)") % {"n": len(events)}
        body = render_to_string(
            "followups/email/digest.txt",
            {
                "user": user,
                "items": items,
                "unsubscribe_url": unsubscribe_url(user.pk, ALL_CHANNELS),
                "settings_url": absolute(reverse("notification_settings")),
            },
        )
        return message(user, Written(subject, body), ALL_CHANNELS)


def _link(event: Event, context: dict[str, Any]) -> str:
    kind = EventKind(event.kind)
    if kind in (EventKind.REPLY, EventKind.HIDDEN, EventKind.RESTORED):
        return str(context["contribution_url"])
    if kind == EventKind.ANSWER:
        return f"{context['proposal_url']}#reponse"
    if kind == EventKind.RESULTS:
        return str(context["results_url"])
    return str(context["consultation_url"])
