"""Small template filters of the desk."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from django import template
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from deskside.accounts.access import changes_tickets
from deskside.accounts.names import display_name
from deskside.accounts.roles import Role, has_role
from deskside.core.clocks import short_duration, when_words
from deskside.desk import navigation
from deskside.desk.queue import Row
from deskside.mail import authresults
from deskside.tickets import previews
from deskside.tickets.models import Ticket

register = template.Library()

# Filters rather than included templates for what every queue row shows: 50 rows of includes
# cost a third of a queue page's time (bench/desk.py).


def _counts(context: template.Context) -> navigation.Counts:
    """The navigation's two counts, read once per page (deskside/desk/navigation.py)."""
    cached = context.render_context.get("desk_counts")
    if cached is None:
        user = context["request"].user
        cached = navigation.counts(user) if user.is_authenticated else navigation.Counts(0, 0)
        context.render_context["desk_counts"] = cached
    return cached


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """The bell's count."""
    return _counts(context).unread


@register.simple_tag(takes_context=True)
def held_mail_count(context: template.Context) -> int:
    """The count of held mail beside Queue."""
    return _counts(context).held


@register.filter
def is_lead(user: User | AnonymousUser) -> bool:
    """Whether the navigation shows Reports: leads (and administrators) only."""
    return has_role(user, Role.LEAD, Role.ADMIN)


@register.filter
def works_tickets(user: User | AnonymousUser) -> bool:
    """Whether the navigation offers "New ticket": agents and leads (technicians read)."""
    return changes_tickets(user)


@register.filter
def level_badge(level: int | None, title: str) -> SafeString:
    """A severity level as a coloured badge; `title` says which (claimed or assessed)."""
    return mark_safe(_badge(level, title))


def _badge(level: int | None, title: str) -> str:
    # The colour and the digit alone do not say "level" to a screen reader or a colour-blind
    # reader: the badge's text does, hidden from sight where the digit says it to the eye.
    title = escape(title)
    if not level:
        said = f"{title}: no level"
        return f'<span class="level level-none" title="{said}">{_said(said, "–")}</span>'
    level = int(level)
    said = f"{title} level {level}"
    return f'<span class="level level-{level}" title="{said}">{_said(said, str(level))}</span>'


def _said(words: str, shown: str) -> str:
    """`words` for a screen reader, `shown` to the eye (and not read twice)."""
    return f'<span class="visually-hidden">{words}</span><span aria-hidden="true">{shown}</span>'


@register.filter
def clock_left(row: Row) -> SafeString:
    """A queue row's nearest clock: its business time left (or overdue), marked at 75%."""
    return mark_safe(_clock(row))


def _clock(row: Row) -> str:
    clock = row.clock
    if clock is None:
        return f'<span class="muted">{"paused" if row.ticket.clocks_paused else "—"}</span>'
    left, due = business_left(clock.left), timezone.localtime(clock.due)
    words = f"overdue {left}" if clock.mark == "due-breach" else f"{left} left"
    name, when = escape(clock.name), escape(when_words(due, this_year=due.year))
    return f'<span class="{clock.mark}" title="{name} due {when}">{name}: {escape(words)}</span>'


@register.filter
def queue_row(row: Row, selectable: bool = False) -> SafeString:
    """One row of the queue (or of search results) as a table row.

    Built with f-strings and the standard library's html.escape (which Django's escape wraps)
    rather than a template or format_html: a 50-row page of a dozen values a row took 10 ms in
    the template engine and 4 ms through format_html, and the queue is the desk's busiest page.
    Every value from the database goes through escape(). `selectable`: the row starts with
    the checkbox of the queue's bulk actions (deskside/desk/templates/desk/_bulk.html)."""
    t = row.ticket
    url, ref = escape(row.url), escape(t.ref)
    client = escape(t.contact.name or t.contact.email)
    if t.organisation:
        organisation = escape(t.organisation.name)
        client += f'<br><a class="muted" href="{escape(row.organisation_url)}">{organisation}</a>'
    assignee = (
        escape(display_name(t.assignee)) if t.assignee else '<span class="muted">unassigned</span>'
    )
    escalated = row.escalated
    return mark_safe(
        f'<tr data-href="{url}"{' class="escalated"' if escalated else ""}>\n'
        f"{_pick(t) if selectable else ''}"
        f'  <td><a href="{url}">{ref}</a>'
        f"{' <span class="escalated-mark">untaken</span>' if escalated else ''}"
        f"{' <span class="draft-mark">draft</span>' if row.draft else ''}</td>\n"
        f"  <td>{escape(t.subject)}</td>\n"
        f'  <td class="hide-narrow">{client}</td>\n'
        f'  <td class="levels">{_badge(t.claimed_severity, "Claimed")} '
        f"{_badge(t.severity, 'Assessed')}</td>\n"
        f'  <td class="hide-narrow">{escape(str(t.get_status_display()))}</td>\n'
        f'  <td class="hide-narrow">{assignee}</td>\n'
        f"  <td>{_clock(row)}</td>\n"
        "</tr>\n"
    )


def _pick(ticket: Ticket) -> str:
    label = escape(gettext("Select %(ref)s") % {"ref": ticket.ref})
    return (
        f'  <td class="pick"><input type="checkbox" name="ticket" value="{ticket.pk}" '
        f'form="bulk" aria-label="{label}"></td>\n'
    )


@register.filter
def business_left(left: timedelta) -> str:
    """Business time as '1 h 20 min', whichever side of the deadline it is on."""
    return short_duration(abs(left))


register.filter("staff_name", display_name)
# Reads the start of the file: the thread shows images, PDFs and text files in the page.
register.filter("preview", previews.preview_of)


@register.filter
def is_folded(message: object) -> bool:
    """Whether intake folded quoted text or a signature away from the message."""
    text = str(getattr(message, "text", "")).strip()
    visible = str(getattr(message, "visible_text", "")).strip()
    return bool(visible) and visible != text


@register.filter
def get_form(forms: dict[str, object], name: str) -> object:
    return forms.get(name)


@register.filter
def failed_authentication(summary: str) -> str | None:
    """What failed when our mail server checked a mail's sender ("DMARC"), or None."""
    return authresults.failed(summary)
