from django.urls import path

from deskside.portal.views import language, new, report, signin, tickets

app_name = "portal"
urlpatterns = [
    path("", tickets.home, name="home"),
    path("ticket/<str:ref>/", tickets.ticket, name="ticket"),
    path("ticket/<str:ref>/refuse/", tickets.refuse, name="refuse"),
    path("ticket/<str:ref>/worked/", tickets.steps_worked, name="steps_worked"),
    path("file/<str:token>/", tickets.attachment, name="attachment"),
    path("new/", new.new_ticket, name="new"),
    path("report/", report.monthly_report, name="report"),
    path("signin/", signin.signin, name="signin"),
    path("signin/sent/", signin.link_sent, name="link_sent"),
    path("signin/password/", signin.password_signin, name="password_signin"),
    path("login/<str:token>/", signin.link, name="link"),
    path("password/", signin.set_password, name="password"),
    path("signout/", signin.signout, name="signout"),
    path("language/", language.set_language, name="language"),
]
