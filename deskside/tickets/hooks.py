"""What apps above tickets add to its rules, registered once at start-up.

tickets sits below the docs app and cannot import it, yet two of its rules depend on it: a
level-4 ticket may close as answered only with its documentation changes recorded, and its
documentation clock stops when they are done (docs/protocol.md, Documentation changes). The
docs app registers both here in its AppConfig.ready(); grep for `hooks.` to see who does.

The reports keep a rollup of each ticket's clocks: every event an action records calls
`changed()` (tickets/actions/_record.py) inside the action's transaction, so what a layer above
keeps from the events commits or rolls back with the action.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from deskside.tickets.errors import ActionError
from deskside.tickets.models import Ticket

# Why `ticket` may not close for `reason` (the refusal to raise), or None when it may.
CloseGuard = Callable[[Ticket, str], ActionError | None]
# When the ticket's documentation changes were all done, or None.
DocumentationDone = Callable[[Ticket], datetime | None]

# Told the id of a ticket whose history changed, in the transaction that changed it.
ChangeListener = Callable[[int], None]

_close_guards: list[CloseGuard] = []
_change_listeners: list[ChangeListener] = []
_documentation_done: list[DocumentationDone] = []


def add_close_guard(guard: CloseGuard) -> None:
    if guard not in _close_guards:
        _close_guards.append(guard)


def set_documentation_done(reader: DocumentationDone) -> None:
    _documentation_done[:] = [reader]


def close_refusal(ticket: Ticket, reason: str) -> ActionError | None:
    """The first guard's objection to closing `ticket` for `reason`, if any."""
    return next((why for guard in _close_guards if (why := guard(ticket, reason))), None)


def documentation_done(ticket: Ticket) -> datetime | None:
    return _documentation_done[0](ticket) if _documentation_done else None


def on_change(listener: ChangeListener) -> None:
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def changed(ticket_id: int) -> None:
    for listener in _change_listeners:
        listener(ticket_id)
