"""Template helpers: reference-style dates and safe rendering of user text."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.forms import BoundField
from django.template.defaultfilters import linebreaks_filter, urlize
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from debates.dates import stamp_text

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
    # urlize escapes the text and marks it safe; linebreaks then keeps it.
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
