"""The `deskside` command: Django's manage.py plus Deskside's own commands."""

from __future__ import annotations

import os
import sys

EX_CONFIG, EX_TEMPFAIL = 2, 75


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskside.settings")
    from deskside.config import ConfigError, prepare

    # For the pipe door a broken set-up is temporary: the MTA keeps the mail and retries,
    # where any other exit code would bounce the client's mail.
    failure_code = EX_TEMPFAIL if args[:1] == ["ingest"] else EX_CONFIG
    try:
        import django

        prepare()
        django.setup()
    except ConfigError as error:
        # A bad environment variable is the operator's to fix: one sentence, no traceback.
        print(f"deskside: configuration error: {error}", file=sys.stderr)
        return failure_code
    from django.core.management import execute_from_command_line

    execute_from_command_line(["deskside", *args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
