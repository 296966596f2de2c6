"""Decide whether an incoming mail was written by a person, and whether we may answer it.

Automatic answers to automatic mail make loops and flood mailboxes, so RFC 3834 is followed: we
never auto-answer a mail that is auto-submitted, bulk or list mail, a bounce, an out-of-office
reply, one whose sender asked not to be answered, or one without a return path.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from deskside.accounts.addresses import address_key
from deskside.mail.parse import ParsedMail


class Kind(StrEnum):
    NORMAL = "normal"
    AUTO_REPLY = "auto_reply"  # out-of-office, vacation
    AUTOMATED = "automated"  # bulk, list, auto-generated notifications, read receipts
    BOUNCE = "bounce"  # delivery status notifications


@dataclass(frozen=True)
class Classification:
    kind: Kind
    may_auto_answer: bool
    reason: str | None


_DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
_SUPPRESS_VALUES = frozenset({"all", "autoreply", "oof", "dr", "rn"})
_REPLY_PREFIX = r"^\s*(?:(?:re|aw|antw|fw|fwd|wg|tr|réf)\s*:\s*)*"
# Out-of-office subjects as Outlook, Exchange and common clients write them.
_STRONG_SUBJECT = re.compile(
    _REPLY_PREFIX + r"(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|"
    r"automatisch antwoord|r[ée]ponse automatique|automatische antwort|abwesenheitsnotiz)"
    r"\s*(?::|$|\(|-)",
    re.IGNORECASE,
)
# Words that also start ordinary subjects ("Absence of logs in export") only count with a colon.
_WEAK_SUBJECT = re.compile(
    _REPLY_PREFIX + r"(?:afwezig|afwezigheid|absence|absent|abwesend|vacation|on vacation|"
    r"cong[ée]s?|urlaub|vakantie)\s*:",
    re.IGNORECASE,
)


def classify(mail: ParsedMail, *, envelope_sender: str | None) -> Classification:
    for check in (_bounce, _auto_reply, _automated):
        found = check(mail, envelope_sender)
        if found:
            return found
    suppress = _suppressed(mail)
    if suppress:
        return Classification(Kind.NORMAL, may_auto_answer=False, reason=suppress)
    return Classification(Kind.NORMAL, may_auto_answer=True, reason=None)


def is_our_own(
    mail: ParsedMail,
    *,
    support_addresses: Collection[str],
    message_id_domain: str,
    loop_header: str = "X-Deskside-Loop",
) -> bool:
    """A mail that looks like one we sent, coming back (a forward rule, a list, a misrouted
    copy): see `looks_like_ours`."""
    return bool(
        looks_like_ours(
            mail,
            support_addresses=support_addresses,
            message_id_domain=message_id_domain,
            loop_header=loop_header,
        )
    )


def looks_like_ours(
    mail: ParsedMail,
    *,
    support_addresses: Collection[str],
    message_id_domain: str,
    loop_header: str = "X-Deskside-Loop",
) -> str | None:
    """Why the mail looks like one we sent, or None. Every mark is easy to forge (anyone can
    write our loop header or a Message-ID on our domain): it proves nothing, it only says that
    answering could start a loop. Whether we really sent it, only the outbox knows."""
    if loop_header.lower() in mail.headers:
        return f"our loop header {loop_header}"
    ours = {address_key(address) for address in support_addresses}
    if address_key(mail.from_address) in ours:
        return f"sent from our address {mail.from_address}"
    x_loop = address_key(mail.headers.get("x-loop", ""))
    if any(address in x_loop for address in ours):
        return "an X-Loop header naming our address"
    domain = address_key(message_id_domain).lstrip("@")
    if mail.message_id and address_key(str(mail.message_id)).endswith(f"@{domain}"):
        return f"a Message-ID on our domain {domain}"
    return None


def _bounce(mail: ParsedMail, envelope_sender: str | None) -> Classification | None:
    if mail.report is not None and mail.report.report_type == "delivery-status":
        return _no_answer(Kind.BOUNCE, "multipart/report delivery status notification")
    if "x-failed-recipients" in mail.headers:
        return _no_answer(Kind.BOUNCE, "X-Failed-Recipients header")
    local_part = mail.from_address.partition("@")[0].lower()
    if local_part in _DAEMON_LOCAL_PARTS:
        return _no_answer(Kind.BOUNCE, f"sender is {local_part}")
    return None


def _auto_reply(mail: ParsedMail, envelope_sender: str | None) -> Classification | None:
    headers = mail.headers
    if _header(mail, "auto-submitted").startswith("auto-replied"):
        return _no_answer(Kind.AUTO_REPLY, "Auto-Submitted: auto-replied")
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return _no_answer(Kind.AUTO_REPLY, f"{name} header")
    if _header(mail, "precedence") == "auto_reply":
        return _no_answer(Kind.AUTO_REPLY, "Precedence: auto_reply")
    if _STRONG_SUBJECT.search(mail.subject) or _WEAK_SUBJECT.search(mail.subject):
        return _no_answer(Kind.AUTO_REPLY, "out-of-office subject")
    return None


def _automated(mail: ParsedMail, envelope_sender: str | None) -> Classification | None:
    auto_submitted = _header(mail, "auto-submitted")
    if auto_submitted and auto_submitted != "no":
        return _no_answer(Kind.AUTOMATED, f"Auto-Submitted: {auto_submitted}")
    precedence = _header(mail, "precedence")
    if precedence in _BULK_PRECEDENCE:
        return _no_answer(Kind.AUTOMATED, f"Precedence: {precedence}")
    for name in ("list-id", "list-unsubscribe"):
        if name in mail.headers:
            return _no_answer(Kind.AUTOMATED, f"{name} header")
    if mail.is_report:
        return _no_answer(Kind.AUTOMATED, "multipart/report (receipt or feedback)")
    if _empty_return_path(mail, envelope_sender):
        return _no_answer(Kind.AUTOMATED, "empty return path")
    return None


def _suppressed(mail: ParsedMail) -> str | None:
    values = {v.strip() for v in _header(mail, "x-auto-response-suppress").split(",")}
    if values & _SUPPRESS_VALUES:
        return "X-Auto-Response-Suppress: " + mail.headers["x-auto-response-suppress"]
    return None


def _empty_return_path(mail: ParsedMail, envelope_sender: str | None) -> bool:
    if envelope_sender is not None and envelope_sender.strip("<> ") == "":
        return True
    return "return-path" in mail.headers and _header(mail, "return-path").strip("<> ") == ""


def _header(mail: ParsedMail, name: str) -> str:
    """Header value, lower-cased, without a trailing comment ("auto-replied (vacation)")."""
    value = mail.headers.get(name, "")
    return re.sub(r"\([^)]*\)", "", value).strip().lower()


def _no_answer(kind: Kind, reason: str) -> Classification:
    return Classification(kind, may_auto_answer=False, reason=reason)
