from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "deskside.accounts"
    label = "accounts"
    verbose_name = "Clients and staff"

    def ready(self) -> None:
        from deskside.accounts.roles import sync_role_groups

        # Permissions exist only after post_migrate has created them, so the role groups are
        # kept in step here rather than in a data migration.
        # Every app's post_migrate: the tickets app's permissions exist only after its own.
        post_migrate.connect(sync_role_groups, dispatch_uid="deskside-role-groups")
