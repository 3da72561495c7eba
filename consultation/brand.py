"""The operator's name, logo and colours: from settings to pages, under a strict CSP.

The Content Security Policy forbids inline styles, so the colours reach the
pages as CSS custom properties in a tiny stylesheet served by `stylesheet`
below, at an address that carries a digest of the colours: browsers and
proxies may keep it forever, and a new colour is a new address.

Colours are checked at start-up (`manage.py check`, and every command): one
that would make links or the white text on buttons fall below the WCAG AA
contrast of 4.5:1 is an error, so an unreadable theme never ships.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

from django.conf import settings
from django.core import checks
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from consultation.site import site_name

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
AA = 4.5
WHITE = "#ffffff"
# The lightest tinted surface links and buttons sit on (--surface in site.css).
SURFACE = "#f3f5fa"
# What each setting colours, and what it must stand out against.
COLOURS = {
    "BRAND_PRIMARY_COLOR": ("--brand", "white text on the header band and buttons"),
    "BRAND_ACCENT_COLOR": ("--accent", "links on white and tinted backgrounds"),
}


def luminance(colour: str) -> float:
    """Return the relative luminance of a #rrggbb colour (WCAG 2.1)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def configured_colours() -> dict[str, str]:
    """Return the custom properties the operator set, by property name."""
    return {
        prop: getattr(settings, name)
        for name, (prop, _use) in COLOURS.items()
        if getattr(settings, name, "")
    }


@checks.register()
def check_brand(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse brand colours that are not #rrggbb or fail AA contrast, and remote logos."""
    problems: list[checks.CheckMessage] = []
    for name, (_prop, use) in COLOURS.items():
        colour = getattr(settings, name, "")
        if not colour:
            continue
        if not HEX.match(colour):
            problems.append(
                checks.Error(
                    f"{name}={colour!r} is not a colour written #rrggbb.",
                    hint="For example BRAND_PRIMARY_COLOR=#1d4ed8.",
                    id="consultation.E001",
                )
            )
            continue
        worst = min(contrast(colour, WHITE), contrast(colour, SURFACE))
        if worst < AA:
            problems.append(
                checks.Error(
                    f"{name}={colour} has a contrast of {worst:.2f}:1 for {use}; "
                    f"WCAG AA needs {AA}:1.",
                    hint="Choose a darker colour (check it with any WCAG contrast checker).",
                    id="consultation.E002",
                )
            )
    logo = getattr(settings, "SITE_LOGO_URL", "")
    if logo and re.match(r"^[a-z]+:", logo):
        problems.append(
            checks.Error(
                f"SITE_LOGO_URL={logo!r} is on another site: the Content Security Policy "
                "only loads images from this one.",
                hint="Put the logo among the static files and give its static path.",
                id="consultation.E003",
            )
        )
    return problems


def css(colours: dict[str, str]) -> str:
    declarations = "".join(f" {prop}: {value};" for prop, value in sorted(colours.items()))
    return f":root {{{declarations} }}\n"


@cache
def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def stylesheet_url() -> str:
    """Return the brand stylesheet's address, or "" when the operator set no colour."""
    colours = configured_colours()
    if not colours:
        return ""
    return f"{reverse('brand_css')}?v={digest(css(colours))}"


@require_safe
def stylesheet(request: HttpRequest) -> HttpResponse:
    """Serve the operator's colours as CSS custom properties."""
    response = HttpResponse(css(configured_colours()), content_type="text/css; charset=utf-8")
    # The address changes with the colours (?v=digest): cache it for a year.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def logo_url() -> str:
    """Return the logo's address: a static path, or a path on this site."""
    logo = settings.SITE_LOGO_URL
    if not logo:
        return ""
    return logo if logo.startswith("/") else static(logo)


def brand(request: HttpRequest) -> dict[str, str]:
    """Context processor: the platform's name, logo and brand stylesheet for every page."""
    return {
        "site_name": site_name(),
        "site_logo_url": logo_url(),
        "brand_stylesheet": stylesheet_url(),
    }
