"""The one thing the reports keep: which organisations get their monthly report by mail."""

from __future__ import annotations

from django.db import models

from deskside.accounts.models import Contact, Organisation


class MonthlyMail(models.Model):
    """An organisation's monthly report by mail, set by a lead: sent on the first business day
    of each month, about the month before, to the contacts chosen (of that organisation only:
    a contact of another one is never sent it)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="monthly_mail"
    )
    contacts = models.ManyToManyField(
        Contact, related_name="+", help_text="Who gets the mail: contacts of this organisation."
    )
    enabled = models.BooleanField(default=True)
    last_month = models.DateField(
        null=True, blank=True, editable=False, help_text="The first day of the last month sent."
    )

    class Meta:
        verbose_name = "monthly report by mail"
        verbose_name_plural = "monthly reports by mail"

    def __str__(self) -> str:
        return f"Monthly report of {self.organisation}"
