"""Small template filters of the desk."""

from __future__ import annotations

from datetime import timedelta

from django import template

from deskside.core.clocks import short_duration

register = template.Library()


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
