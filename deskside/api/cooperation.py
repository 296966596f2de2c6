"""/api/v1/tickets/{ref}/refusal and /steps-worked: the client's answer to proposed steps.

The portal's two buttons beside the proposal (deskside/portal/views/tickets.py), through the
same actions with the same source: a client token speaks for its contact as the portal does.
A ticket without open steps is refused by the action (`no_proposed_steps`), a closed one too
(`already_closed`); staff record a mailed refusal in the desk, not here (`client_only`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Router

from deskside.accounts.models import Contact
from deskside.api.auth import Caller, caller
from deskside.api.problems import WRITES, ApiProblem
from deskside.api.schemas import In, TicketDetail, detail
from deskside.core.cooperation import RefusalSource
from deskside.tickets import actions
from deskside.tickets.models import Ticket

router = Router(tags=["cooperation"])


class RefusalIn(In):
    reason: str = Field(default="", max_length=2000, description="Why, for the agent.")


def _client_ticket(who: Caller, ref: str) -> tuple[Ticket, Contact]:
    ticket = who.ticket(ref)
    who.require_write()
    if who.contact is None:
        raise ApiProblem(403, "client_only", "Only the client answers proposed steps.")
    return ticket, who.contact


@router.post(
    "/tickets/{ref}/refusal", response={200: TicketDetail, **WRITES}, summary="Refuse the steps"
)
def refuse(request: HttpRequest, ref: str, body: RefusalIn) -> dict[str, Any]:
    """The client refuses the steps support proposed; a wait on the client ends and the agent
    decides what follows."""
    who = caller(request)
    ticket, contact = _client_ticket(who, ref)
    ticket = actions.record_refusal(
        ticket, by=actions.Actor.client(contact), reason=body.reason, source=RefusalSource.PORTAL
    )
    return detail(ticket, staff=False)


@router.post(
    "/tickets/{ref}/steps-worked", response={200: TicketDetail, **WRITES}, summary="Steps worked"
)
def steps_worked(request: HttpRequest, ref: str) -> dict[str, Any]:
    """The client says the proposed steps worked; the agent records the milestone and resolves."""
    who = caller(request)
    ticket, contact = _client_ticket(who, ref)
    ticket = actions.record_steps_worked(
        ticket, by=actions.Actor.client(contact), text=gettext("The proposed steps worked.")
    )
    return detail(ticket, staff=False)
