"""Template helpers: reference-style dates and safe rendering of user text."""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from functools import lru_cache
from typing import Any

from django import template
from django.forms import BoundField
from django.template.defaultfilters import linebreaks_filter, urlize
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import gettext

from debates.dates import deadline_text, stamp_text
from debates.figures import NOBODY, Participation, Split, split
from debates.models import Consultation, Proposal

register = template.Library()


@register.filter
def stamp(value: datetime | None) -> SafeString | str:
    """Return `<time>` showing « 29/10/2014 - 13:17 » in the current time zone."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        localtime(value).isoformat(timespec="minutes"),
        stamp_text(value),
    )


@register.filter
def day(value: datetime | None) -> SafeString | str:
    """Return `<time>` showing a long French date, « 29 octobre 2014 à 13:17 »."""
    if value is None:
        return ""
    local = localtime(value)
    return format_html(
        '<time datetime="{}">{}</time>',
        local.isoformat(timespec="minutes"),
        date_format(local, "DATETIME_FORMAT"),
    )


@register.filter(needs_autoescape=True)
def body(value: str, autoescape: bool = True) -> SafeString:
    """Return user text as escaped paragraphs with links made clickable."""
    return rendered_body(value, autoescape)


# urlize + linebreaks were about 30 % of a proposal page's template time
# (bench/README.md). The result depends on the text alone, so it is kept per
# text in each process: an edited text is a new key, nothing to invalidate;
# bounded at a few thousand texts (a few MB).
@lru_cache(maxsize=4096)
def rendered_body(value: str, autoescape: bool = True) -> SafeString:
    """Return the HTML of a user text (urlize escapes and marks it safe; linebreaks keeps it)."""
    return linebreaks_filter(urlize(value.strip(), autoescape=autoescape), autoescape)


@register.filter
def described_widget(field: BoundField) -> SafeString:
    """Render a field's widget linked to its error and help texts (aria-describedby)."""
    ids = []
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    attrs = {"aria-describedby": " ".join(ids)} if ids else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def deadline(consultation: Consultation) -> str:
    """Return « Plus que 12 jours pour participer » and the like (debates.dates)."""
    return deadline_text(consultation)


@register.filter
def initials(name: str) -> str:
    """Return up to two initials of a display name, « Camille R. » → « CR »."""
    letters = [word[0] for word in re.findall(r"[^\W\d_][\w'’-]*", str(name))]
    return "".join(letters[:2]).upper() or "?"


AVATAR_TONES = 8


@register.filter
def tone(user: Any) -> int:
    """Return a stable colour number for an author's initials disc (a CSS class).

    From the shown name, not the primary key: the same person keeps their
    colour on a consultation exported and imported elsewhere.
    """
    return zlib.crc32(str(getattr(user, "public_name", "")).encode()) % AVATAR_TONES


@register.simple_tag
def arguments_split(proposal: Proposal) -> Split:
    """Return the pour / contre bar of a proposal (needs its counts)."""
    return split(
        ("for", gettext("pour"), proposal.arguments_for),
        ("against", gettext("contre"), proposal.arguments_against),
    )


@register.simple_tag
def votes_split(proposal: Proposal) -> Split:
    """Return the bar of a proposal's three vote counts."""
    return split(
        ("agree", gettext("D'accord"), proposal.votes_agree),
        ("mixed", gettext("Mitigé"), proposal.votes_mixed),
        ("disagree", gettext("Pas d'accord"), proposal.votes_disagree),
    )


@register.simple_tag
def participation_of(
    figures: dict[int, Participation], consultation: Consultation
) -> Participation:
    """Return one consultation's figures from what `participation_figures` returned."""
    return figures.get(consultation.pk, NOBODY)
