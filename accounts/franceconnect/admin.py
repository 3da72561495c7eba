"""The linked accounts in the admin, without the civil identity they hold."""

from allauth.socialaccount.admin import SocialAccountAdmin
from allauth.socialaccount.models import SocialAccount
from django.contrib import admin
from django.http import HttpRequest

from accounts.franceconnect.models import IdentityVerification


class PrivateSocialAccountAdmin(SocialAccountAdmin):
    # extra_data holds the identity-pivot claims (docs/franceconnect.md): the
    # citizen alone sees them, on « Mon compte »; staff see who is linked to what.
    exclude = ("extra_data",)


if admin.site.is_registered(SocialAccount):
    admin.site.unregister(SocialAccount)
admin.site.register(SocialAccount, PrivateSocialAccountAdmin)


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(admin.ModelAdmin):
    """Who FranceConnect verified, when, at what level; read-only but for deletion, which
    lets FranceConnect verify the account again at its next sign-in."""

    list_display = ("user", "provider_name", "acr", "verified_at")
    list_filter = ("provider_id",)
    raw_id_fields = ("user",)
    readonly_fields = ("user", "provider_id", "provider_name", "acr", "verified_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
