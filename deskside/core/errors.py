"""The codes of the refusals (ActionError): one stable name per reason a change is refused.

A code never changes once released: the future API returns it and clients match on it, while
the sentence that goes with it may be reworded or translated. Add a member for a new reason;
never reuse one for another meaning.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # -- any ticket action
    TICKET_CLOSED = "ticket_closed"
    TICKET_RESOLVED = "ticket_resolved"
    LEVEL_OUT_OF_RANGE = "level_out_of_range"
    STAFF_ONLY = "staff_only"
    REASON_REQUIRED = "reason_required"
    # -- opening and the conversation
    OPENED_CLOSED_AS = "opened_closed_as"
    EMPTY_REPLY = "empty_reply"
    EMPTY_NOTE = "empty_note"
    HELD_MAIL_NOT_PUBLIC = "held_mail_not_public"
    # -- state
    UNKNOWN_CLOSE_REASON = "unknown_close_reason"
    ALREADY_CLOSED = "already_closed"
    CLOSE_SENDS_NO_MAIL = "close_sends_no_mail"
    NO_REFUSAL_RECORDED = "no_refusal_recorded"
    NO_COOPERATION_EVIDENCE = "no_cooperation_evidence"
    NOT_REOPENABLE = "not_reopenable"
    NO_SEVERITY = "no_severity"
    NO_PUBLIC_REPLY = "no_public_reply"
    EMPTY_RESOLUTION = "empty_resolution"
    ALREADY_WAITING = "already_waiting"
    INACTIVE_USER = "inactive_user"
    ALREADY_ASSIGNED = "already_assigned"
    ALREADY_AT_LEVEL = "already_at_level"
    UNKNOWN_MILESTONE = "unknown_milestone"
    MILESTONE_NOT_A_GOAL = "milestone_not_a_goal"
    # -- merging and linking
    DUPLICATE_NEEDS_TARGET = "duplicate_needs_target"
    MERGE_INTO_ITSELF = "merge_into_itself"
    MERGE_INTO_CLOSED = "merge_into_closed"
    MERGE_INTO_DUPLICATE = "merge_into_duplicate"
    MERGE_CYCLE = "merge_cycle"
    UNKNOWN_TICKET = "unknown_ticket"
    LINK_TO_ITSELF = "link_to_itself"
    ALREADY_LINKED = "already_linked"
    NOT_LINKED = "not_linked"
    # -- cooperation
    EMPTY_STEPS = "empty_steps"
    UNKNOWN_REFUSAL_SOURCE = "unknown_refusal_source"
    NO_PROPOSED_STEPS = "no_proposed_steps"
    MAIL_NOT_ON_TICKET = "mail_not_on_ticket"
    NOT_FROM_CLIENT = "not_from_client"
    ALREADY_MARKED_REFUSAL = "already_marked_refusal"
    # -- held and quarantined mail
    MAIL_DECIDED = "mail_decided"
    MAIL_NAMES_NO_TICKET = "mail_names_no_ticket"
    MAIL_UNREADABLE = "mail_unreadable"
    NO_ORGANISATION = "no_organisation"
    STILL_HELD = "still_held"
    NO_SENDER_ADDRESS = "no_sender_address"
    CONTACT_OF_OTHER_ORGANISATION = "contact_of_other_organisation"
    SENDER_AMBIGUOUS = "sender_ambiguous"
    # -- on-site visits
    VISIT_ACTIVE = "visit_active"
    VISIT_NOT_ACTIVE = "visit_not_active"
    VISIT_NOT_SCHEDULED = "visit_not_scheduled"
    NAIVE_START = "naive_start"
    NO_DURATION = "no_duration"
    VISIT_TOO_LONG = "visit_too_long"
    OUTSIDE_BUSINESS_HOURS = "outside_business_hours"
    PAST_CLOSING = "past_closing"
    NOT_A_TECHNICIAN = "not_a_technician"
    NO_TECHNICIAN_EMAIL = "no_technician_email"
    IN_THE_PAST = "in_the_past"
    NOT_THE_TECHNICIAN = "not_the_technician"
    NO_OUTCOME = "no_outcome"
    NO_TIME_SPENT = "no_time_spent"
    # -- documentation changes
    DOCS_LEVEL_ONLY = "docs_level_only"
    NO_CHANGE_RECORDED = "no_change_recorded"
    CHANGES_RECORDED = "changes_recorded"
    IS_NO_CHANGE = "is_no_change"
    IS_CHANGE = "is_change"
    DOCS_REQUIRED = "docs_required"
    UNKNOWN_DOCUMENT = "unknown_document"
    UNKNOWN_CHANGE_STATUS = "unknown_change_status"
    EMPTY_CHANGE = "empty_change"
