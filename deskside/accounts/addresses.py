"""Mail addresses as Deskside compares them: the ASCII letters in any case, everything else
exactly as written.

RFC 5321 §2.4 lets only the receiving host decide what a local part means; in practice hosts
ignore ASCII case, so Deskside does too (Claire@Acme.example is claire@acme.example). Beyond
ASCII nothing is folded: the Kelvin sign K is not k, ß is not ss, the Turkish İ and ı are not i,
a Cyrillic а is not a Latin a, and an IDN in Unicode is not its xn-- form. Each of those is
another address, so another contact: a lookalike can never borrow a client's tickets. Python
(`address_key`) and both databases (deskside.db.AsciiLower, in the contacts' unique index) fold
the same way.
"""

from __future__ import annotations

from deskside.accounts.models import Contact

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def address_key(address: str) -> str:
    """`address` as compared and stored for lookups (OutboundMail.primary_to): A-Z in lower
    case, nothing else changed."""
    return address.translate(_ASCII_LOWER)


def contact_by_address(address: str) -> Contact | None:
    """The contact with this address (ASCII letters in any case)."""
    return Contact.objects.by_address(address)
