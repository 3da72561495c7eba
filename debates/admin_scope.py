"""The one scope rule of the admin: a staff member acts only inside their consultations.

Every admin class of a model that belongs to a consultation mixes in
`ScopedAdminMixin`. It is the single place that answers, for every admin view
including django-simple-history's history pages:

- which rows a staff member sees (`get_queryset`): a superuser everything, a
  moderator every consultation, an organiser only the consultations they
  organise (`moderation.consultations_moderated_by`);
- whether they may view or change one object (`has_view_permission`,
  `has_change_permission` with an object): the model permission, the object
  inside the scope, and `may_change()` (the closing gate for contributions,
  `may_schedule` for a consultation's settings);
- the history pages: the object is looked up through the scoped queryset
  (404 outside it, even for a version of it), and no version is ever saved
  from the version page. A revert would bypass `hide`/`unhide`/`reschedule`
  (their public log, dated notices, reports closed) and the closing gate, so
  the version page only shows; a POST to it is refused and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from debates import moderation
from debates.models import Consultation

REVERT_REFUSED = _(
    "Une version ancienne ne peut pas être rétablie depuis l'historique : "
    "masquez, rétablissez ou changez les dates avec les actions de l'administration, "
    "qui laissent leur trace publique. Rien n'a été enregistré."
)


def scope_ids(request: HttpRequest) -> frozenset[int]:
    """Return the ids of the consultations the signed-in staff member may act on.

    Computed once per request: the permission hooks run many times per page.
    """
    cached: frozenset[int] | None = getattr(request, "_consultation_scope", None)
    if cached is None:
        user: User = request.user  # type: ignore[assignment]
        cached = frozenset(moderation.consultations_moderated_by(user).values_list("pk", flat=True))
        request._consultation_scope = cached  # type: ignore[attr-defined]
    return cached


def scope(request: HttpRequest) -> QuerySet[Consultation]:
    """Return the consultations the signed-in staff member may act on (a queryset)."""
    return moderation.consultations_moderated_by(request.user)  # type: ignore[arg-type]


def selected(request: HttpRequest, queryset: QuerySet[Any]) -> list[int]:
    """Return the ids the user ticked, including any the scoped queryset dropped.

    The changelist filters the queryset by the user's scope, so a forged
    selection outside it would silently vanish; it must be refused instead.
    """
    ids = {int(pk) for pk in request.POST.getlist("_selected_action") if pk.isdigit()}
    return sorted(ids | set(queryset.values_list("pk", flat=True)))


class ScopedHistoryMixin:
    """django-simple-history's pages through the admin's own get_queryset, read-only.

    `ScopedAdminMixin` includes it; an admin with its own scope rule (the
    answers' « organisers only ») uses it alone.
    """

    def scoped_object(self, request: HttpRequest, object_id: str) -> Model:
        """Return the object through the scoped queryset; 404 outside it or when absent."""
        # ModelAdmin.get_object() reads get_queryset() and answers None for a
        # malformed or unknown id.
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404
        return obj  # type: ignore[no-any-return]

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.scoped_object(request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc,no-any-return]

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.scoped_object(request, object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied(REVERT_REFUSED)
        if not str(version_id).isdigit():
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc,no-any-return]

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        # The version page only shows (see the module doc): never offer « Rétablir ».
        return True

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        if not getattr(request.resolver_match, "url_name", "").endswith("_simple_history"):
            return form

        class VersionForm(form):  # type: ignore[misc,valid-type]
            """A version is shown, never edited: every field disabled."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    field.disabled = True

        return VersionForm


class ScopedAdminMixin(ScopedHistoryMixin):
    """Scope an admin to the consultations of the signed-in staff member (see module doc).

    `scope_lookup` is the ORM path from the model to its consultation (`"pk"`
    for the consultation itself). Models that reach it otherwise override
    `scope_filter()` and `consultation_of()`.
    """

    scope_lookup: str = ""

    # ---------------------------------------------------------------- the rule

    def scope_filter(self, request: HttpRequest) -> Q:
        """Return the filter keeping the rows inside the staff member's consultations."""
        return Q(**{f"{self.scope_lookup}__in": scope(request)})

    def consultation_of(self, obj: Any) -> Consultation:
        """Return the consultation `obj` belongs to, following `scope_lookup`."""
        if self.scope_lookup == "pk":
            return obj  # type: ignore[no-any-return]
        for name in self.scope_lookup.split("__"):
            obj = getattr(obj, name)
        return obj  # type: ignore[no-any-return]

    def in_scope(self, request: HttpRequest, obj: Any) -> bool:
        """Return whether `obj` belongs to a consultation the staff member acts on."""
        if request.user.is_superuser:
            return True
        return self.consultation_of(obj).pk in scope_ids(request)

    def may_change(self, request: HttpRequest, obj: Any) -> bool:
        """Return whether `obj`, inside the scope, may be changed now (hook for the gate)."""
        return True

    # ---------------------------------------------------------------- admin hooks

    def scoped(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Return `queryset` cut to the staff member's consultations."""
        if request.user.is_superuser:
            return queryset
        return queryset.filter(self.scope_filter(request))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scoped(request, super().get_queryset(request))  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_view_permission(request, obj):  # type: ignore[misc]
            return False
        return obj is None or self.in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):  # type: ignore[misc]
            return False
        if obj is None:
            return True
        return self.in_scope(request, obj) and self.may_change(request, obj)
