"""What the desk writes to its log for requests it refuses by design."""

from __future__ import annotations

import io
import logging
import sys

import pytest


@pytest.fixture
def security_log():
    """What the DisallowedHost logger's own handler writes, as the console would show it."""
    handler = logging.getLogger("django.security.DisallowedHost").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_request_for_a_foreign_host_is_one_line_without_a_traceback(client, security_log):
    response = client.get("/portal/", HTTP_HOST="203.0.113.7")
    assert response.status_code == 400
    lines = security_log.getvalue().splitlines()
    assert len(lines) == 1, lines
    # Django's own sentence, which tells the operator what to add to ALLOWED_HOSTS.
    assert "django.security.DisallowedHost: Invalid HTTP_HOST header: '203.0.113.7'" in lines[0]
    assert "add '203.0.113.7' to ALLOWED_HOSTS" in lines[0]
    assert "Traceback" not in security_log.getvalue()


def test_other_errors_keep_their_traceback():
    """Only the refused host is shortened: the console handler still prints a stack."""
    console = logging.getLogger().handlers[0]
    assert type(console.formatter) is logging.Formatter  # the "plain" one, not WithoutTraceback
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("deskside").makeRecord(
            "deskside", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    assert "Traceback" in console.format(record)
