"""Limits that several apps must agree on, named once."""

# RFC 5322 (2.1.1): a line of a mail is at most 998 characters. A header we keep (a subject, a
# Message-ID, an address) is cut to it, and the columns that store one are this long.
HEADER_LINE = 998

# A mail to the client names at most the last this many Message-IDs of the conversation in
# its References: enough for any mail client to thread it, bounded for a long ticket.
MAX_REFERENCES = 20

# RFC 5321 (4.5.3.1.3): a mail address is at most 254 characters in a path. Longer senders are
# quarantined; the columns that store a client's address are this long.
ADDRESS = 254

# A column that names who wrote or acted (an address, or a staff member's full name): an
# address's 64-character local part, "@" and a 255-character domain, as mail software allows.
WHO = 320
