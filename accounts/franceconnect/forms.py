"""The form of a first sign-in through an identity provider: for FranceConnect, the public name."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.forms import SignupForm
from django.utils.translation import gettext_lazy as _

from accounts.franceconnect.identity import is_franceconnect, proposed_public_name


class SocialSignupForm(SignupForm):
    """allauth's social signup form; at a first FranceConnect sign-in it proposes
    « Angela D. » as the public name (editable), never the civil name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_franceconnect(self.sociallogin) and "display_name" in self.fields:
            identity = self.sociallogin.account.extra_data.get("identity", {})
            self.initial["display_name"] = proposed_public_name(identity)
            self.fields["display_name"].label = _("Nom public")
            self.fields["display_name"].help_text = _(
                "Le nom montré sur votre profil et vos contributions. Votre nom complet "
                "transmis par FranceConnect n'est jamais publié : choisissez un pseudonyme "
                "si vous préférez."
            )
