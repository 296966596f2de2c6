from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from deskside.onsite.models import Visit, VisitEvent


class VisitEventInline(admin.TabularInline[VisitEvent, Visit]):
    model = VisitEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "kind", "actor_label", "data")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Visit | None = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin[Visit]):
    """Read-only: visits change through the desk, which sends the invitations."""

    list_display = ("id", "ticket", "status", "province", "technician", "start", "sequence")
    list_filter = ("status", "province", "technician")
    search_fields = ("ticket__subject", "address", "postal_code", "uid")
    readonly_fields = [f.name for f in Visit._meta.fields]
    inlines = [VisitEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Visit | None = None) -> bool:
        return False


@admin.register(VisitEvent)
class VisitEventAdmin(admin.ModelAdmin[VisitEvent]):
    list_display = ("created_at", "visit", "kind", "actor_label")
    list_filter = ("kind",)
    readonly_fields = ("visit", "kind", "actor", "actor_label", "data", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: VisitEvent | None = None) -> bool:
        return False
