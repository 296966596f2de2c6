"""The severity picker of the forms that open a ticket (the portal's, the desk's for a phone
call): the four levels as radio buttons, each with its definition in the reader's language.
Its template is deskside/templates/severity_picker.html."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundWidget

from deskside.tickets.models import SeverityLevel


class LevelChoice(forms.Form):
    """A form with a `level` field, offered as the four levels, each with its definition."""

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.levels = list(SeverityLevel.objects.order_by("level"))
        self.language = language
        level = self.fields["level"]
        assert isinstance(level, forms.TypedChoiceField)
        level.choices = [(row.level, row.name_in(language)) for row in self.levels]

    def severity_options(self) -> list[tuple[BoundWidget, SeverityLevel, str]]:
        """Each radio button with its level and the definition shown under its label."""
        radios = self["level"].subwidgets
        return [
            (radio, row, row.definition_in(self.language))
            for radio, row in zip(radios, self.levels, strict=True)
        ]
