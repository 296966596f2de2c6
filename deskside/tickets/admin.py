"""The admin: a lead edits the protocol's data here and reads tickets and their audit trail.

Tickets are read-only in the admin on purpose: every change to a ticket goes through the actions
(and so through the state machine and the audit trail), which the desk calls.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from deskside.accounts.admin import ReadOnlyAdmin
from deskside.tickets.admin_forms import BusinessCalendarForm, SeverityLevelForm, in_words
from deskside.tickets.models import (
    Attachment,
    BusinessCalendar,
    ClosingDate,
    Event,
    FloodAlarm,
    Message,
    Milestone,
    Notification,
    NotificationSetting,
    PublicHoliday,
    SeverityLevel,
    Ticket,
    TicketLink,
)


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "direction", "kind", "sender", "subject", "visible_text")


class EventInline(ReadOnlyInline):
    model = Event
    fields = ("created_at", "kind", "actor_label", "data")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    list_display = (
        "ref",
        "subject",
        "contact",
        "claimed_severity",
        "severity",
        "status",
        "assignee",
        "nearest_due",
        "received_at",
    )
    list_filter = ("status", "severity", "close_reason", "language", "assignee")
    search_fields = ("subject", "contact__email", "organisation__name")
    list_select_related = ("contact", "assignee")
    date_hierarchy = "received_at"
    inlines = [MessageInline, EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Ticket | None = None) -> list[str]:
        return [f.name for f in Ticket._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False

    @admin.display(description="reference", ordering="id")
    def ref(self, obj: Ticket) -> str:
        return obj.ref


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin[Event]):
    """The audit trail can be searched but never edited."""

    list_display = ("created_at", "ticket", "kind", "actor_label")
    list_filter = ("kind",)
    search_fields = ("actor_label",)
    list_select_related = ("ticket",)
    raw_id_fields = ("ticket",)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    list_display = ("filename", "content_type", "size", "message")
    search_fields = ("filename", "sha256")
    readonly_fields = (
        "message",
        "stored_name",
        "filename",
        "content_type",
        "size",
        "sha256",
        "content_id",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ("created_at", "ticket", "direction", "kind", "sender", "subject")
    list_filter = ("direction", "kind")
    search_fields = ("subject", "sender", "message_id")
    raw_id_fields = ("ticket", "author")

    def get_readonly_fields(self, request: HttpRequest, obj: Message | None = None) -> list[str]:
        return [f.name for f in Message._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SeverityLevel)
class SeverityLevelAdmin(admin.ModelAdmin[SeverityLevel]):
    """The four levels, their durations in business words ("8 h", "3 business days")."""

    form = SeverityLevelForm
    list_display = (
        "level",
        "name_en",
        "effort",
        "first_response_words",
        "update_interval_words",
        "goal_words",
        "documentation_words",
    )
    ordering = ("level",)
    readonly_fields = ("level",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # exactly the four levels of the protocol

    def has_delete_permission(self, request: HttpRequest, obj: SeverityLevel | None = None) -> bool:
        return False

    @admin.display(description="first response")
    def first_response_words(self, obj: SeverityLevel) -> str:
        return in_words(obj.first_response)

    @admin.display(description="update interval")
    def update_interval_words(self, obj: SeverityLevel) -> str:
        return in_words(obj.update_interval)

    @admin.display(description="goal")
    def goal_words(self, obj: SeverityLevel) -> str:
        labels = dict(Milestone.choices)  # an unknown one stored before validation: as it is
        milestones = ", ".join(str(labels.get(m, m)).lower() for m in obj.goal_milestones)
        return f"{in_words(obj.goal)}: {milestones}"

    @admin.display(description="documentation")
    def documentation_words(self, obj: SeverityLevel) -> str:
        return in_words(obj.documentation)


class ClosingDateInline(admin.TabularInline[ClosingDate, BusinessCalendar]):
    model = ClosingDate
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin[BusinessCalendar]):
    """Opening hours as weekday and time rows (change_form.html renders `form.hours`)."""

    form = BusinessCalendarForm
    list_display = ("name", "timezone", "holiday_country", "is_default")
    inlines = [ClosingDateInline]


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin[PublicHoliday]):
    """Seeded for Belgium 2000-2100; a lead adds one a new law brings, or another country's."""

    list_display = ("date", "name", "country")
    list_filter = ("country",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin[Notification]):
    """Who was told what, and when they read it: the answer to "was I ever told?"."""

    list_display = ("created_at", "user", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "user__username")
    list_select_related = ("user",)


@admin.register(NotificationSetting)
class NotificationSettingAdmin(ReadOnlyAdmin[NotificationSetting]):
    list_display = ("user", "kind", "delivery")
    list_select_related = ("user",)


@admin.register(TicketLink)
class TicketLinkAdmin(ReadOnlyAdmin[TicketLink]):
    list_display = ("source", "kind", "target", "created_at")
    list_select_related = ("source", "target")
    raw_id_fields = ("source", "target")


@admin.register(FloodAlarm)
class FloodAlarmAdmin(ReadOnlyAdmin[FloodAlarm]):
    """Which flood caps tripped, and when the administrators were last told."""

    list_display = ("key", "told_at")
    search_fields = ("key",)
