from django.contrib import admin

from deskside.leases import Lease
from deskside.runtime.models import Tally, TallyMark


class ReadOnly[M: (Lease, Tally, TallyMark)](admin.ModelAdmin[M]):
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin[Lease]):
    """Who runs the scheduler and each mailbox poller right now (read-only)."""

    list_display = ("name", "holder", "expires_at")
    readonly_fields = ("name", "holder", "expires_at")

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Tally)
class TallyAdmin(ReadOnly[Tally]):
    """The counters of /metrics (deskside/runtime/tally.py), as counted so far."""

    list_display = ("name", "labels", "value")


@admin.register(TallyMark)
class TallyMarkAdmin(ReadOnly[TallyMark]):
    """How far each counter of /metrics has counted its table."""

    list_display = ("name", "counted_to", "seen_to", "seen_at")
