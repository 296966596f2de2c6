"""One request at a time through pytest-django's live server, when it shares an in-memory SQLite.

The live server is a threaded WSGI server, and on in-memory SQLite every one of its request
threads uses the one connection the test holds (there is no other way to see the test's data).
Two requests at once on one sqlite3 connection — a draft's autosave overlapping a navigation —
fail with `sqlite3.InterfaceError: bad parameter or other API misuse`. Django's own
LiveServerTestCase avoids it (ticket #29062); pytest-django's fixture does not, so the tests
serialise the requests here: the lock is held from the application's call until its response is
closed (a streamed CSV reads the database while it is written), never across a keep-alive
connection, so a browser's parallel requests still all get answered, one after the other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Application = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class OneRequestAtATime:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        self.lock.acquire()
        try:
            return _Answer(self.app(environ, start_response), self.lock)
        except BaseException:
            self.lock.release()
            raise


class _Answer:
    """The application's response, releasing the lock when the server closes it (as WSGI says it
    must, also when the client went away mid-way)."""

    def __init__(self, body: Iterable[bytes], lock: threading.Lock) -> None:
        self.body = body
        self.lock: threading.Lock | None = lock

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            if self.lock is not None:
                self.lock.release()
                self.lock = None
