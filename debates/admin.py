"""The admin: moderators keep every consultation civil; organisers run their own.

Object-level rules (an organiser only sees and edits the consultations they
organise) live in one place, `debates.admin_scope.ScopedAdminMixin`, which
every admin class below uses for its queryset, its object permissions and its
history pages. Numbers are read-only since they are the permanent public
addresses, and nothing can be deleted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from debates import moderation, rules
from debates.admin_scope import ScopedAdminMixin, scope, selected
from debates.models import (
    Argument,
    CalendarChange,
    Consultation,
    Contribution,
    Debate,
    Endorsement,
    ModerationEvent,
    Proposal,
    Report,
    ReportedContribution,
    Source,
    Vote,
)


class HideForm(forms.Form):
    # The import-only reason is not a moderator's decision: never offered.
    reason = forms.ChoiceField(label=_("Motif (public)"), choices=moderation.HIDE_CHOICES)
    note = forms.CharField(
        label=_("Précision (publique, facultative)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def contributions_of(request: HttpRequest, queryset: QuerySet[Any]) -> list[Contribution]:
    return list(Contribution.objects.filter(pk__in=selected(request, queryset)))


class ModerationActions:
    """The hide / unhide actions, shared by the contribution admins and the queue."""

    actions = ["hide_selected", "unhide_selected", "dismiss_reports"]

    def _refuse_outside_scope(self, request: HttpRequest, items: list[Contribution]) -> None:
        if not request.user.has_perm("debates.moderate_contribution"):
            raise PermissionDenied
        allowed = set(
            Contribution.objects.filter(moderation.in_consultations(scope(request)))
            .filter(pk__in=[c.pk for c in items])
            .values_list("pk", flat=True)
        )
        if any(c.pk not in allowed for c in items):
            raise PermissionDenied

    @admin.action(description=_("Masquer avec un motif"))
    def hide_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        items = contributions_of(request, queryset)
        self._refuse_outside_scope(request, items)
        form = HideForm(
            request.POST if "apply" in request.POST else None,
            initial={"reason": moderation.most_reported_reason(items)},
        )
        if form.is_valid():
            done = 0
            for item in items:
                if not item.is_hidden:
                    moderation.hide(contribution=item, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
                    done += 1
            self.message_user(  # type: ignore[attr-defined]
                request, _("%d contribution(s) masquée(s).") % done, messages.SUCCESS
            )
            return None
        context = {
            **admin.site.each_context(request),
            "title": _("Masquer des contributions"),
            "items": moderation.in_context(items),
            "form": form,
            "action": "hide_selected",
            "opts": self.model._meta,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/debates/hide_confirmation.html", context)

    @admin.action(description=_("Rétablir (démasquer)"))
    def unhide_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        items = contributions_of(request, queryset)
        self._refuse_outside_scope(request, items)
        done = 0
        for item in items:
            if item.is_hidden:
                try:
                    moderation.unhide(contribution=item, actor=request.user)  # type: ignore[arg-type]
                except ValidationError as error:
                    self.message_user(request, error.messages[0], messages.WARNING)  # type: ignore[attr-defined]
                    continue
                done += 1
        self.message_user(  # type: ignore[attr-defined]
            request, _("%d contribution(s) rétablie(s).") % done, messages.SUCCESS
        )

    @admin.action(description=_("Classer les signalements sans suite"))
    def dismiss_reports(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        items = contributions_of(request, queryset)
        self._refuse_outside_scope(request, items)
        closed = sum(
            moderation.dismiss_reports(contribution=item, actor=request.user)  # type: ignore[arg-type]
            for item in items
        )
        self.message_user(  # type: ignore[attr-defined]
            request, _("%d signalement(s) classé(s).") % closed, messages.SUCCESS
        )


class HiddenFilter(admin.SimpleListFilter):
    title = _("modération")
    parameter_name = "masquee"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("oui", _("Masquées")), ("non", _("Visibles"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "oui":
            return queryset.filter(hidden_at__isnull=False)
        if self.value() == "non":
            return queryset.filter(hidden_at__isnull=True)
        return queryset


class ContributionAdmin(ScopedAdminMixin, ModerationActions, SimpleHistoryAdmin):
    readonly_fields = (
        "number",
        "original_number",
        "created_at",
        "hidden_at",
        "hidden_reason",
        "hidden_note",
        "hidden_by",
    )
    raw_id_fields = ("author",)
    search_fields = ("=number", "author__username", "author__display_name")
    ordering = ("-number",)
    show_full_result_count = False  # COUNT(*) over a national consultation is slow

    def may_change(self, request: HttpRequest, obj: Contribution) -> bool:
        # The closing gate: once closed, only the moderation actions change a contribution.
        return rules.staff_may_rewrite(self.consultation_of(obj)).allowed

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Contributions are posted by citizens or imported, never typed into the admin.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Nothing is hard-deleted: moderation hides with a reason.
        return False

    @admin.display(description=_("état"), boolean=False)
    def state(self, obj: Contribution) -> str:
        return str(_("masquée")) if obj.is_hidden else ""


@admin.register(Proposal)
class ProposalAdmin(ContributionAdmin):
    scope_lookup = "debate__consultation"
    list_display = ("number", "title", "author", "debate", "created_at", "state")
    list_filter = (HiddenFilter, ("debate__consultation", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("author", "debate")
    search_fields = (*ContributionAdmin.search_fields, "title")
    fields = (
        "number",
        "debate",
        "author",
        "title",
        "body",
        "created_at",
        "updated_at",
        "hidden_at",
        "hidden_reason",
        "hidden_note",
        "hidden_by",
    )
    raw_id_fields = ("author", "debate")


@admin.register(Argument)
class ArgumentAdmin(ContributionAdmin):
    scope_lookup = "proposal__debate__consultation"
    list_display = ("number", "stance", "author", "proposal", "created_at", "state")
    list_filter = (
        HiddenFilter,
        "stance",
        ("proposal__debate__consultation", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("author", "proposal")
    fields = (
        "number",
        "proposal",
        "stance",
        "author",
        "body",
        "created_at",
        "updated_at",
        "hidden_at",
        "hidden_reason",
        "hidden_note",
        "hidden_by",
    )
    raw_id_fields = ("author", "proposal")


@admin.register(Source)
class SourceAdmin(ContributionAdmin):
    scope_lookup = "proposal__debate__consultation"
    list_display = ("number", "title", "url", "author", "proposal", "created_at", "state")
    list_filter = (
        HiddenFilter,
        ("proposal__debate__consultation", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("author", "proposal")
    search_fields = (*ContributionAdmin.search_fields, "title", "url")
    fields = (
        "number",
        "proposal",
        "author",
        "title",
        "url",
        "category",
        "description",
        "created_at",
        "hidden_at",
        "hidden_reason",
        "hidden_note",
        "hidden_by",
    )
    raw_id_fields = ("author", "proposal")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class QueueConsultationFilter(admin.SimpleListFilter):
    title = _("consultation")
    parameter_name = "consultation"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[int, str]]:
        return [(c.pk, c.title) for c in scope(request).order_by("title")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        if not str(self.value()).isdigit():
            return queryset.none()
        chosen = scope(request).filter(pk=self.value())
        return queryset.filter(moderation.in_consultations(chosen))


@admin.register(ReportedContribution)
class ModerationQueueAdmin(ScopedAdminMixin, ModerationActions, admin.ModelAdmin):
    # Three columns, so that the text and the reasons fit beside the menu and
    # the filters at 1280 px (number, kind, open reports and state share the first).
    list_display = ("entry", "excerpt", "reasons")
    list_filter = (QueueConsultationFilter, HiddenFilter)
    list_display_links = None
    search_fields = ("=number",)
    show_full_result_count = False

    def scope_filter(self, request: HttpRequest) -> Q:
        return moderation.in_consultations(scope(request))

    def consultation_of(self, obj: Contribution) -> Consultation:
        return moderation.consultation_of(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        open_reports = Report.objects.open().order_by("-created_at")
        queryset = (
            Contribution.objects.filter(reports__isnull=False)
            .annotate(
                open_count=Count("reports", filter=Q(reports__resolved_at__isnull=True)),
                report_count=Count("reports"),
            )
            .select_related(
                "as_proposal",
                "as_argument__proposal",
                "as_source__proposal",
            )
            .prefetch_related(Prefetch("reports", open_reports, to_attr="open_list"))
            .order_by("-open_count", "-number")
        )
        return self.scoped(request, queryset)

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # Open reports first; the changelist would otherwise impose Meta.ordering.
        return ["-open_count", "-number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        if not request.user.has_perm("debates.moderate_contribution"):
            return False
        return obj is None or self.in_scope(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.display(description=_("contribution"), ordering="number")
    def entry(self, obj: Contribution) -> str:
        return format_html(
            "{}<br><small>{}</small><br>{}{}",
            obj.number,
            obj.get_kind_display(),
            ngettext(
                "%(open)d signalement ouvert sur %(all)d",
                "%(open)d signalements ouverts sur %(all)d",
                obj.open_count,  # type: ignore[attr-defined]
            )
            % {"open": obj.open_count, "all": obj.report_count},  # type: ignore[attr-defined]
            format_html("<br><strong>{}</strong>", _("masquée")) if obj.is_hidden else "",
        )

    @admin.display(description=_("texte en contexte"))
    def excerpt(self, obj: Contribution) -> str:
        if obj.kind == "proposal":
            item, context = obj.as_proposal, ""
            text = f"{item.title} — {item.body}"
        elif obj.kind == "argument":
            item = obj.as_argument
            context, text = item.proposal.title, f"[{item.get_stance_display()}] {item.body}"
        else:
            item = obj.as_source
            context, text = item.proposal.title, f"{item.title} — {item.url}"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">#{}</a> {}<br><small>{}</small>',
            obj.get_absolute_url(),
            obj.number,
            Truncator(text).chars(300),
            Truncator(context).chars(120),
        )

    @admin.display(description=_("signalements ouverts"), ordering="open_count")
    def open_reports(self, obj: Contribution) -> str:
        return f"{obj.open_count} / {obj.report_count}"  # type: ignore[attr-defined]

    @admin.display(description=_("motifs"))
    def reasons(self, obj: Contribution) -> str:
        return format_html_join(
            mark_safe("<br>"),
            "{}{}",
            (
                (
                    r.get_reason_display(),
                    f" : {Truncator(r.comment).chars(160)}" if r.comment else "",
                )
                for r in obj.open_list  # type: ignore[attr-defined]
            ),
        )


@admin.register(Report)
class ReportAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("contribution", "reason", "comment", "reporter", "created_at", "resolved_at")
    list_filter = ("reason", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("contribution", "reporter")
    readonly_fields = ("contribution", "reporter", "reason", "comment", "created_at")
    fields = (*readonly_fields, "resolved_at", "resolved_by")
    raw_id_fields = ("resolved_by",)
    show_full_result_count = False

    def scope_filter(self, request: HttpRequest) -> Q:
        ids = Contribution.objects.filter(moderation.in_consultations(scope(request)))
        return Q(contribution__in=ids.values("pk"))

    def consultation_of(self, obj: Report) -> Consultation:
        return moderation.consultation_of(obj.contribution)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Records nobody edits: citizens' votes and endorsements, the moderation log."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read-only records that keep a history (votes, endorsements)."""


