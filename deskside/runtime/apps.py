from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """The processes that make up a running desk: supervisor, scheduler, and their leases."""

    name = "deskside.runtime"
    label = "runtime"
