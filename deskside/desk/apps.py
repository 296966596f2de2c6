from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The agents' desk: the queue, the ticket page, search (staff only)."""

    name = "deskside.desk"
    label = "desk"
