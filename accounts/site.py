"""The site named in emails and feeds comes from the settings, not from a row written once.

`SITE_DOMAIN` and `SITE_NAME` are read at start-up. The sites framework keeps
the current `Site` in a per-process cache (`SITE_CACHE`), and every absolute
URL (Atom feeds, allauth's emails) goes through `Site.objects.get_current()`:
priming that cache with the configured values makes them win at once, without
a database read, and `migrate` writes them into the row too (`post_migrate`),
so the admin and any other process reading the table agree.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sites import models as sites


def configured_site() -> sites.Site:
    """Return the site the settings describe (unsaved)."""
    name = settings.SITE_NAME or "Consultation citoyenne"  # the default of consultation/site.py
    return sites.Site(pk=settings.SITE_ID, domain=settings.SITE_DOMAIN, name=name)


def prime_site_cache(**kwargs: Any) -> None:
    """Make `Site.objects.get_current()` answer the configured site in this process."""
    sites.SITE_CACHE.clear()
    sites.SITE_CACHE[settings.SITE_ID] = configured_site()


def write_configured_site(**kwargs: Any) -> None:
    """Write the configured domain and name into the Site row (after every migrate)."""
    site = configured_site()
    sites.Site.objects.using(kwargs.get("using", "default")).update_or_create(
        pk=site.pk, defaults={"domain": site.domain, "name": site.name}
    )
    prime_site_cache()


def settings_changed(*, setting: str, **kwargs: Any) -> None:
    """Follow `override_settings` in tests."""
    if setting in {"SITE_DOMAIN", "SITE_NAME", "SITE_ID"}:
        prime_site_cache()
