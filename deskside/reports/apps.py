from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "deskside.reports"
    label = "reports"
    verbose_name = "Reports"
