from django.urls import path

from deskside.onsite import views

app_name = "onsite"
urlpatterns = [
    path("", views.my_visits, name="mine"),
    path("request/<str:ref>/", views.request_visit, name="request"),
    path("<int:pk>/", views.visit_page, name="visit"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
