from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        # allauth offers no adapter hook when an identity provider is linked to
        # a signed-in account (process=connect); its signal is the one place.
        from allauth.socialaccount.signals import social_account_added

        from accounts.adapters import verify_on_link

        social_account_added.connect(verify_on_link, dispatch_uid="accounts.verify_on_link")
