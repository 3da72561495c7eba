"""The linked accounts in the admin, without the civil identity they hold."""

from allauth.socialaccount.admin import SocialAccountAdmin
from allauth.socialaccount.models import SocialAccount
from django.contrib import admin


class PrivateSocialAccountAdmin(SocialAccountAdmin):
    # extra_data holds the identity-pivot claims (docs/franceconnect.md): the
    # citizen alone sees them, on « Mon compte »; staff see who is linked to what.
    exclude = ("extra_data",)


if admin.site.is_registered(SocialAccount):
    admin.site.unregister(SocialAccount)
admin.site.register(SocialAccount, PrivateSocialAccountAdmin)
