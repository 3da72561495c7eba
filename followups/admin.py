"""Notification records in the admin, read-only: what was sent to whom, for support."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from followups.models import Delivery, Event


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(Event)
class EventAdmin(ReadOnly):
    list_display = ("key", "kind", "consultation", "created_at")
    list_filter = ("kind",)
    list_select_related = ("consultation",)
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("event", "user", "digest", "created_at", "sent_at")
    list_filter = ("digest",)
    list_select_related = ("event", "user")
    raw_id_fields = ("event", "user")
    show_full_result_count = False
