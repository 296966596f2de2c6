"""The API's addresses: /api/v1/ (the API and its reference page) and the desk's token page."""

from django.urls import URLPattern, URLResolver, path

from deskside.api import views
from deskside.api.api import api
from deskside.api.reference import reference

urlpatterns: list[URLPattern | URLResolver] = [
    path("reference", reference, name="api-reference"),
    path("", api.urls),
]

desk_urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.token_list, name="api-tokens"),
    path("<int:pk>/revoke", views.token_revoke, name="api-token-revoke"),
]
