"""`deskside gmail connect`: store the OAuth credentials Gmail's XOAUTH2 needs (docs/gmail.md).

With `--refresh-token` the token is one the lead already has (e.g. from Google's OAuth
Playground); without it the command prints the consent address and reads back the address the
browser was sent to (or the code in it). Either way the token endpoint is asked for an access
token first, and nothing is stored that it refused.
"""

from __future__ import annotations

import getpass
import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskside import oauth


class Command(BaseCommand):
    help = "Store Gmail's OAuth 2.0 client and refresh token in the data folder (mode 0600)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["connect"])
        parser.add_argument("--client-id", required=True, help="the OAuth client ID (Desktop)")
        parser.add_argument(
            "--client-secret",
            default=os.environ.get("DESKSIDE_OAUTH_CLIENT_SECRET", ""),
            help="the client secret; else DESKSIDE_OAUTH_CLIENT_SECRET, else asked for",
        )
        parser.add_argument(
            "--refresh-token",
            default="",
            help="a refresh token you already have; else the consent is done here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret = options["client_secret"] or getpass.getpass("Client secret: ")
        code = "" if options["refresh_token"] else self._consent(options["client_id"])
        try:
            stored = oauth.connect(
                options["client_id"], secret, refresh_token=options["refresh_token"], code=code
            )
        except oauth.OAuthError as error:
            raise CommandError(f"nothing stored: {error}") from None
        lifetime = stored.expires_at - time.time()
        self.stdout.write(
            f"Stored in {oauth.credentials_path()} (mode 0600). The token endpoint issued an "
            f"access token valid for {lifetime:.0f} s; Deskside renews it from now on."
        )

    def _consent(self, client_id: str) -> str:
        self.stdout.write(
            "Open this address in a browser, sign in as the support mailbox and allow access:\n\n"
            f"  {oauth.consent_url(client_id)}\n\n"
            "The browser then goes to an address on 127.0.0.1 that does not load; copy that whole "
            "address from the address bar (or only its code=...) and paste it here."
        )
        self.stdout.flush()
        code = oauth.code_from(sys.stdin.readline())
        if not code:
            raise CommandError("nothing stored: no authorization code was pasted")
        return code
