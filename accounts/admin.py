from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import actions
from accounts.models import User, VerificationMethod
from debates import moderation
from debates.admin_scope import selected
from debates.models import HideReason


def choosing_organisers(request: HttpRequest) -> bool:
    """Return whether this is the organisers autocomplete of a consultation its user may edit."""
    match = request.resolver_match
    return bool(
        match
        and match.url_name == "autocomplete"
        and request.GET.get("app_label") == "debates"
        and request.GET.get("model_name") == "consultation"
        and request.GET.get("field_name") == "organisers"
        and request.user.has_perm("debates.change_consultation")
    )


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "email", "verified_at", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "verification_method")
    list_select_related = ("verified_by",)
    search_fields = ("username", "display_name", "email")
    readonly_fields = (
        "verified_at",
        "verification_method",
        "verified_by",
        "deleted_at",
        "blocked_at",
    )
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Profil public"), {"fields": ("display_name",)}),
        (
            _("Vérification"),
            {"fields": ("verified_at", "verification_method", "verified_by", "deleted_at")},
        ),
        (_("Modération"), {"fields": ("blocked_at", "blocked_reason")}),
    )
    # Moderators may look at accounts, verify, block and bulk-hide them, but
    # change nothing else: no rights, groups, password or identity fields.
    MODERATOR_EDITABLE = frozenset({"blocked_reason"})

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        if request.user.is_superuser:
            return list(super().get_readonly_fields(request, obj))
        fields = [name for _, box in self.get_fieldsets(request, obj) for name in box["fields"]]
        return [name for name in fields if name not in self.MODERATOR_EDITABLE]

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Organisers choose co-organisers through the consultation form's
        # autocomplete, which asks this admin; they see no account list.
        return super().has_view_permission(request, obj) or (
            obj is None and choosing_organisers(request)
        )

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or actions.may_act_on_account(actor=request.user, account=obj)  # type: ignore[arg-type]

    def _in_scope(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User] | None:
        """Return the ticked accounts, or None (and say why) when one is out of reach.

        The whole action is refused, as the contribution actions do, so that
        a mixed selection never half-applies.
        """
        accounts = User.objects.filter(pk__in=selected(request, queryset))
        if (
            not request.user.is_superuser
            and accounts.filter(Q(is_staff=True) | Q(is_superuser=True)).exists()
        ):
            self.message_user(
                request,
                _(
                    "Action refusée : seul un superutilisateur agit sur les comptes de "
                    "l'équipe (modération, organisation, administration). Rien n'a été modifié."
                ),
                messages.ERROR,
            )
            return None
        return accounts

    actions = [
        "verify_identity",
        "verify_organisation",
        "unverify",
        "block",
        "unblock",
        "hide_all_contributions",
        "end_sessions",
    ]

    def _verify(self, request: HttpRequest, queryset: QuerySet[User], method: str) -> None:
        accounts = self._in_scope(request, queryset)
        if accounts is None:
            return
        for user in accounts:
            actions.verify(user=user, method=method, by=request.user)  # type: ignore[arg-type]
        self.message_user(
            request, _("%d compte(s) vérifié(s).") % accounts.count(), messages.SUCCESS
        )

    @admin.action(description=_("Vérifier : identité contrôlée"))
    def verify_identity(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._verify(request, queryset, VerificationMethod.IDENTITY)

    @admin.action(description=_("Vérifier : organisation contrôlée"))
    def verify_organisation(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._verify(request, queryset, VerificationMethod.ORGANISATION)

    @admin.action(description=_("Retirer la vérification"))
    def unverify(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        accounts = self._in_scope(request, queryset)
        if accounts is None:
            return
        for user in accounts:
            actions.unverify(user=user)
        self.message_user(request, _("Vérification retirée."), messages.SUCCESS)

    @admin.action(description=_("Bloquer (ne peut plus publier ni voter)"))
    def block(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        accounts = self._in_scope(request, queryset)
        if accounts is None:
            return
        for user in accounts.filter(blocked_at__isnull=True):
            moderation.block(user=user)
        self.message_user(request, _("Compte(s) bloqué(s)."), messages.SUCCESS)

    @admin.action(description=_("Débloquer"))
    def unblock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        accounts = self._in_scope(request, queryset)
        if accounts is None:
            return
        for user in accounts.filter(blocked_at__isnull=False):
            moderation.unblock(user=user)
        self.message_user(request, _("Compte(s) débloqué(s)."), messages.SUCCESS)

    @admin.action(description=_("Masquer toutes leurs contributions (spam)"))
    def hide_all_contributions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        if not request.user.has_perm("debates.moderate_contribution"):
            raise PermissionDenied
        accounts = self._in_scope(request, queryset)
        if accounts is None:
            return
        hidden = 0
        for user in accounts:
            hidden += moderation.hide_all_by(
                author=user,
                actor=request.user,
                reason=HideReason.SPAM,  # type: ignore[arg-type]
            )
        self.message_user(request, _("%d contribution(s) masquée(s).") % hidden, messages.SUCCESS)

    @admin.action(
        description=_("Fermer toutes leurs sessions (déconnexion sur tous leurs appareils)")
    )
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        # Only a superuser signs out staff accounts.
        if not request.user.is_superuser:
            queryset = queryset.filter(is_staff=False, is_superuser=False)
        ended = actions.end_sessions(users=queryset)
        self.message_user(request, _("%d session(s) fermée(s).") % ended, messages.SUCCESS)
