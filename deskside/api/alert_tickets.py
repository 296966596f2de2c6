"""What a monitoring alert does to the desk (docs/api.md, Monitoring alerts).

One alert (an organisation's, by its fingerprint) has one ticket while that ticket is not
closed. What an alert does, by what the AlertTicket row knows of it:

- firing, unknown (or its ticket closed and this is a new episode): opens a ticket through the
  actions, at the level its labels map to, so that a level 1 or 2 alerts the agents on duty as a
  mail would;
- firing again after it resolved (a later `startsAt`): the client's message on its ticket, which
  resumes a ticket that waits on the client or was resolved, and tells its assignee;
- firing still (the same `startsAt`): Alertmanager repeats it every group and repeat interval.
  Within REPEAT_WINDOW of what the ticket last heard, nothing; past it, one internal note;
- resolved: an internal note with when, once.

A payload posted again (Alertmanager retries one it has no answer to) thus changes nothing, and
a retry that comes after a later payload (older `startsAt`, or firing after the resolution of
the same episode) is ignored. The organisation's row is locked while a payload is read, so that
two deliveries at once cannot both open a ticket for the same alert.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from deskside.accounts.models import Contact, Organisation
from deskside.api.models import AlertRouting, AlertTicket, ApiToken
from deskside.tickets import actions
from deskside.tickets.models import Direction, Door, MessageKind, Status, Ticket

REPEAT_WINDOW = timedelta(hours=1)

OUTCOMES_DOC = (
    "`opened` a ticket, `firing_again` (a message on its ticket), `still_firing` (a note), "
    "`resolved` (a note), or `unchanged` (a repeat, a retry, or the resolution of an alert "
    "without a ticket)."
)


@dataclass(frozen=True)
class Alert:
    source: str  # Alertmanager or Grafana
    firing: bool
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    fingerprint: str
    links: dict[str, str]  # name → address: the graph, the dashboard, the silence…
    values: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "").strip() or "Alert"


@dataclass(frozen=True)
class Done:
    alert: Alert
    outcome: str
    ticket: Ticket | None

    def answer(self) -> dict[str, str | None]:
        return {
            "fingerprint": self.alert.fingerprint,
            "status": "firing" if self.alert.firing else "resolved",
            "outcome": self.outcome,
            "ticket": self.ticket.ref if self.ticket is not None else None,
        }


def fingerprint(labels: dict[str, str]) -> str:
    """For a sender that gives none: a hash of the labels, which is what Alertmanager's is."""
    text = "\x00".join(f"{k}\x01{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def receive(
    alerts: list[Alert], *, token: ApiToken, contact: Contact, organisation: Organisation
) -> list[Done]:
    routing = AlertRouting.objects.filter(token=token).first() or AlertRouting(token=token)
    with transaction.atomic():
        # FOR NO KEY UPDATE: two deliveries of one payload wait for each other, while the
        # organisation's mail and portal tickets (whose foreign keys take KEY SHARE) go on.
        organisation = Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)
        return [_one(alert, organisation, contact, routing) for alert in alerts]


def _one(alert: Alert, org: Organisation, contact: Contact, routing: AlertRouting) -> Done:
    row = (
        AlertTicket.objects.select_related("ticket")
        .filter(organisation=org, fingerprint=alert.fingerprint)
        .first()
    )
    if not alert.firing:
        return _resolved(alert, row, contact)
    closed = row is not None and row.ticket.status == Status.CLOSED
    if row is None or (closed and alert.starts_at > row.starts_at):
        return _open(alert, row, org, contact, routing)
    if alert.starts_at > row.starts_at:
        return _firing_again(alert, row, contact)
    now = timezone.now()
    if alert.starts_at < row.starts_at or not row.firing or closed:
        return Done(alert, "unchanged", row.ticket)  # a late retry, or a closed episode
    if now - row.noted_at < REPEAT_WINDOW:
        return Done(alert, "unchanged", row.ticket)
    text = f"{alert.source}: still firing (since {_when(alert.starts_at)}).\n\n{_details(alert)}"
    ticket = _note(row.ticket, text, contact)
    _remember(row, alert, noted_at=now, firing=True)
    return Done(alert, "still_firing", ticket)


