from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_cache_table(using: str = "default", **kwargs: Any) -> None:
    """Create the database cache's table, if the settings use one, after every migrate.

    `createcachetable` does nothing when the table exists or when the cache is
    elsewhere (Redis, local memory), so a deploy needs no extra command.
    """
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self) -> None:
        # allauth offers no adapter hook when an identity provider is linked to
        # a signed-in account (process=connect); its signal is the one place.
        from allauth.socialaccount.signals import social_account_added
        from django.db.models.signals import post_delete, post_save

        from accounts import checks, security_log  # noqa: F401  (checks register on import)
        from accounts.adapters import verify_on_link

        social_account_added.connect(verify_on_link, dispatch_uid="accounts.verify_on_link")
        security_log.connect()
        post_migrate.connect(
            create_cache_table, sender=self, dispatch_uid="accounts.create_cache_table"
        )

        # The configured SITE_DOMAIN and SITE_NAME always win (accounts/site.py).
        from django.contrib.sites.models import Site
        from django.test.signals import setting_changed

        from accounts import site

        site.prime_site_cache()
        post_migrate.connect(site.write_configured_site, sender=self, dispatch_uid="accounts.site")
        # Saving the row in the admin empties the cache; the settings still win.
        post_save.connect(site.prime_site_cache, sender=Site, dispatch_uid="accounts.site_saved")
        post_delete.connect(site.prime_site_cache, sender=Site, dispatch_uid="accounts.site_gone")
        setting_changed.connect(site.settings_changed, dispatch_uid="accounts.site_settings")
