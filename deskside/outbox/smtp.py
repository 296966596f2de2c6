"""Sending through Gmail's SMTP with OAuth 2.0 (EMAIL_AUTH=xoauth2): Django's SMTP backend,
signing in with an access token (deskside/oauth.py) instead of a password."""

from __future__ import annotations

import logging
import smtplib

from django.core.mail.backends.smtp import EmailBackend

from deskside import oauth

log = logging.getLogger("deskside.outbox")


class XOAuth2EmailBackend(EmailBackend):
    """Signs in with XOAUTH2 after the connection (and STARTTLS) is up. A refused access token
    (revoked, or expired early) is renewed once and tried again on the same connection."""

    def open(self) -> bool | None:
        # Django signs in only when it has a password; it has none, so the sign-in is ours.
        self.password = ""
        opened = super().open()
        if opened:
            try:
                self._sign_in()
            except BaseException:
                self.close()  # a connection nobody signed in on is of no use to the next mail
                raise
        return opened

    def _sign_in(self) -> None:
        try:
            self._authenticate(oauth.access_token())
        except smtplib.SMTPAuthenticationError as refused:
            log.info("outbox: the server refused the access token (%s); renewing it", refused)
            self._authenticate(oauth.access_token(renew=True))

    def _authenticate(self, token: str) -> None:
        connection = self.connection
        assert connection is not None  # open() made it just now
        connection.ehlo_or_helo_if_needed()

        # The first call sends the token; a later one answers the error challenge a refusal
        # comes with (Google's XOAUTH2 protocol) with an empty line, after which the server
        # says 535 and smtplib raises SMTPAuthenticationError.
        def answer(challenge: bytes | None = None) -> str:
            return "" if challenge is not None else oauth.xoauth2(self.username, token)

        connection.auth("XOAUTH2", answer, initial_response_ok=True)
