"""The desk's views, one module per page: queue, search, ticket, actions, presence, files."""
