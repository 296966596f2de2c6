from django.apps import AppConfig


class DocsConfig(AppConfig):
    name = "deskside.docs"
    label = "docs"
    verbose_name = "Documentation changes"
