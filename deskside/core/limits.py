"""Limits that several apps must agree on, named once."""

# RFC 5322 (2.1.1): a line of a mail is at most 998 characters. A header we keep (a subject, a
# Message-ID, an address) is cut to it, and the columns that store one are this long.
HEADER_LINE = 998

# A mail to the client names at most the last this many Message-IDs of the conversation in
# its References: enough for any mail client to thread it, bounded for a long ticket.
MAX_REFERENCES = 20
