"""The runtime tests start whole desks; none may outlive its test, whatever the test did."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from tests.runtime.desks import desk, start_desk  # noqa: F401 - fixtures of every runtime test
from tests.runtime.postgres import new_database, postgres_server  # noqa: F401 - fixtures
from tests.runtime.processes import command, using_data_under, wait_until_gone

# A desk stopped with SIGTERM is gone when its supervisor exits; one whose supervisor was killed
# takes about a second. Ten seconds leaves room for a loaded machine.
GRACE = 10.0


@pytest.fixture(autouse=True)
def _no_process_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After each test, no process whose data directory is in this session's temporary folder
    is still running (the runtime tests give every process they start a data directory there).
    Those left behind fail the test and are killed, so that the next test starts clean; the
    folder is this session's own, so another run's processes are never touched."""
    yield
    folder = tmp_path_factory.getbasetemp()
    left = wait_until_gone(set(using_data_under(folder)), GRACE)
    described = [f"{pid}: {command(pid)}" for pid in left]
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue  # it went at the last moment
    assert described == [], "processes left behind:\n" + "\n".join(described)
