from django.apps import AppConfig


class DocsConfig(AppConfig):
    name = "deskside.docs"
    label = "docs"
    verbose_name = "Documentation changes"

    def ready(self) -> None:
        from deskside.docs.backlog import documentation_done_at
        from deskside.docs.guards import check_close
        from deskside.tickets import actions, clocks

        # tickets sits below docs and cannot import it: docs fills in the two hooks tickets
        # offers, "when was this ticket's documentation done" and "may it close so".
        clocks.documentation_done = documentation_done_at
        actions.close_guard = check_close
