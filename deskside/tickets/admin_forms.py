"""The forms a lead edits the protocol with in the admin: levels and the business calendar.

Each value is entered in the protocol's own terms rather than as the JSON or Python value it is
stored as: durations as "8 h" or "3 business days" (never a timedelta's "1 day, 0:00:00", which
meant 24 business hours), the goal's milestones as choices, opening hours as rows of a weekday
and two times. What is stored is unchanged, so the clocks read the same rows as before.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from deskside.core.durations import FORMAT_HINT, DurationError, format_duration, parse_duration
from deskside.tickets.models import BusinessCalendar, Milestone, SeverityLevel
from deskside.tickets.models.policy import BUSINESS_DAY, opening_hours_errors

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]

# The help under each duration of a level; on the form rather than the model, so that rewording
# it needs no migration.
_DAY_IS = "a business day is one day of opening hours, 8 h"
DURATION_HELP = {
    "first_response": "Business time to the first public reply, e.g. 30 min or 8 h.",
    "update_interval": "Business time between updates, e.g. 2 h; empty for none.",
    "goal": f"Business time to the goal milestone, e.g. 10 business days ({_DAY_IS}).",
    "documentation": "Business time to correct the documentation (level 4), e.g. 20 business "
    "days; empty for none.",
    "reminder_first_after": "Business time of silence before the first reminder, e.g. 2 "
    "business days.",
    "reminder_second_after": "Business time of silence before the second reminder, e.g. 4 "
    "business days.",
    "close_after": "Business time of silence before closing as client unavailable, e.g. 5 "
    "business days.",
    "reopen_within": "Business time after a close in which a client's reply reopens the ticket, "
    "e.g. 10 business days; later, the reply opens a new, linked ticket.",
}


def in_words(duration: timedelta | None) -> str:
    """A stored business duration as the admin shows it; "—" for none."""
    if duration is None:
        return "—"
    try:
        return format_duration(duration, BUSINESS_DAY)
    except ValueError:  # a fraction of a second, stored before this form: shown as it is
        return str(duration)


class BusinessDurationInput(forms.TextInput):
    """A text box that shows a business duration in words."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"placeholder": "e.g. 8 h or 3 business days", "spellcheck": "false"}
        super().__init__({**defaults, "autocomplete": "off", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, timedelta):
            return in_words(value)
        shown: str | None = super().format_value(value)
        return shown


class BusinessDurationField(forms.Field):
    """Business time written as "30 min", "8 h" or "3 business days" (a business day being one
    day of the calendar's opening hours, 8 h); cleaned to a timedelta of business time."""

    widget = BusinessDurationInput
    default_error_messages = {"invalid": FORMAT_HINT}

    def prepare_value(self, value: Any) -> Any:
        return in_words(value) if isinstance(value, timedelta) else value

    def to_python(self, value: Any) -> timedelta | None:
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        try:
            duration = parse_duration(str(value), BUSINESS_DAY)
        except DurationError as refused:
            raise ValidationError(str(refused), code="invalid") from None
        if duration <= timedelta(0):
            # A clock of zero would be breached the moment it starts.
            raise ValidationError(
                f"A clock of zero is due at once: give a longer time. {FORMAT_HINT}", code="zero"
            )
        return duration

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            changed: bool = self.to_python(data) != initial
        except ValidationError:
            return True
        return changed


class SeverityLevelForm(forms.ModelForm[SeverityLevel]):
    goal_milestones = forms.MultipleChoiceField(
        choices=Milestone.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Recording any of these meets the goal.",
        error_messages={
            "required": "Choose at least one milestone: without one, no ticket of this level "
            "could meet its goal.",
            "invalid_choice": "%(value)s is not a milestone: choose among the ones listed.",
        },
    )

    class Meta:
        model = SeverityLevel
        fields = "__all__"
        field_classes = dict.fromkeys(DURATION_HELP, BusinessDurationField)
        help_texts = DURATION_HELP


class OpeningPeriodForm(forms.Form):
    """One row of the opening hours: a weekday, from, until."""

    # The blank choice keeps an empty extra row empty: a preselected Monday would make it a
    # half-filled row that the form then refuses.
    weekday = forms.TypedChoiceField(choices=[("", "—"), *WEEKDAYS], coerce=int, empty_value=None)
    opens = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    closes = forms.TimeField(label="Until", widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens"), data.get("closes")
        for name in ("opens", "closes"):
            moment = data.get(name)
            if isinstance(moment, time) and (moment.second or moment.microsecond):
                self.add_error(name, "Give whole minutes, e.g. 09:00.")
        if opens is not None and closes is not None and not opens < closes:
            raise ValidationError("The desk must open before it closes (From before Until).")
        return data

    def row(self) -> list[object]:
        """The period as the calendar stores it: [weekday, "HH:MM", "HH:MM"]."""
        data = self.cleaned_data
        return [data["weekday"], f"{data['opens']:%H:%M}", f"{data['closes']:%H:%M}"]


class BaseOpeningHoursFormSet(forms.BaseFormSet[OpeningPeriodForm]):
    def clean(self) -> None:
        if any(self.errors):
            return
        rows = self.rows()
        if not rows:
            raise ValidationError(
                "Give at least one opening period: a desk that is never open runs no clock."
            )
        error = opening_hours_errors(rows).get("opening_hours")
        if error:  # overlapping periods of one day
            raise ValidationError(error)

    def rows(self) -> list[list[object]]:
        """The filled rows not marked for deletion, by weekday and opening time."""
        kept = [
            form.row()
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        return sorted(kept, key=lambda row: (int(str(row[0])), str(row[1])))


# formset_factory returns the class it was given a subclass of; its stubs only say BaseFormSet.
OpeningHoursFormSet = cast(
    type[BaseOpeningHoursFormSet],
    forms.formset_factory(
        OpeningPeriodForm, formset=BaseOpeningHoursFormSet, extra=2, can_delete=True
    ),
)


class BusinessCalendarForm(forms.ModelForm[BusinessCalendar]):
    """The calendar with its opening hours as rows (`self.hours`), stored as the same JSON."""

    class Meta:
        model = BusinessCalendar
        exclude = ["opening_hours"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        initial = [
            {"weekday": day, "opens": opens, "closes": closes}
            for day, opens, closes in self.instance.opening_hours or []
        ]
        self.hours: BaseOpeningHoursFormSet = OpeningHoursFormSet(
            self.data if self.is_bound else None, prefix="hours", initial=initial
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.hours.is_valid():
            raise ValidationError("Correct the opening hours below.")
        self.instance.opening_hours = self.hours.rows()
        return data

    def has_changed(self) -> bool:
        return super().has_changed() or self.hours.has_changed()
