from django.contrib.auth import views as auth_views
from django.urls import path

from deskside.desk import views

app_name = "desk"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", auth_views.LoginView.as_view(template_name="desk/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="desk:login"), name="logout"),
]
