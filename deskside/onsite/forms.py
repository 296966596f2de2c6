"""The forms of on-site visits: request, schedule, cancel, report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth.models import User

from deskside.accounts.names import display_name
from deskside.onsite.actions import technicians

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class RequestForm(forms.Form):
    reason = forms.CharField(
        label="Why it cannot be solved remotely",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ScheduleForm(forms.Form):
    technician = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)
    start = forms.DateTimeField(
        label="Start (Brussels time)",
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMATS[0]),
    )
    minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=15, max_value=8 * 60, initial=120
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["technician"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = technicians()
        field.label_from_instance = display_name  # type: ignore[method-assign,assignment]

    def duration(self) -> timedelta:
        return timedelta(minutes=int(self.cleaned_data["minutes"]))


class CancelForm(forms.Form):
    reason = forms.CharField(label="Why cancel", max_length=500)


class ReportForm(forms.Form):
    outcome = forms.CharField(
        label="Outcome", max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )
    minutes = forms.IntegerField(label="Time spent (minutes)", min_value=1, max_value=24 * 60)
    solved = forms.TypedChoiceField(
        label="Solved",
        choices=[("yes", "Yes, the problem is solved"), ("no", "No, not solved")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    def time_spent(self) -> timedelta:
        return timedelta(minutes=int(self.cleaned_data["minutes"]))
