from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "email", "verified_at", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "verification_method")
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Profil public"), {"fields": ("display_name",)}),
        (_("Vérification"), {"fields": ("verified_at", "verification_method")}),
    )
