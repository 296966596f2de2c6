from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """The processes that make up a running desk: supervisor, scheduler, and their leases."""

    name = "deskside.runtime"
    label = "runtime"

    def ready(self) -> None:
        from django.tasks.signals import task_enqueued

        from deskside.runtime import logs, worker

        logs.quiet_task_runs()
        task_enqueued.connect(worker.notify, dispatch_uid="deskside.runtime.worker.notify")
