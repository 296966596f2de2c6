from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The pure protocol rules: no models, registered only so its commands are found."""

    name = "deskside.core"
    label = "core"
