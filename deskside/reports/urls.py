from django.urls import path

from deskside.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_page, name="report"),
    path("tickets/", views.tickets_behind, name="tickets"),
    path("<str:table>.csv", views.report_csv, name="csv"),
]
