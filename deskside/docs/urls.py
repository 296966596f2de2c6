from django.urls import path

from deskside.docs import views

app_name = "docs"
urlpatterns = [
    path("", views.backlog_page, name="backlog"),
    path("ticket/<str:ref>/add/", views.add, name="add"),
    path("ticket/<str:ref>/no-change/", views.no_change, name="no_change"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
