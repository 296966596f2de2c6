from django.apps import AppConfig


class DocsConfig(AppConfig):
    name = "deskside.docs"
    label = "docs"
    verbose_name = "Documentation changes"

    def ready(self) -> None:
        from deskside.docs.backlog import documentation_done_at
        from deskside.tickets import clocks

        # tickets sits below docs and cannot import it: when the tickets app offers a hook for
        # "when was this ticket's documentation done", docs fills it in.
        if hasattr(clocks, "documentation_done"):
            clocks.documentation_done = documentation_done_at
