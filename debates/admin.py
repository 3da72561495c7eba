"""The admin: moderators browse and edit everything, with history.

Moderation proper (hiding with a reason, reports, roles) comes later; numbers
are read-only here since they are the permanent public addresses.
"""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from debates.models import Argument, Consultation, Debate, Endorsement, Proposal, Source, Vote


class DebateInline(admin.TabularInline):
    model = Debate
    fields = ("title", "slug", "position")
    extra = 0
    show_change_link = True


@admin.register(Consultation)
class ConsultationAdmin(SimpleHistoryAdmin):
    list_display = ("title", "slug", "opens_at", "closes_at", "phase_label")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("organisers",)
    inlines = [DebateInline]
    date_hierarchy = "opens_at"

    @admin.display(description=_("état"))
    def phase_label(self, obj: Consultation) -> str:
        return str(obj.phase.label)


@admin.register(Debate)
class DebateAdmin(SimpleHistoryAdmin):
    list_display = ("title", "consultation", "position")
    list_filter = ("consultation",)
    list_select_related = ("consultation",)
    search_fields = ("title",)
    prepopulated_fields = {"slug": ("title",)}


class ContributionAdmin(SimpleHistoryAdmin):
    readonly_fields = ("number", "original_number", "created_at")
    raw_id_fields = ("author",)
    search_fields = ("=number", "author__username", "author__display_name")
    ordering = ("-number",)
    show_full_result_count = False  # COUNT(*) over a national consultation is slow

    def has_add_permission(self, request: object) -> bool:
        # Contributions are posted by citizens or imported, never typed into the admin.
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        # Nothing is hard-deleted: moderation hides with a reason.
        return False


@admin.register(Proposal)
class ProposalAdmin(ContributionAdmin):
    list_display = ("number", "title", "author", "debate", "created_at")
    list_filter = ("debate__consultation",)
    list_select_related = ("author", "debate")
    search_fields = (*ContributionAdmin.search_fields, "title")
    fields = ("number", "debate", "author", "title", "body", "created_at", "updated_at")
    raw_id_fields = ("author", "debate")


@admin.register(Argument)
class ArgumentAdmin(ContributionAdmin):
    list_display = ("number", "stance", "author", "proposal", "created_at")
    list_filter = ("stance", "proposal__debate__consultation")
    list_select_related = ("author", "proposal")
    fields = ("number", "proposal", "stance", "author", "body", "created_at", "updated_at")
    raw_id_fields = ("author", "proposal")


@admin.register(Source)
class SourceAdmin(ContributionAdmin):
    list_display = ("number", "title", "url", "author", "proposal", "created_at")
    list_filter = ("proposal__debate__consultation",)
    list_select_related = ("author", "proposal")
    search_fields = (*ContributionAdmin.search_fields, "title", "url")
    fields = ("number", "proposal", "author", "title", "url", "description", "created_at")
    raw_id_fields = ("author", "proposal")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Citizens' votes are theirs: moderators may look, never change or add."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ("proposal", "value", "user", "updated_at")
    list_filter = ("value", "proposal__debate__consultation")
    list_select_related = ("proposal", "user")
    raw_id_fields = ("proposal", "user")
    show_full_result_count = False


@admin.register(Endorsement)
class EndorsementAdmin(ReadOnlyAdmin):
    list_display = ("argument", "user", "created_at")
    list_filter = ("argument__proposal__debate__consultation",)
    list_select_related = ("argument", "user")
    raw_id_fields = ("argument", "user")
    show_full_result_count = False
