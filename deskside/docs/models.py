"""The documentation a level-4 ticket leads to: changes to the design or ops doc, or an explicit
"no change needed" with its reason. Only deskside.docs.actions writes these rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from deskside.tickets.models import Ticket


class Document(models.TextChoices):
    DESIGN_DOC = "design_doc", "Design doc"
    OPS_DOC = "ops_doc", "Ops doc"


class ChangeKind(models.TextChoices):
    CHANGE = "change", "Change"
    NO_CHANGE = "no_change", "No change needed"


class ChangeStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"


class DocChange(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="doc_changes")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices, default=ChangeKind.CHANGE)
    document = models.CharField(max_length=10, choices=Document.choices, blank=True)
    what = models.TextField(blank=True, help_text="What changes in the document.")
    where = models.CharField(
        max_length=300, blank=True, help_text="Section or page, e.g. '§4.2 Backups'."
    )
    reason = models.TextField(blank=True, help_text="Why no change is needed.")
    # A "no change needed" is done when it is written: nothing is left to do.
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PLANNED
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "ticket"], name="docchange_backlog")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind=ChangeKind.CHANGE)
                | (~models.Q(document="") & ~models.Q(what="")),
                name="docchange_change_has_document_and_what",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=ChangeKind.NO_CHANGE)
                | (~models.Q(reason="") & models.Q(status=ChangeStatus.DONE)),
                name="docchange_no_change_has_reason",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == ChangeKind.NO_CHANGE:
            return f"{self.ticket.ref}: no change needed"
        return f"{self.ticket.ref}: {self.get_document_display()} — {self.where or self.what[:40]}"

    def is_planned(self) -> bool:
        return self.status == ChangeStatus.PLANNED
