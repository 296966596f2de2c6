from django.apps import AppConfig


class OnsiteConfig(AppConfig):
    name = "deskside.onsite"
    label = "onsite"
    verbose_name = "On-site visits"
