"""How the desk's log lines look."""

from __future__ import annotations

import logging
from types import TracebackType

type _ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class WithoutTraceback(logging.Formatter):
    """One line per record, its traceback left out: for requests that are refused by design
    (a scanner naming a host we do not serve), where the stack says nothing about our code."""

    def formatException(self, ei: _ExcInfo | tuple[None, None, None]) -> str:
        return ""
