from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import actions
from accounts.models import User, VerificationMethod


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "email", "verified_at", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "verification_method")
    list_select_related = ("verified_by",)
    search_fields = ("username", "display_name", "email")
    readonly_fields = ("verified_at", "verification_method", "verified_by", "deleted_at")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Profil public"), {"fields": ("display_name",)}),
        (
            _("Vérification"),
            {"fields": ("verified_at", "verification_method", "verified_by", "deleted_at")},
        ),
    )
    actions = ["verify_identity", "verify_organisation", "unverify"]

    def _verify(self, request: HttpRequest, queryset: QuerySet[User], method: str) -> None:
        for user in queryset:
            actions.verify(user=user, method=method, by=request.user)  # type: ignore[arg-type]
        self.message_user(
            request, _("%d compte(s) vérifié(s).") % queryset.count(), messages.SUCCESS
        )

    @admin.action(description=_("Vérifier : identité contrôlée"))
    def verify_identity(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._verify(request, queryset, VerificationMethod.IDENTITY)

    @admin.action(description=_("Vérifier : organisation contrôlée"))
    def verify_organisation(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._verify(request, queryset, VerificationMethod.ORGANISATION)

    @admin.action(description=_("Retirer la vérification"))
    def unverify(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            actions.unverify(user=user)
        self.message_user(request, _("Vérification retirée."), messages.SUCCESS)
