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
