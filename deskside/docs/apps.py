from django.apps import AppConfig


class DocsConfig(AppConfig):
    name = "deskside.docs"
    label = "docs"
    verbose_name = "Documentation changes"

    def ready(self) -> None:
        from deskside.docs.backlog import documentation_done_at
        from deskside.docs.guards import check_close
        from deskside.tickets import hooks

        # tickets sits below docs and cannot import it: docs registers what it adds to two of
        # its rules, "may it close so" and "when was this ticket's documentation done".
        hooks.add_close_guard(check_close)
        hooks.set_documentation_done(documentation_done_at)
