from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """The processes that make up a running desk: supervisor, scheduler, and their leases."""

    name = "deskside.runtime"
    label = "runtime"

    def ready(self) -> None:
        from deskside.runtime import logs

        logs.quiet_task_runs()
