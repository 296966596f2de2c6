"""Files people upload through the web (the portal's client, the desk's agent), as the ticket
actions take them: several under one form field, within a count and a size, names cleaned as
for mail attachments."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from deskside.core.filenames import normalise_filename
from deskside.tickets.actions import NewFile

# The most files one message may carry through any web form, and their most weight together: one
# limit for the portal's client and the desk's agent, so that neither is told a different number
# and whatever a client sends, an agent can send on. It is the desk's: a reply goes out by mail,
# which most mail servers refuse above 20-25 MB once base64 has made its files a third larger.
# runtime/request_limits.py refuses a larger request before reading it.
MOST_FILES_PER_MESSAGE = 10
MOST_BYTES_PER_MESSAGE = 15 * 1024 * 1024


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files, up to `most` of them and `most_bytes` together; cleans to a list."""

    def __init__(self, *, most: int, most_bytes: int, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)
        self.most, self.most_bytes = most, most_bytes

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in items if item]
        files = [f for f in files if f]
        if len(files) > self.most:
            raise forms.ValidationError(
                gettext("Attach at most %(count)d files to one message.") % {"count": self.most}
            )
        total = sum(f.size or 0 for f in files)
        if total > self.most_bytes:
            # The limit alone: both sizes, rounded, would read "15.0 MB; the limit is 15.0 MB".
            raise forms.ValidationError(
                gettext("Together the files are over the limit of %(limit)s.")
                % {"limit": filesizeformat(self.most_bytes)}
            )
        return files


def new_files(uploads: Sequence[UploadedFile[Any]]) -> tuple[NewFile, ...]:
    """Uploaded files as the actions take them; names cleaned as for mail attachments."""
    files = []
    for index, upload in enumerate(uploads, start=1):
        name = normalise_filename(upload.name or "") or f"attachment-{index}"
        content_type = (
            upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        files.append(NewFile(filename=name, content_type=content_type, payload=upload.read()))
    return tuple(files)
