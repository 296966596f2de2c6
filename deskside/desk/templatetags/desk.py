"""Small template filters of the desk."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from deskside.core.clocks import short_duration, when_words
from deskside.desk.queue import Row

register = template.Library()

# Filters rather than included templates for what every queue row shows: 50 rows of includes
# cost a third of a queue page's time (bench/desk.py).


@register.filter
def level_badge(level: int | None, title: str) -> SafeString:
    """A severity level as a coloured badge; `title` says which (claimed or assessed)."""
    if not level:
        return format_html('<span class="level level-none" title="{}: no level">–</span>', title)
    return format_html(
        '<span class="level level-{}" title="{} level {}">{}</span>', level, title, level, level
    )


@register.filter
def clock_left(row: Row) -> SafeString:
    """A queue row's nearest clock: its business time left (or overdue), marked at 75%."""
    clock = row.clock
    if clock is None:
        return format_html(
            '<span class="muted">{}</span>', "paused" if row.ticket.clocks_paused else "—"
        )
    left, due = business_left(clock.left), timezone.localtime(clock.due)
    words = f"overdue {left}" if clock.mark == "due-breach" else f"{left} left"
    return format_html(
        '<span class="{}" title="{} due {}">{}: {}</span>',
        clock.mark,
        clock.name,
        when_words(due, this_year=due.year),
        clock.name,
        words,
    )


@register.filter
def business_left(left: timedelta) -> str:
    """Business time as '1 h 20 min', whichever side of the deadline it is on."""
    return short_duration(abs(left))


@register.filter
def staff_name(user: object) -> str:
    full_name = getattr(user, "get_full_name", lambda: "")()
    return str(full_name or getattr(user, "username", ""))


_DETAIL_KEYS = ("reason", "was", "level", "to", "milestone", "note", "clock", "due", "message_kind")


@register.filter
def event_details(data: object) -> str:
    """The facts of an Event worth a line in the history, e.g. 'reason: out_of_scope'."""
    if not isinstance(data, dict):
        return ""
    parts = [
        f"{key.replace('_', ' ')}: {data[key]}"
        for key in _DETAIL_KEYS
        if data.get(key) not in (None, "")
    ]
    return "; ".join(parts)


@register.filter
def is_folded(message: object) -> bool:
    """Whether intake folded quoted text or a signature away from the message."""
    text = str(getattr(message, "text", "")).strip()
    visible = str(getattr(message, "visible_text", "")).strip()
    return bool(visible) and visible != text


@register.filter
def get_form(forms: dict[str, object], name: str) -> object:
    return forms.get(name)
