from django.contrib import admin

from deskside.accounts.admin import ReadOnlyAdmin
from deskside.leases import Lease
from deskside.runtime.models import Tally, TallyMark


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin[Lease]):
    """Who runs the scheduler and each mailbox poller right now (read-only)."""

    list_display = ("name", "holder", "expires_at")
    readonly_fields = ("name", "holder", "expires_at")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Tally)
class TallyAdmin(ReadOnlyAdmin[Tally]):
    """The counters of /metrics (deskside/runtime/tally.py), as counted so far."""

    list_display = ("name", "labels", "value")


@admin.register(TallyMark)
class TallyMarkAdmin(ReadOnlyAdmin[TallyMark]):
    """How far each counter of /metrics has counted its table."""

    list_display = ("name", "counted_to", "seen_to", "seen_at")
