"""Staff must set up two-factor authentication before reaching the admin."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _


class StaffTwoFactorMiddleware:
    """Send a staff member without TOTP to its set-up page instead of the admin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.STAFF_REQUIRE_2FA
            # path_info, not path: behind a URL prefix (SCRIPT_NAME) the admin
            # still resolves from path_info.
            and request.path_info.startswith("/admin/")
            and user.is_authenticated
            and user.is_staff
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request,
                _(
                    "L'administration demande l'authentification à deux facteurs : "
                    "configurez-la pour continuer."
                ),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class StaffSessionTimeoutMiddleware:
    """Sign staff out after STAFF_SESSION_IDLE_TIMEOUT seconds without a request.

    Each staff response pushes the session's expiry that far ahead; the
    database session expires on the server, whatever the browser keeps.
    Everyone else keeps SESSION_COOKIE_AGE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view, so that a staff member who has just signed in is covered.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            request.session.set_expiry(settings.STAFF_SESSION_IDLE_TIMEOUT)
        return response


class NoStoreMiddleware:
    """Keep the account pages out of every cache: they show one person's data.

    `/compte/` (the account page, the data download, deletion) and allauth's
    `/comptes/` (email, password, sessions, two-factor, sign-in forms) answer
    `Cache-Control: no-store, private`, so a shared computer's browser or a
    proxy keeps no copy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.prefixes is None:
            self.prefixes = (reverse("account"), reverse("account_login").rsplit("/", 2)[0] + "/")
        # reverse() includes the script prefix, and so does request.path.
        if request.path.startswith(self.prefixes):
            response["Cache-Control"] = "no-store, private"
        return response
