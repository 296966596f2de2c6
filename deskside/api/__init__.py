"""The REST API under /api/v1/ (docs/api.md): tokens, the tickets and their actions.

A surface like the desk and the portal: every write goes through deskside.tickets.actions, so
the protocol holds whatever door a change comes in by."""
