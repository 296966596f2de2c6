"""The desk's forms: the queue's filters and one form per ticket action."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from deskside.accounts.models import Contact
from deskside.accounts.names import display_name
from deskside.accounts.roles import Role
from deskside.core.levels import LEVELS
from deskside.core.widgets import QuickSelect
from deskside.db import row_id
from deskside.desk.bulk import BULK_CLOSE_REASONS
from deskside.tickets import policy
from deskside.tickets.level_choice import LevelChoice
from deskside.tickets.models import CloseReason, Milestone, Status, Ticket
from deskside.tickets.models.ticket import format_ref
from deskside.tickets.queue import Filters, Order
from deskside.tickets.uploads import (
    MOST_BYTES_PER_MESSAGE,
    MOST_FILES_PER_MESSAGE,
    MultipleFileField,
)

LEVEL_CHOICES = [(str(level), f"Level {level}") for level in LEVELS]


def assignable_staff() -> QuerySet[User]:
    """The people a ticket can be assigned to: active agents and leads (and administrators)."""
    working = Q(groups__name__in=[Role.AGENT, Role.LEAD]) | Q(is_superuser=True)
    return User.objects.filter(working, is_active=True).distinct().order_by("first_name", "pk")


def assignable_choices() -> tuple[tuple[str, str], ...]:
    """(pk, name) of the assignable staff, for the queue's filter: cached like the protocol's
    data (a change of staff or groups clears it), as the queue shows it on every view."""
    return policy.remembered(
        "assignable", lambda: tuple((str(u.pk), display_name(u)) for u in assignable_staff())
    )


class QueueFilterForm(forms.Form):
    """GET filters of the queue; a bad value is ignored rather than refused."""

    level = forms.TypedChoiceField(
        choices=[("", "Any level"), *LEVEL_CHOICES], coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(
        choices=[("", "Any open status"), *Status.choices],
        required=False,
        widget=QuickSelect,
    )
    assignee = forms.ChoiceField(required=False, widget=QuickSelect)
    organisation = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    waiting = forms.BooleanField(required=False, label="Waiting on client")
    breached = forms.BooleanField(required=False, label="Breached")
    soon = forms.BooleanField(required=False, label="Due within 2 business hours")
    order = forms.ChoiceField(
        choices=[
            (Order.QUEUE, "Most urgent first"),
            (Order.NEWEST, "Newest first"),
            (Order.OLDEST, "Oldest first"),
        ],
        required=False,
        label="Order",
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, staff: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = list(staff)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", "Anyone"),
            ("me", "Me"),
            ("unassigned", "Unassigned"),
            *people,
        ]

    def filters(self) -> Filters:
        self.is_valid()
        data = self.cleaned_data
        return Filters(
            level=data.get("level"),
            status=data.get("status") or None,
            assignee=data.get("assignee") or None,
            organisation=data.get("organisation"),
            waiting=bool(data.get("waiting")),
            breached=bool(data.get("breached")),
            soon=bool(data.get("soon")),
            order=Order(data.get("order") or Order.QUEUE),
        )


# What a reply may carry: the one limit of every web form (tickets/uploads.py), set by the mail
# the reply becomes.
REPLY_FILES_MAX_BYTES = MOST_BYTES_PER_MESSAGE
REPLY_FILES_MAX_COUNT = MOST_FILES_PER_MESSAGE


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Reply to the client",
        widget=forms.Textarea(attrs={"rows": 8, "data-reply-text": ""}),
        strip=False,
    )
    attachments = MultipleFileField(
        most=REPLY_FILES_MAX_COUNT,
        most_bytes=REPLY_FILES_MAX_BYTES,
        label=f"Attach files (sent with the mail, {REPLY_FILES_MAX_BYTES // 2**20} MB in all)",
        required=False,
    )


class NoteForm(forms.Form):
    text = forms.CharField(label="Internal note", widget=forms.Textarea(attrs={"rows": 4}))


class MilestoneForm(forms.Form):
    milestone = forms.ChoiceField(choices=Milestone.choices)


class ReassessForm(forms.Form):
    level = forms.TypedChoiceField(choices=LEVEL_CHOICES, coerce=int, label="New level")
    reason = forms.CharField(max_length=500, label="Why")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody", label="Assign to"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = assignable_staff()
        field.label_from_instance = display_name  # type: ignore[method-assign,assignment]


class TakeForm(forms.Form):
    """Assign the ticket to oneself: a button, no fields."""


# A duplicate is closed by merging it (MergeForm), which names the ticket it repeats.
CLOSE_CHOICES = [(v, label) for v, label in CloseReason.choices if v != CloseReason.DUPLICATE]


class CloseForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *CLOSE_CHOICES])
    note = forms.CharField(
        max_length=2000,
        required=False,
        label="Note for the history (the client never sees it)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client_text = forms.CharField(
        max_length=2000,
        required=False,
        label="Text for the client (added to the out-of-scope mail)",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Why reopen")
    level = forms.TypedChoiceField(
        choices=[("", "Keep the level"), *LEVEL_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
        label="At level",
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label="Resolution for the client",
        widget=forms.Textarea(attrs={"rows": 5}),
        strip=False,
        help_text="The mail says how to reopen: the client's answer, by mail or in the portal, "
        "reopens the ticket.",
    )


class WaitForm(forms.Form):
    note = forms.CharField(
        max_length=2000, required=False, label="What the client should do (for the history)"
    )


class ProposeForm(forms.Form):
    steps = forms.CharField(
        label="Steps for the client",
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        help_text="Mailed in the client's language; the ticket then waits on the client.",
    )


class RefusalForm(forms.Form):
    """Mark a client's mail as a refusal of the proposed steps."""

    message = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        max_length=2000,
        required=False,
        label="Reason (optional; the mail's text otherwise)",
    )