@admin.register(ModerationEvent)
class ModerationEventAdmin(ReadOnlyAdmin):
    # The log itself has no history table (each line is written once): its
    # history page is the admin's own, not django-simple-history's.
    scope_lookup = "consultation"
    list_display = ("at", "consultation", "contribution", "action", "reason", "role", "actor")
    list_filter = ("action", "role", ("consultation", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("consultation", "contribution", "actor")


class CalendarChangeInline(admin.TabularInline):
    model = CalendarChange
    fk_name = "consultation"
    fields = (
        "at",
        "kind",
        "previous_opens_at",
        "previous_closes_at",
        "opens_at",
        "closes_at",
        "by",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DebateInline(admin.TabularInline):
    model = Debate
    fields = ("title", "slug", "position")
    extra = 0
    show_change_link = True


class ConsultationForm(forms.ModelForm):
    class Meta:
        model = Consultation
        fields = [
            "title",
            "slug",
            "description",
            "opens_at",
            "closes_at",
            "organisers",
            "is_draft",
            "requires_verified_accounts",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at:
            try:
                moderation.validate_dates(opens_at, closes_at)
            except ValidationError as error:
                self.add_error("closes_at", error)
        return data


@admin.register(Consultation)
class ConsultationAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    form = ConsultationForm
    list_display = ("title", "slug", "opens_at", "closes_at", "phase_label", "is_draft")
    list_filter = ("is_draft",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    # Thousands of accounts after an import: search them, never list them all.
    autocomplete_fields = ("organisers",)
    inlines = [DebateInline, CalendarChangeInline]
    actions = ["close_now", "reopen_for_a_week", "publish"]
    scope_lookup = "pk"

    def may_change(self, request: HttpRequest, obj: Consultation) -> bool:
        # Moderators see every consultation; only its organisers (or a superuser) run it.
        return moderation.may_schedule(request.user, obj)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # A new consultation starts as a draft, seen only by its organisers.
        return {"is_draft": True, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: Consultation, form: Any, change: bool) -> None:
        if change and {"opens_at", "closes_at"} & set(form.changed_data):
            # Dates go through reschedule(): it records the dated public notice.
            new_dates = (obj.opens_at, obj.closes_at)
            previous = Consultation.objects.get(pk=obj.pk)
            obj.opens_at, obj.closes_at = previous.opens_at, previous.closes_at
            super().save_model(request, obj, form, change)
            moderation.reschedule(
                consultation=obj, opens_at=new_dates[0], closes_at=new_dates[1], by=request.user
            )
            return
        super().save_model(request, obj, form, change)
        if not change and not request.user.is_superuser:
            obj.organisers.add(request.user)

    def _schedulable(
        self, request: HttpRequest, queryset: QuerySet[Consultation]
    ) -> list[Consultation]:
        items = list(Consultation.objects.filter(pk__in=selected(request, queryset)))
        if any(not moderation.may_schedule(request.user, c) for c in items):  # type: ignore[arg-type]
            raise PermissionDenied
        return items

    @admin.action(description=_("Clore maintenant"))
    def close_now(
        self, request: HttpRequest, queryset: QuerySet[Consultation]
    ) -> HttpResponse | None:
        items = self._schedulable(request, queryset)
        if "apply" not in request.POST:
            # Closing cannot be taken back silently: say what happens, then act
            # only on the confirming POST.
            context = {
                **admin.site.each_context(request),
                "title": _("Clore maintenant"),
                "items": items,
                "action": "close_now",
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/debates/close_confirmation.html", context)
        for consultation in items:
            if consultation.is_open:
                moderation.close_now(consultation=consultation, by=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Consultation(s) close(s)."), messages.SUCCESS)
        return None

    @admin.action(description=_("Rouvrir pour sept jours"))
    def reopen_for_a_week(self, request: HttpRequest, queryset: QuerySet[Consultation]) -> None:
        until = timezone.now() + timezone.timedelta(days=7)
        for consultation in self._schedulable(request, queryset):
            if consultation.is_closed:
                moderation.reopen(consultation=consultation, closes_at=until, by=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Consultation(s) rouverte(s)."), messages.SUCCESS)

    @admin.action(description=_("Publier"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Consultation]) -> None:
        for consultation in self._schedulable(request, queryset):
            if consultation.is_draft:
                consultation.is_draft = False
                consultation.save(update_fields=["is_draft"])
        self.message_user(request, _("Consultation(s) publiée(s)."), messages.SUCCESS)

    @admin.display(description=_("état"))
    def phase_label(self, obj: Consultation) -> str:
        return str(obj.phase.label)


@admin.register(Debate)
class DebateAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ("title", "consultation", "position")
    list_filter = (("consultation", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("consultation",)
    search_fields = ("title",)
    prepopulated_fields = {"slug": ("title",)}
    scope_lookup = "consultation"

    def may_change(self, request: HttpRequest, obj: Debate) -> bool:
        return moderation.may_schedule(request.user, obj.consultation)  # type: ignore[arg-type]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "consultation" and not request.user.is_superuser:
            kwargs["queryset"] = Consultation.objects.filter(organisers=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Vote)
class VoteAdmin(ReadOnlyHistoryAdmin):
    scope_lookup = "proposal__debate__consultation"
    list_display = ("proposal", "value", "user", "updated_at")
    list_filter = ("value", "proposal__debate__consultation")
    list_select_related = ("proposal", "user")
    raw_id_fields = ("proposal", "user")
    show_full_result_count = False


@admin.register(Endorsement)
class EndorsementAdmin(ReadOnlyHistoryAdmin):
    scope_lookup = "argument__proposal__debate__consultation"
    list_display = ("argument", "user", "created_at")
    list_filter = ("argument__proposal__debate__consultation",)
    list_select_related = ("argument", "user")
    raw_id_fields = ("argument", "user")
    show_full_result_count = False
