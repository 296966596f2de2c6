"""The protocol's cooperation vocabulary (docs/protocol.md, Cooperation), shared by the ticket
actions, the evidence a close needs, the desk and the portal."""

from enum import StrEnum


class RefusalSource(StrEnum):
    """Where a client's refusal of the proposed steps came from; stored in its Event's data."""

    PORTAL = "portal"  # the client refused in the portal, with an optional reason
    MAIL = "mail"  # an agent marked the client's mail as a refusal
