"""Commit callbacks registered once per transaction.

Django keeps the open transaction's callbacks in `connection.run_on_commit`, each as (savepoint
ids, function, robust), and drops those registered in a savepoint that is rolled back. A
callback still in that list is one the transaction will call: what it stands for (a worker's
kick, a row written) happened in the transaction and has not been undone."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def will_call(callback: Callable[[], None], using: str | None = None) -> bool:
    """Whether the open transaction holds `callback`, or one equal to it (newest first: an
    action's callbacks come together); never outside a transaction."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return False
    # Django's own list, read only.
    return any(entry[1] == callback for entry in reversed(connection.run_on_commit))


def once_after_commit(callback: Callable[[], None]) -> None:
    """`transaction.on_commit(callback, robust=True)`, unless the open transaction will call
    `callback` already: a transaction that queues several mails kicks once, its kick's SELECT
    a round trip. A callback undone with its savepoint is registered again by the next change.
    robust: a failed enqueue must not turn the caller's committed change into an error."""
    if not will_call(callback):
        transaction.on_commit(callback, robust=True)
