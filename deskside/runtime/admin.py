from django.contrib import admin

from deskside.leases import Lease


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin[Lease]):
    """Who runs the scheduler and each mailbox poller right now (read-only)."""

    list_display = ("name", "holder", "expires_at")
    readonly_fields = ("name", "holder", "expires_at")

    def has_add_permission(self, request: object) -> bool:
        return False
