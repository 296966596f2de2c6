from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from deskside.docs.models import DocChange


@admin.register(DocChange)
class DocChangeAdmin(admin.ModelAdmin[DocChange]):
    """Read-only: changes are recorded from the ticket page, which keeps the ticket's history."""

    list_display = ("ticket", "kind", "document", "where", "status", "updated_at", "updated_by")
    list_filter = ("kind", "document", "status")
    search_fields = ("what", "where", "reason", "ticket__subject")
    readonly_fields = [f.name for f in DocChange._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DocChange | None = None) -> bool:
        return False
