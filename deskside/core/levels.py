"""The protocol's levels as sets that every app reads (docs/protocol.md, Levels): the desk's
forms and queue, the ticket actions, the metrics. Read-only; nothing here writes."""

from deskside.core.severity import HIGHEST_LEVEL, LOWEST_LEVEL

LEVELS = tuple(range(LOWEST_LEVEL, HIGHEST_LEVEL + 1))
# A ticket at these levels alerts the agents on duty at once, and the desk highlights it until
# someone takes it.
ESCALATED_LEVELS = (1, 2)
# A ticket at this level leads to documentation changes, with a clock of their own
# (docs/protocol.md, Documentation changes).
DOCUMENTATION_LEVEL = 4
