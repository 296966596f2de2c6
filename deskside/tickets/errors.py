"""ActionError: a change the protocol does not allow, with a code and a translatable sentence.

Its own module, free of the actions, so that the rules which refuse (evidence, the close guards
other apps register) can say why in the same form as the actions do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils import translation

from deskside.core.errors import ErrorCode

if TYPE_CHECKING:  # the type of gettext_lazy's result exists in the stubs only
    from django.utils.functional import _StrPromise


class ActionError(Exception):
    """A change the protocol does not allow.

    `code` is stable, for machines (the API returns it, tests assert it); `message` is a lazy
    translatable sentence with named placeholders filled from `params`. `str(error)` is that
    sentence in English, for logs and the desk; `localized()` is in the active language, for
    the portal's clients. A parameter may itself be a lazy string, translated along with it."""

    def __init__(self, code: ErrorCode, message: _StrPromise, **params: object) -> None:
        self.code = code
        self.message = message
        self.params = params
        with translation.override("en"):
            super().__init__(self.localized())

    def localized(self) -> str:
        """The sentence in the active language."""
        return str(self.message) % {name: str(value) for name, value in self.params.items()}


def submit(request: HttpRequest, form: forms.Form, run: Callable[[dict[str, Any]], str]) -> bool:
    """A staff page's form sent: when it is valid, `run` does the change with its cleaned data
    and returns the sentence shown as a success message; a refusal becomes the form's error.
    True when the change was made (redirect); False to show the form again (422)."""
    if not form.is_valid():
        return False
    try:
        done = run(form.cleaned_data)
    except ActionError as error:
        form.add_error(None, str(error))
        return False
    messages.success(request, done)
    return True
