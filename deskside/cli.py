"""The `deskside` command: Django's manage.py plus Deskside's own commands."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskside.settings")
    from deskside.config import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as error:
        # A bad environment variable is the operator's to fix: one sentence, no traceback.
        print(f"deskside: configuration error: {error}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    execute_from_command_line(["deskside", *(sys.argv[1:] if argv is None else argv)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
