"""The platform's public address and name, as the operator configured them.

Emails have no request to build links from: they use SITE_DOMAIN, which always
wins over whatever the `Site` row said at the first `migrate`.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _


def absolute_url(path: str) -> str:
    """Return `path` on the configured domain (https unless in development)."""
    scheme = "http" if settings.DEBUG else "https"
    return f"{scheme}://{settings.SITE_DOMAIN}{path}"


def site_name() -> str:
    """Return SITE_NAME when the operator set it, else the translated default."""
    return settings.SITE_NAME or _("Consultation citoyenne")
