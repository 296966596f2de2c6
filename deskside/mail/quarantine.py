"""What a lead does with a quarantined mail: retry it, turn it into a ticket, or discard it.

Each is recorded: on the ticket's audit trail when a ticket results, and always on the mail's
row (who, when, what) and in the admin's own history.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from deskside.mail import decide, intake, rawstore
from deskside.mail.intake import Result
from deskside.mail.models import InboundMail, InboundStatus, Outcome
from deskside.tickets.actions import ActionError


def _note(inbound: InboundMail, by: User, what: str) -> str:
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return f"{inbound.reason}\n[{stamp}] {by.get_username()}: {what}".strip()


def _check_quarantined(inbound: InboundMail) -> None:
    if inbound.status != InboundStatus.QUARANTINED:
        raise ActionError(
            f"Mail {inbound.pk} is not in quarantine ({inbound.get_status_display()})."
        )


def retry(inbound: InboundMail, *, by: User) -> Result:
    """Process the mail again, e.g. after its sender became a known contact."""
    _check_quarantined(inbound)
    with transaction.atomic():
        InboundMail.objects.filter(pk=inbound.pk).update(
            status=InboundStatus.STORED, reason=_note(inbound, by, "retried")
        )
    return intake.process(inbound.pk)


@transaction.atomic
def make_ticket(inbound: InboundMail, *, by: User) -> Result:
    """Open a new ticket from the mail whatever threading said (an unverified reply that the
    lead vouches for): its severity still comes from the subject, as for any new mail."""
    inbound = InboundMail.objects.select_for_update().get(pk=inbound.pk)
    _check_quarantined(inbound)
    result = decide.open_as_new_ticket(inbound, rawstore.load(inbound.raw_sha256), by=by)
    inbound.status = InboundStatus.PROCESSED
    inbound.outcome = result.outcome
    inbound.reason = _note(inbound, by, f"turned into {result.ticket}")
    inbound.processed_at = timezone.now()
    inbound.save()
    return result


@transaction.atomic
def discard(inbound: InboundMail, *, by: User, why: str = "") -> None:
    """Keep the raw bytes but stop showing the mail as waiting for a decision."""
    inbound = InboundMail.objects.select_for_update().get(pk=inbound.pk)
    _check_quarantined(inbound)
    inbound.status = InboundStatus.DISCARDED
    inbound.outcome = Outcome.IGNORED
    inbound.reason = _note(inbound, by, f"discarded{': ' + why if why else ''}")
    inbound.save()
