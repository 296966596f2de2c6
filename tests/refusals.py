"""`refused(code)`: the block raises ActionError with that code (the stable name a client or
the API matches on, whatever the sentence says)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from deskside.core.errors import ErrorCode
from deskside.tickets.errors import ActionError


@contextmanager
def refused(code: ErrorCode) -> Iterator[pytest.ExceptionInfo[ActionError]]:
    with pytest.raises(ActionError) as caught:
        yield caught
    assert caught.value.code == code, f"{caught.value.code}: {caught.value}"
