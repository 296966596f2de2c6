"""Staff roles are Django groups; this module names them and what each may do."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import OuterRef, StringAgg, Subquery, Value


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    TECHNICIAN = "technician", "Technician"
    LEAD = "lead", "Support lead"
    ADMIN = "admin", "Administrator"


# Model permissions per role, as "app_label.codename". A technician reads tickets and held mail
# and works visits; an agent works tickets and decides on held mail; a lead is an agent who also
# edits the protocol's data. The groups follow this list after every `migrate` (post_migrate).
_TECHNICIAN = [
    "tickets.view_ticket",
    "tickets.view_message",
    "tickets.view_attachment",
    "tickets.view_event",
    "accounts.view_contact",
    "accounts.view_organisation",
    "onsite.view_visit",
    "docs.view_docchange",
    "mail.view_inboundmail",
]
_AGENT = [
    *_TECHNICIAN,
    "tickets.change_ticket",
    "tickets.add_message",
    "accounts.add_contact",
    "accounts.change_contact",
    "onsite.add_visit",
    "onsite.schedule_visit",
    "docs.add_docchange",
    "docs.change_docchange",
    "mail.change_inboundmail",
]
_LEAD = [
    *_AGENT,
    "tickets.view_severitylevel",
    "tickets.change_severitylevel",
    "tickets.view_businesscalendar",
    "tickets.change_businesscalendar",
    "tickets.view_closingdate",
    "tickets.add_closingdate",
    "tickets.change_closingdate",
    "tickets.delete_closingdate",
    "tickets.view_publicholiday",
    "tickets.add_publicholiday",
    "tickets.change_publicholiday",
    "tickets.delete_publicholiday",
    "desk.view_cannedreply",
    "desk.add_cannedreply",
    "desk.change_cannedreply",
    "desk.delete_cannedreply",
    "accounts.add_organisation",
    "accounts.change_organisation",
    "onsite.report_visit",
    "onsite.view_visitevent",
    "reports.view_monthlymail",
    "reports.add_monthlymail",
    "reports.change_monthlymail",
    "reports.delete_monthlymail",
    # Webhooks in the admin (the API lets every agent manage their own, a lead everyone's).
    "webhooks.view_endpoint",
    "webhooks.add_endpoint",
    "webhooks.change_endpoint",
    "webhooks.delete_endpoint",
    "webhooks.view_delivery",
    "webhooks.change_delivery",
    "webhooks.view_attempt",
]
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.AGENT: _AGENT,
    Role.TECHNICIAN: _TECHNICIAN,
    Role.LEAD: _LEAD,
    Role.ADMIN: [],  # administrators are superusers
}


def role_names(user_id: str) -> Subquery:
    """The names of a user's groups, comma-separated (None: no group), as a subquery on the
    column `user_id` names: read with the user, for `has_role`. A subquery, not a join with
    GROUP BY over every column of the rows read with it."""
    memberships = User.groups.through.objects.filter(user_id=OuterRef(user_id))
    names = memberships.values("user_id").annotate(names=StringAgg("group__name", Value(",")))
    return Subquery(names.values("names"))  # type: ignore[misc]  # the stubs miss annotate


def has_role(user: User | AnonymousUser, *roles: Role) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    if hasattr(user, "role_names"):  # read with the user by RolesBackend (None: no group)
        return not {r.value for r in roles}.isdisjoint((user.role_names or "").split(","))
    return user.groups.filter(name__in=[r.value for r in roles]).exists()


def sync_role_groups(**kwargs: object) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted: list[Permission] = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
