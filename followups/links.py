"""Absolute links in emails, and the signed one-click unsubscribe token (RFC 8058).

The token is Django's signing of (user id, channel) with its own salt: it
needs no sign-in, never expires, and cannot be made for another user or
another channel without the SECRET_KEY.
"""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from consultation.site import absolute_url

UNSUBSCRIBE_SALT = "followups.unsubscribe"
ALL_CHANNELS = "all"


def absolute(path: str) -> str:
    """Return `path` on the configured domain (SITE_DOMAIN; https unless in development)."""
    return absolute_url(path)


def unsubscribe_token(user_id: int, channel: str) -> str:
    return signing.dumps([user_id, channel], salt=UNSUBSCRIBE_SALT, compress=False)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """Return (user id, channel) of a token; raise signing.BadSignature when forged."""
    value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise signing.BadSignature("unexpected token")
    return value[0], value[1]


def unsubscribe_url(user_id: int, channel: str) -> str:
    return absolute(reverse("unsubscribe", kwargs={"token": unsubscribe_token(user_id, channel)}))
