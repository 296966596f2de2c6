from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhooks: queued with the change that causes them, signed, sent with retries."""

    name = "deskside.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
