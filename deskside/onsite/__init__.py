"""On-site visits: eligibility, scheduling, invitations and reports (DESIGN.md §1)."""
