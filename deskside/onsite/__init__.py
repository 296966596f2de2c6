"""On-site visits: eligibility, scheduling, invitations and reports (docs/protocol.md, On-site
visits)."""
