"""The API's addresses: /api/v1/ (the API and its reference page) and the desk's token page."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, re_path

from deskside.api import problems, views
from deskside.api.api import api
from deskside.api.reference import reference


def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other address under /api/v1/: a problem, as a program expects, not the HTML page."""
    return problems.response(404, "not_found", f"No such address: /api/v1/{rest}")


urlpatterns: list[URLPattern | URLResolver] = [
    path("reference", reference, name="api-reference"),
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", unknown),
]

desk_urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.token_list, name="api-tokens"),
    path("<int:pk>/revoke", views.token_revoke, name="api-token-revoke"),
]
