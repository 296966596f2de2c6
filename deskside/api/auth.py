"""Who calls the API: a token (`Authorization: Bearer …`) or the desk's own session (with
CSRF on every change). Either gives a Caller, which the views ask what may be seen and done."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from deskside.accounts.access import changes_tickets, is_staff_member, visible_to_contact
from deskside.accounts.models import Contact
from deskside.api import tokens
from deskside.api.models import ApiToken, Scope
from deskside.api.problems import ApiProblem, RateLimited
from deskside.tickets.actions import Actor
from deskside.tickets.models import Ticket
from deskside.tickets.models.ticket import TicketQuerySet


@dataclass(frozen=True)
class Caller:
    """`contact` is set for a client token, `user` for staff; `writes`: may change tickets;
    `token`: the token it came with (None for the desk's session)."""

    actor: Actor
    user: User | None
    contact: Contact | None
    writes: bool
    token: ApiToken | None = None

    @property
    def is_staff(self) -> bool:
        return self.user is not None

    def tickets(self) -> TicketQuerySet:
        """What this caller may see: everything for staff, the organisation's for a client."""
        everything = Ticket.objects.select_related("contact", "organisation", "assignee")
        if self.contact is not None:
            return visible_to_contact(everything, self.contact)
        return everything

    def ticket(self, ref: str) -> Ticket:
        """The ticket `ref` among those this caller may see: 404, never 403, for any other."""
        found = self.tickets().by_ref(ref)
        if found is None:
            raise ApiProblem(404, "not_found", f"No ticket {ref}.")
        return found

    def require_write(self) -> None:
        if not self.writes:
            raise ApiProblem(403, "read_only", "This token or account may only read.")

    def require_staff_reader(self) -> User:
        """Staff, reading: the desk's lists that a client never sees."""
        if self.user is None:
            raise ApiProblem(403, "staff_only", "Only a member of staff may do this.")
        return self.user

    def require_staff(self) -> User:
        self.require_write()
        if self.user is None:
            raise ApiProblem(403, "staff_only", "Only a member of staff may do this.")
        return self.user


def staff_caller(user: User, scope: Scope = Scope.WRITE) -> Caller | None:
    if not user.is_active or not is_staff_member(user):
        return None
    writes = scope == Scope.WRITE and changes_tickets(user)
    return Caller(actor=Actor.staff(user), user=user, contact=None, writes=writes)


def token_caller(token: ApiToken) -> Caller | None:
    if token.user is not None:
        staff = staff_caller(token.user, Scope(token.scope))
        return replace(staff, token=token) if staff is not None else None
    if token.contact is None:
        return None
    contact = token.contact
    writes = token.scope == Scope.WRITE
    return Caller(Actor.client(contact), user=None, contact=contact, writes=writes, token=token)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = tokens.find(token.strip())
        caller = token_caller(found) if found is not None else None
        if found is None or caller is None:
            return None
        now = timezone.now()
        if tokens.use(found, now) > tokens.RATE_PER_MINUTE:
            raise RateLimited(tokens.retry_after(now))
        return caller


class StaffSession(SessionAuth):
    """The desk's session: a signed-in member of staff. CSRF is checked on every unsafe method,
    but only when a session cookie came: a token request that failed must get its 401, not a
    CSRF refusal."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        key: str | None = super()._get_key(request)
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None or not isinstance(request.user, User):
            return None
        return staff_caller(request.user)


AUTH = [BearerToken(), StaffSession()]


def caller(request: HttpRequest) -> Caller:
    found = getattr(request, "auth", None)
    assert isinstance(found, Caller), "every operation is authenticated"
    return found
