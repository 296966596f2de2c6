from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The clients' portal: sign-in by link, their organisation's tickets, new tickets."""

    name = "deskside.portal"
    label = "portal"
