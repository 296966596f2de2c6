"""Finding the processes a test started, from /proc: below a parent, or by their data directory
once they have lost their parent."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state first, then the parent)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, read from /proc (children of children included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(entry.name)[1])
            except OSError:
                continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Running, that is: a zombie holds no port and no file and is not counted."""
    try:
        return _stat(pid)[0] != "Z"
    except OSError:
        return False


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return "?"


def using_data_under(folder: Path) -> list[int]:
    """The living processes whose DESKSIDE_DATA_DIR lies in `folder`, whoever their parent is
    now: an orphan is found by what it holds, not by its ancestry."""
    prefix = f"DESKSIDE_DATA_DIR={folder}/".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or another user's
            continue
        if any(variable.startswith(prefix) for variable in environ) and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_until_gone(pids: set[int], timeout: float) -> list[int]:
    """The processes of `pids` still alive after `timeout` seconds (checked as they go)."""
    deadline = time.monotonic() + timeout
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def deskside(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """One `deskside` command in a child process with `env`; its output captured, its exit
    code left to the caller to judge."""
    return subprocess.run(
        [sys.executable, "-m", "deskside.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
