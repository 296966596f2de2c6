"""Per agent, for the lead: the tickets each handled, their public replies, and the clocks of
the tickets assigned to them now (who answers for a deadline is the ticket's assignee)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from django.contrib.auth.models import User

from deskside.accounts.names import display_name
from deskside.reports.clocks import Judged, Outcome
from deskside.reports.rows import Sent, TicketRow


@dataclass(frozen=True)
class AgentFigures:
    agent: int
    name: str
    handled: AbstractSet[int]  # tickets assigned to the agent now, or replied to publicly
    replies: int
    met: int
    breached: int

    @property
    def share(self) -> float | None:
        judged = self.met + self.breached
        return self.met / judged if judged else None


def per_agent(
    tickets: list[TicketRow],
    sent: Sent,
    met: dict[int, int],
    breached: dict[int, int],
) -> list[AgentFigures]:
    """`met` and `breached`: the clocks of the tickets each agent is assigned now
    (`by_assignee`, or the rollup's count of the same)."""
    handled: dict[int, set[int]] = defaultdict(set)
    replies: dict[int, int] = defaultdict(int)
    for ticket in tickets:
        if ticket.assignee is not None:
            handled[ticket.assignee].add(ticket.pk)
        for author, n in sent.get(ticket.pk, {}).items():
            handled[author].add(ticket.pk)
            replies[author] += n
    names = names_of(handled)
    return [
        AgentFigures(
            agent,
            names[agent],
            frozenset(handled[agent]),
            replies[agent],
            met.get(agent, 0),
            breached.get(agent, 0),
        )
        for agent in sorted(handled, key=lambda a: (names[a].casefold(), a))
    ]


def names_of(agents: Iterable[int]) -> dict[int, str]:
    """How the desk names each agent (one query; none when there is nobody to name)."""
    wanted = set(agents)
    found = (
        {user.pk: display_name(user) for user in User.objects.filter(pk__in=wanted)}
        if wanted
        else {}
    )
    return {pk: found.get(pk, f"#{pk}") for pk in wanted}


def by_assignee(
    tickets: list[TicketRow], judged: list[Judged]
) -> tuple[dict[int, int], dict[int, int]]:
    assignee = {t.pk: t.assignee for t in tickets}
    met: dict[int, int] = defaultdict(int)
    breached: dict[int, int] = defaultdict(int)
    for j in judged:
        agent = assignee.get(j.ticket)
        if agent is None:
            continue
        if j.outcome == Outcome.MET:
            met[agent] += 1
        elif j.outcome == Outcome.BREACHED:
            breached[agent] += 1
    return met, breached
