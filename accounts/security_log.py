"""Security events, logged on the `accounts.security` logger (docs/SECURITY.md).

Failed sign-ins are warnings, with the client address and the account's
number when the login names one; never the password, nor the typed login
itself (it may be someone else's email address). Successful sign-ins and
changes to the password, the email addresses or the sessions are info.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account import signals as allauth_signals
from allauth.core.internal.ratelimit import get_ip
from django.contrib.auth import signals as auth_signals
from django.http import HttpRequest

logger = logging.getLogger("accounts.security")


def _client(request: HttpRequest | None) -> str:
    if request is None:
        return "-"
    try:
        return get_ip(request)
    except Exception:  # no address at all: say so rather than fail the request
        return "?"


def login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    from accounts.models import User

    login = credentials.get("email") or credentials.get("username") or ""
    account = (
        User.objects.filter(email__iexact=login).values_list("pk", flat=True).first()
        if login
        else None
    )
    logger.warning("sign-in failed: account=%s client=%s", account or "unknown", _client(request))


def logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    logger.info("signed in: account=%s client=%s", user.pk, _client(request))


def account_changed(event: str) -> Any:
    def receiver(
        sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
    ) -> None:
        user = user or getattr(request, "user", None)
        logger.info("%s: account=%s client=%s", event, getattr(user, "pk", "?"), _client(request))

    return receiver


RECEIVERS = [
    (auth_signals.user_login_failed, login_failed),
    (allauth_signals.user_logged_in, logged_in),
    (allauth_signals.password_changed, account_changed("password changed")),
    (allauth_signals.password_set, account_changed("password set")),
    (allauth_signals.password_reset, account_changed("password reset")),
    (allauth_signals.email_added, account_changed("email added")),
    (allauth_signals.email_changed, account_changed("primary email changed")),
    (allauth_signals.email_removed, account_changed("email removed")),
]


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"accounts.security_log.{id(receiver)}")
