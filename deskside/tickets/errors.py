"""ActionError: a change the protocol does not allow, with a code and a translatable sentence.

Its own module, free of the actions, so that the rules which refuse (evidence, the close guards
other apps register) can say why in the same form as the actions do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
