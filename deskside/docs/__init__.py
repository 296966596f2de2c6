"""Documentation changes: what a level-4 ticket changed in the design or ops doc
(docs/protocol.md, Documentation changes)."""
