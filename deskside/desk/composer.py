"""The ticket page's composer: one box beside the latest message, with tabs Reply / Propose steps
/ Internal note, each tab with its own server-saved draft (deskside.desk.drafts).

The server decides which tab is open, so the tabs work without JavaScript (links with
?compose=<tab>): the tab of a refused send, else the one asked for, else the tab of the draft
written last, else Reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deskside.desk.models import Draft, DraftKind
from deskside.tickets.models import Ticket

# The field of each tab's form that holds the text (the names of the action forms).
TEXT_FIELD = {DraftKind.REPLY: "text", DraftKind.PROPOSE: "steps", DraftKind.NOTE: "text"}


@dataclass(frozen=True)
class Tab:
    kind: DraftKind
    selected: bool
    draft: Draft | None

    @property
    def label(self) -> str:
        return str(self.kind.label)


@dataclass(frozen=True)
class Composer:
    tabs: list[Tab] = field(default_factory=list)

    def __getitem__(self, kind: str) -> Tab | None:
        """`composer.reply` in a template: the tab, or None when it is not offered. Any other
        key is not a tab (KeyError), so that the template goes on to the attribute."""
        if kind not in DraftKind.values:
            raise KeyError(kind)
        return next((tab for tab in self.tabs if tab.kind == kind), None)


def offered(ticket: Ticket, can_work: bool) -> list[DraftKind]:
    """The tabs the user can write in: a reply or steps on an open ticket, a note always;
    none for someone who reads tickets but does not work them."""
    if not can_work:
        return []
    if ticket.is_open():
        return [DraftKind.REPLY, DraftKind.PROPOSE, DraftKind.NOTE]
    return [DraftKind.NOTE]


def build(
    saved: dict[DraftKind, Draft], kinds: list[DraftKind], failed: str, asked: str
) -> Composer:
    """The composer of the page: `failed` is the refused action (its tab opens, even when not
    offered, to show why), `asked` the tab named by ?compose=."""
    if failed in DraftKind.values and failed not in kinds:
        kinds = [*kinds, DraftKind(failed)]
    latest = max(
        (d for kind, d in saved.items() if kind in kinds), key=lambda d: d.updated_at, default=None
    )
    preferred = [failed, asked, latest.kind if latest else "", *kinds]
    active = next((kind for kind in preferred if kind in kinds), None)
    return Composer([Tab(kind, kind == active, saved.get(kind)) for kind in kinds])


def initial_text(composer: Composer, kind: str) -> dict[str, str]:
    """The initial data of a tab's form: its draft's text."""
    tab = composer[kind] if kind in DraftKind.values else None
    if tab is None or tab.draft is None:
        return {}
    return {TEXT_FIELD[tab.kind]: tab.draft.text}
