"""How the desk's log lines look, and which are written.

Quiet by default: a line per mail processed and per error, and nothing for what runs every few
seconds. The task worker's two lines per task run (Django's own receivers of task_started and
task_finished write them at INFO: the outbox's every 15 s, the clock sweep's every 30 s) are
written at DEBUG instead; a failed run is still an ERROR with its traceback. Gunicorn's access
log is off unless DESKSIDE_ACCESS_LOG is on (the proxy in front keeps one).

DESKSIDE_LOG_FORMAT=json writes one JSON object per line (time, level, logger, message and, for
an error, exception) for every part of the desk, gunicorn included.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

type _ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
type Format = Literal["plain", "json"]

LINE = "%(asctime)s %(levelname)s %(name)s: %(message)s"
tasks_log = logging.getLogger("deskside.tasks")


class WithoutTraceback(logging.Formatter):
    """One line per record, its traceback left out: for requests that are refused by design
    (a scanner naming a host we do not serve), where the stack says nothing about our code."""

    def formatException(self, ei: _ExcInfo | tuple[None, None, None]) -> str:
        return ""


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line: a traceback is a string inside it."""

    def __init__(self, *, with_traceback: bool = True) -> None:
        super().__init__()
        self.with_traceback = with_traceback

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and self.with_traceback:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def _formatters(form: Format) -> dict[str, dict[str, Any]]:
    if form == "json":
        return {
            "full": {"()": "deskside.runtime.logs.JsonLines"},
            "short": {"()": "deskside.runtime.logs.JsonLines", "with_traceback": False},
        }
    return {
        "full": {"format": LINE},
        "short": {"()": "deskside.runtime.logs.WithoutTraceback", "format": LINE},
    }


def django_config(form: Format, level: str) -> dict[str, Any]:
    """The LOGGING setting."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": _formatters(form),
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "full"},
            "short": {"class": "logging.StreamHandler", "formatter": "short"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # A request for a host not in ALLOWED_HOSTS (scanners try the bare IP) is answered
            # 400; a line says so, without Django's traceback for every one of them.
            "django.security.DisallowedHost": {"handlers": ["short"], "propagate": False},
        },
    }


def gunicorn_config(form: Format, *, access_log: bool) -> dict[str, Any]:
    """Gunicorn's own logging (--log-config-json): its warnings and errors, and its access log
    when asked for, in the desk's format."""
    handler = {"class": "logging.StreamHandler", "formatter": "full", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": _formatters(form),
        "handlers": {"console": handler},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "WARNING", "propagate": False},
            "gunicorn.access": {
                "handlers": ["console"],
                "level": "INFO" if access_log else "WARNING",
                "propagate": False,
            },
        },
    }


def quiet_task_runs() -> None:
    """Write the worker's lines about task runs at DEBUG instead of Django's INFO."""
    from django.tasks import signals

    signals.task_started.disconnect(signals.log_task_started)
    signals.task_finished.disconnect(signals.log_task_finished)
    signals.task_started.connect(_started, dispatch_uid="deskside.task_started")
    signals.task_finished.connect(_finished, dispatch_uid="deskside.task_finished")


def _started(sender: object, task_result: Any, **kwargs: object) -> None:
    tasks_log.debug("task %s (%s) started", task_result.task.module_path, task_result.id)


def _finished(sender: object, task_result: Any, **kwargs: object) -> None:
    from django.tasks import TaskResultStatus

    # Sent inside the worker's exception handler when the task raised: the traceback is there.
    failed = sys.exc_info()
    if failed[0] is not None or task_result.status == TaskResultStatus.FAILED:
        tasks_log.error(
            "task %s (%s) failed",
            task_result.task.module_path,
            task_result.id,
            exc_info=failed if failed[0] is not None else None,
        )
        return
    tasks_log.debug(
        "task %s (%s) finished: %s",
        task_result.task.module_path,
        task_result.id,
        task_result.status,
    )