class TicketIdsField(forms.Field):
    """The ticked rows' ticket ids (checkboxes named `ticket`); anything not an id is dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        return [pk for v in value or () if (pk := row_id(str(v))) is not None]


class BulkForm(forms.Form):
    """One action on the tickets ticked in the queue (deskside/desk/bulk.py). The action is the
    button pressed; each action's fields are checked only when it is the one pressed. Its
    choices are the cached ones the queue's filters show: the form adds no query to the queue."""

    action = forms.ChoiceField(choices=[(a, a) for a in ("assign", "take", "note", "close")])
    ticket = TicketIdsField(required=False)
    assignee = forms.ChoiceField(required=False, label=_("Assign to"), widget=QuickSelect)
    note = forms.CharField(
        max_length=2000,
        required=False,
        label=_("Note (internal; when closing, for the history)"),
        widget=forms.TextInput,  # one line keeps the bar above the list short
    )
    reason = forms.ChoiceField(required=False, label=_("Close reason"), widget=QuickSelect)
    back = forms.CharField(required=False, max_length=2000)  # the queue's query string

    NEEDS = {
        "assign": ("assignee", _("Choose whom to assign the tickets to.")),
        "note": ("note", _("Write the note first.")),
        "close": ("reason", _("Choose the reason to close them.")),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)
        assignee.choices = [("", _("Choose someone")), *assignable_choices()]
        reason = self.fields["reason"]
        assert isinstance(reason, forms.ChoiceField)
        reason.choices = [
            ("", _("Choose a reason")),
            *((r.value, r.label) for r in BULK_CLOSE_REASONS),
        ]

    def clean_assignee(self) -> User | None:
        pk = self.cleaned_data.get("assignee")
        return assignable_staff().filter(pk=pk).first() if pk else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needs = self.NEEDS.get(data.get("action", ""))
        if needs and not data.get(needs[0]):
            self.add_error(None, needs[1])
        if not data.get("ticket"):
            self.add_error(None, _("Tick at least one ticket first."))
        return data


class PhoneTicketForm(LevelChoice):
    """A ticket an agent opens for a client who called: the client's words, typed in at the desk.
    The level is required, as in a mail's subject; each is shown with its definition."""

    contact = forms.ModelChoiceField(queryset=Contact.objects.all(), widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    level = forms.TypedChoiceField(
        label=_("Level"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the level the client's problem has.")},
    )
    text = forms.CharField(
        label=_("What the client said"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        strip=False,
        help_text=_("The client's words: they read them in the portal and the acknowledgement."),
    )
    attachments = MultipleFileField(
        most=REPLY_FILES_MAX_COUNT,
        most_bytes=REPLY_FILES_MAX_BYTES,
        label=_("Attach files (optional; up to 10 files, 15 MB in all)"),
        required=False,
    )


class TicketRefField(forms.CharField):
    """A ticket's reference ('CCS-1042', any case, or only its number): cleaned to the ticket."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Ticket:
        text = str(super().clean(value)).strip()
        number = row_id(text)
        ref = text if number is None else format_ref(number)
        found = Ticket.objects.by_ref(ref)
        if found is None:
            raise forms.ValidationError(f"There is no ticket {text}.", code="unknown_ticket")
        return found


class MergeForm(forms.Form):
    into = TicketRefField(label="Merge into ticket (its reference, e.g. CCS-1042)")
    note = forms.CharField(
        max_length=2000, required=False, label="Note for the history (the client never sees it)"
    )


class LinkForm(forms.Form):
    other = TicketRefField(label="Related ticket (its reference)")


class UnlinkForm(forms.Form):
    other = TicketRefField(widget=forms.HiddenInput)
