"""The runtime Python: the interpreter that runs Deskside carries its series' security fixes.

From issue #13 ("the runtime Python (3.12.1) lacks the fix for CVE-2024-6923"), CVE-2024-6923
(CPython gh-121650: email headers with encoded newlines written unquoted, fixed in 3.12.5 and
3.13.0), OWASP ASVS 4.0.3 V14.2.1 (components up to date) and CWE-1104 (unmaintained
third-party components). The minimum per series is written once, in scripts/find-python.sh.
"""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from deskside.outbox.send import HeaderInjection, queue

ROOT = Path(__file__).resolve().parents[2]
FIND_PYTHON = ROOT / "scripts" / "find-python.sh"
# A subject whose encoded word (RFC 2047) decodes to a line break and a Bcc header.
HOSTILE = (
    b"From: a@example.com\r\nSubject: =?utf-8?q?Hello=0D=0ABcc:_mallory@evil.example?=\r\n\r\n"
)


def minimums() -> dict[tuple[int, int], tuple[int, ...]]:
    """Each series' minimum patch level, as find-python.sh states it."""
    line = re.search(r"^MINIMUMS=\((.*)\)$", FIND_PYTHON.read_text(), re.M)
    assert line is not None
    versions = [tuple(int(p) for p in v.split(".")) for v in re.findall(r'"([\d.]+)"', line[1])]
    return {(v[0], v[1]): v for v in versions}


def patched_python_on_this_machine() -> bool:
    """Whether find-python.sh finds a Python at its minimum here, without downloading one."""
    uv = ROOT / ".tools" / "bin" / "uv"
    env = dict(os.environ) | ({"UV": str(uv)} if uv.exists() else {})
    found = subprocess.run(
        [str(FIND_PYTHON), "--installed-only"], env=env, capture_output=True, timeout=120
    )
    return found.returncode == 0


def unpatched_here_for_want_of_a_patched_one(fixed_in: tuple[int, ...]) -> None:
    """xfail, with the reason in pytest's summary, when this interpreter predates `fixed_in`
    and this machine has no patched Python at all (uv downloads them from GitHub, which some
    machines cannot reach: README, Security). Where a patched one is here, the test fails:
    `make setup` would have taken it."""
    running = sys.version_info[:3]
    if running < fixed_in and not patched_python_on_this_machine():
        pytest.xfail(
            f"Python {'.'.join(map(str, running))} predates "
            f"{'.'.join(map(str, fixed_in))} and no patched Python is on this machine"
        )


def test_the_interpreter_has_the_security_fixes_of_its_series():
    """ASVS V14.2.1, CWE-1104: at least the release that carries the series' latest security
    fixes (scripts/find-python.sh, README: Security)."""
    minimum = minimums().get(sys.version_info[:2])
    assert minimum is not None, f"Python {sys.version_info[:2]} is not a supported series"
    unpatched_here_for_want_of_a_patched_one(minimum)
    assert sys.version_info[:3] >= minimum


def test_the_email_package_does_not_write_an_encoded_line_break_as_a_header():
    """CVE-2024-6923's reproducer: a header read from a mail (the Subject above) copied into a
    new message must not come out as a second header. Fixed in 3.12.5 and 3.13.0."""
    unpatched_here_for_want_of_a_patched_one(
        (3, 12, 5) if sys.version_info[:2] == (3, 12) else (3, 13, 0)
    )
    subject = email.message_from_bytes(HOSTILE, policy=policy.SMTP)["Subject"]
    answer = EmailMessage(policy=policy.SMTP)
    answer["From"] = "support@deskside.test"
    answer["Subject"] = subject
    try:
        written = answer.as_bytes()
    except email.errors.HeaderWriteError:
        return  # refused: as good as quoted
    headers = written.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert not any(line.lower().startswith(b"bcc:") for line in headers), headers


@pytest.mark.django_db
def test_desksides_own_mail_refuses_that_subject_on_any_python():
    """CWE-93 (CRLF injection) at our outbox, whatever the interpreter: the decoded subject
    of CVE-2024-6923's reproducer is refused before it is queued."""
    subject = str(email.message_from_bytes(HOSTILE, policy=policy.SMTP)["Subject"])
    with pytest.raises(HeaderInjection):
        queue(to=["claire@acme.example"], subject=subject, text="Hello", purpose="reply")