def _open(
    alert: Alert, row: AlertTicket | None, org: Organisation, contact: Contact, rt: AlertRouting
) -> Done:
    level, why = rt.level_of(alert.labels)
    summary = alert.annotations.get("summary", "").strip()
    subject = f"{alert.name}: {summary}" if summary else alert.name
    text = f"{alert.source}: firing since {_when(alert.starts_at)}.\n\n{_details(alert)}"
    ticket = actions.open_ticket(
        contact=contact,
        subject=" ".join(subject.split()),
        claimed_severity=level,
        received_at=timezone.now(),
        message=_from_client(contact, subject, text),
        by=actions.Actor.client(contact),
        note=f"opened by an {alert.source} alert through the API ({why} → level {level})",
        door=Door.API,
    )
    if row is None:
        row = AlertTicket(organisation=org, fingerprint=alert.fingerprint)
    row.ticket = ticket
    _remember(row, alert, noted_at=timezone.now(), firing=True)
    return Done(alert, "opened", ticket)


def _firing_again(alert: Alert, row: AlertTicket, contact: Contact) -> Done:
    """A new episode on a ticket still being worked on: the client's own system says it is
    down again, which is what the client would write."""
    text = f"{alert.source}: firing again since {_when(alert.starts_at)}.\n\n{_details(alert)}"
    subject = f"Re: [{row.ticket.ref}] {row.ticket.subject}"
    ticket = actions.receive_from_client(
        row.ticket, _from_client(contact, subject, text), by=actions.Actor.client(contact)
    )
    _remember(row, alert, noted_at=timezone.now(), firing=True)
    return Done(alert, "firing_again", ticket)


def _resolved(alert: Alert, row: AlertTicket | None, contact: Contact) -> Done:
    if row is None or not row.firing or alert.starts_at != row.starts_at:
        return Done(alert, "unchanged", row.ticket if row is not None else None)
    at = alert.ends_at or timezone.now()
    text = f"{alert.source}: resolved at {_when(at)} (firing since {_when(alert.starts_at)})."
    ticket = _note(row.ticket, text, contact)
    _remember(row, alert, noted_at=timezone.now(), firing=False)
    return Done(alert, "resolved", ticket)


def _remember(row: AlertTicket, alert: Alert, *, noted_at: datetime, firing: bool) -> None:
    row.starts_at = alert.starts_at
    row.noted_at = noted_at
    row.firing = firing
    row.save()


def _note(ticket: Ticket, text: str, contact: Contact) -> Ticket:
    """An internal note from the monitoring: for the agents, without a notice to anyone."""
    new = actions.NewMessage(
        direction=Direction.INTERNAL, kind=MessageKind.NOTE, text=text, sender=contact.email
    )
    return actions.add_system_message(ticket, new, by=actions.Actor.client(contact))


def _from_client(contact: Contact, subject: str, text: str) -> actions.NewMessage:
    return actions.NewMessage(
        direction=Direction.INBOUND,
        # The API's messages are the portal's kind: what a client sent by the web, not a mail.
        kind=MessageKind.WEB,
        text=text,
        sender=contact.email,
        subject=subject,
        created_at=timezone.now(),
    )


def _details(alert: Alert) -> str:
    """The alert as a person reads it: what it says, its labels, where to look."""
    parts = [f"{k}: {v}" for k, v in sorted(alert.annotations.items())]
    if alert.values:
        parts.append(f"values: {alert.values}")
    parts.append("Labels:\n" + "\n".join(f"  {k}={v}" for k, v in sorted(alert.labels.items())))
    parts += [f"{name}: {url}" for name, url in alert.links.items()]
    parts.append(f"Fingerprint: {alert.fingerprint}")
    return "\n\n".join(parts)


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
