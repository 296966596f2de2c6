"""`deskside ingest [--received-at ISO8601] [FILE ...]`: the pipe door for an MTA.

One JSON line per message. Exit 0 when every message was accepted (kept, whatever its outcome),
75 (EX_TEMPFAIL) when one could not be stored so that the MTA retries, 64 on wrong usage.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from deskside.mail.intake import TemporaryFailure, ingest_many
from deskside.mail.models import Door
from deskside.mail.received import stored_envelope_sender

EX_USAGE, EX_TEMPFAIL = 64, 75
log = logging.getLogger("deskside.mail")


class Command(BaseCommand):
    help = "Store and process mail from files or standard input; prints one JSON line each."
    # An MTA bounces a mail on most exit codes: a problem elsewhere in the project (a system
    # check) must not cost a client's mail. Only 0, 64 and 75 ever leave this command.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = self._usage  # type: ignore[method-assign]
        return parser

    def _usage(self, message: str) -> None:
        self.stderr.write(f"deskside ingest: {message}")
        raise SystemExit(EX_USAGE)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="RFC 5322 messages (default: standard input)")
        parser.add_argument("--received-at", help="when the mail arrived, ISO 8601 with offset")
        parser.add_argument(
            "--sender",
            default=None,
            help="the envelope sender (the MTA's ${sender}); empty for a bounce",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        received_at = self._received_at(options["received_at"])
        sources: list[Path | None] = [Path(f) for f in options["files"]] or [None]
        raws = [self._read(source) for source in sources]  # usage errors before any work
        try:
            for result in ingest_many(
                raws,
                door=Door.PIPE,
                received_at=received_at,
                envelope_sender=stored_envelope_sender(options["sender"]),
            ):
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        except TemporaryFailure as error:
            self.stderr.write(f"deskside ingest: {error}; try again later")
            raise SystemExit(EX_TEMPFAIL) from None
        except Exception as error:  # a bug must make the MTA retry, never bounce the mail
            log.exception("deskside ingest failed")
            self.stderr.write(f"deskside ingest: unexpected error ({error}); try again later")
            raise SystemExit(EX_TEMPFAIL) from None

    def _received_at(self, text: str | None) -> datetime | None:
        if text is None:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            self._usage(f"--received-at {text!r} is not an ISO 8601 time")
        if value.tzinfo is None:
            self._usage(f"--received-at {text!r} needs a UTC offset, e.g. {text}+01:00")
        return value

    def _read(self, source: Path | None) -> bytes:
        if source is None:
            return sys.stdin.buffer.read()
        try:
            return source.read_bytes()
        except OSError as error:
            self._usage(f"cannot read {source}: {error.strerror}")
            raise  # unreachable: _usage exits
