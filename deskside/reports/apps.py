from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "deskside.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # The rollup is kept in each action's transaction (deskside/reports/rollup.py).
        from django.db.models.signals import post_delete, post_save

        from deskside.docs.models import DocChange
        from deskside.reports import rollup
        from deskside.tickets import hooks

        hooks.on_change(rollup.mark_stale)
        # A documentation change stops the documentation clock; most edits record a note, the
        # signal also covers those that do not (withdrawing a "no change needed").
        post_save.connect(_doc_changed, sender=DocChange, dispatch_uid="reports-doc-save")
        post_delete.connect(_doc_changed, sender=DocChange, dispatch_uid="reports-doc-delete")


def _doc_changed(instance: object, **kwargs: object) -> None:
    from deskside.reports import rollup

    ticket_id = getattr(instance, "ticket_id", None)
    if isinstance(ticket_id, int):
        rollup.mark_stale(ticket_id)
