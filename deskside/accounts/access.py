"""Who may see what: the one place that answers it for the desk, the portal and the API.

Staff (agents, technicians, leads, administrators) see every ticket in the desk. A client sees
only the tickets of their own organisation (or their own, without one); anything else is a 404,
so that the existence of another client's ticket is never confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from deskside.accounts.models import Contact
from deskside.accounts.roles import Role, has_role

STAFF_ROLES = (Role.AGENT, Role.TECHNICIAN, Role.LEAD, Role.ADMIN)
# Who changes tickets, the roles that hold the permission `tickets.change_ticket` (roles.py):
# agents and leads. The admin group has no permissions of its own (administrators are
# superusers, whom has_role lets through).
WORKING_ROLES = (Role.AGENT, Role.LEAD)


def is_staff_member(user: User | AnonymousUser) -> bool:
    return has_role(user, *STAFF_ROLES)


def changes_tickets(user: User | AnonymousUser) -> bool:
    """Agents and leads change tickets, technicians read them: the desk's and the API's rule.
    Read from the roles a request already has (RolesBackend, the API's token), no query."""
    return has_role(user, *WORKING_ROLES)


def staff_required[View: Callable[..., HttpResponse]](view: View) -> View:
    """Desk views: a signed-in member of staff, else the desk's sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "desk:login")
        if not is_staff_member(request.user):
            raise Http404("not a member of staff")
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def contact_of(user: User | AnonymousUser) -> Contact | None:
    if not user.is_authenticated:
        return None
    return Contact.objects.filter(user=user).select_related("organisation").first()


def visible_to_contact[Rows: QuerySet[Any]](
    queryset: Rows, contact: Contact, path: str = ""
) -> Rows:
    """Limit a queryset of tickets (or of rows reached through `path`, e.g. "message__ticket__")
    to what `contact` may see: their organisation's tickets, or their own without one."""
    if contact.organisation_id is not None:
        return queryset.filter(Q(**{f"{path}organisation_id": contact.organisation_id}))
    return queryset.filter(Q(**{f"{path}contact_id": contact.pk}))
