"""The portal's forms; every label and message a client reads is translated."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from deskside.core.limits import ADDRESS
from deskside.tickets.level_choice import LevelChoice
from deskside.tickets.uploads import (
    MOST_BYTES_PER_MESSAGE,
    MOST_FILES_PER_MESSAGE,
    MultipleFileField,
)

# The desk's limit (tickets/uploads.py): what a client attaches, an agent can send on.
MAX_UPLOAD = MOST_BYTES_PER_MESSAGE
MAX_FILES = MOST_FILES_PER_MESSAGE


class SignInLinkForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=ADDRESS)


class PasswordSignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=ADDRESS)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=2000)


def attachments_field() -> MultipleFileField:
    return MultipleFileField(
        most=MAX_FILES,
        most_bytes=MAX_UPLOAD,
        label=_("Attachments"),
        required=False,
        help_text=_("Optional; up to 10 files, 15 MB in all."),
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write a few words before sending your reply.")},
    )
    attachments = attachments_field()


def level_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Severity"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _(
                "Choose the severity level that fits your problem: every ticket needs one."
            )
        },
    )


class ReplyWithLevelForm(LevelChoice, ReplyForm):
    """A reply that needs a level: to a ticket closed for want of one, or one that opens a new
    ticket because the old one was closed too long ago."""

    level = level_field()


class NewTicketForm(LevelChoice):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        error_messages={"required": _("Give your ticket a short subject.")},
    )
    level = level_field()
    description = forms.CharField(
        label=_("Description"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happens, since when, and what you already tried."),
        error_messages={"required": _("Describe the problem so that we can start on it.")},
    )
    attachments = attachments_field()
