from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Every mail Deskside sends: queued with the change that causes it, sent with retries."""

    name = "deskside.outbox"
    label = "outbox"
