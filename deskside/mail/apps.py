from django.apps import AppConfig


class MailConfig(AppConfig):
    """Mail intake: three doors (IMAP, SMTP, pipe), one pipeline, and quarantine."""

    name = "deskside.mail"
    label = "mail"
