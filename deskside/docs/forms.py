"""The forms of documentation changes."""

from __future__ import annotations

from django import forms

from deskside.docs.models import ChangeStatus, Document


class ChangeForm(forms.Form):
    document = forms.ChoiceField(choices=Document.choices)
    what = forms.CharField(
        label="What changes", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    where = forms.CharField(label="Where (section or page)", max_length=300, required=False)
    status = forms.ChoiceField(choices=ChangeStatus.choices, initial=ChangeStatus.PLANNED)


class NoChangeForm(forms.Form):
    reason = forms.CharField(
        label="Why no change is needed", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
