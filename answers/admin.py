"""Answers and results in the admin: an organiser sees and writes only their consultations'.

Scoped as debates/admin.py does (get_queryset and the has_*_permission hooks),
and every write asks `debates.rules.may_answer`, the rule the public form asks;
saving goes through `answers.actions`, which tells the followers.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from answers import actions
from answers.models import Answer, Results
from debates.admin_scope import ScopedHistoryMixin
from debates.models import Consultation, Proposal
from debates.rules import may_answer


def organised_by(request: HttpRequest) -> QuerySet[Consultation]:
    """Return the consultations the signed-in staff member organises."""
    return Consultation.objects.filter(organisers=request.user)


ORGANISERS_ONLY = _(
    "Seuls les organisateurs de cette consultation publient ses réponses officielles."
)


class AnswerAdminForm(forms.ModelForm):
    link = forms.URLField(label=_("lien"), required=False, max_length=2000, assume_scheme="https")

    class Meta:
        model = Answer
        fields = ["proposal", "state", "text", "answered_on", "link", "publish_at"]

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_proposal(self) -> Proposal:
        proposal: Proposal = self.cleaned_data["proposal"]
        assert self.request is not None
        if not may_answer(self.request.user, proposal.debate.consultation):
            raise ValidationError(ORGANISERS_ONLY)
        return proposal


@admin.register(Answer)
class AnswerAdmin(ScopedHistoryMixin, SimpleHistoryAdmin):
    form = AnswerAdminForm
    list_display = ("proposal", "state", "answered_on", "publish_at", "author")
    list_filter = ("state", ("proposal__debate__consultation", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("proposal", "author")
    raw_id_fields = ("proposal",)
    search_fields = ("=proposal__number", "proposal__title")
    show_full_result_count = False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        base = super().get_form(request, obj, change, **kwargs)

        class WithRequest(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, request=request, **inner)

        return WithRequest

    def get_readonly_fields(
        self, request: HttpRequest, obj: Answer | None = None
    ) -> tuple[str, ...]:
        # One current answer per proposal: an answer stays on its proposal.
        return ("proposal",) if obj is not None else ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Answer]:
        queryset = super().get_queryset(request)
        return queryset.filter(proposal__debate__consultation__in=organised_by(request))

    def has_change_permission(self, request: HttpRequest, obj: Answer | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or bool(may_answer(request.user, obj.proposal.debate.consultation))

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # an answer is changed, never deleted; its history keeps every version

    def save_model(self, request: HttpRequest, obj: Answer, form: Any, change: bool) -> None:
        data = form.cleaned_data
        proposal = obj.proposal if change else data["proposal"]
        saved = actions.answer_proposal(
            proposal=proposal,
            author=request.user,  # type: ignore[arg-type]
            state=data["state"],
            text=data["text"],
            answered_on=data["answered_on"],
            link=data["link"],
            publish_at=data["publish_at"],
        )
        obj.pk = saved.pk


class ResultsAdminForm(forms.ModelForm):
    class Meta:
        model = Results
        fields = ["consultation", "text", "publish_at"]


@admin.register(Results)
class ResultsAdmin(ScopedHistoryMixin, SimpleHistoryAdmin):
    form = ResultsAdminForm
    list_display = ("consultation", "publish_at", "author", "updated_at")
    list_select_related = ("consultation", "author")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Results]:
        return super().get_queryset(request).filter(consultation__in=organised_by(request))

    def get_readonly_fields(
        self, request: HttpRequest, obj: Results | None = None
    ) -> tuple[str, ...]:
        return ("consultation",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "consultation":
            kwargs["queryset"] = organised_by(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Results | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or bool(may_answer(request.user, obj.consultation))

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Results, form: Any, change: bool) -> None:
        data = form.cleaned_data
        consultation = obj.consultation if change else data["consultation"]
        if not may_answer(request.user, consultation):
            raise ValidationError(
                _("Seuls les organisateurs de cette consultation écrivent sa synthèse.")
            )
        saved = actions.write_results(
            consultation=consultation,
            author=request.user,  # type: ignore[arg-type]
            text=data["text"],
            publish_at=data["publish_at"],
        )
        obj.pk = saved.pk
