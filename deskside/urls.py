from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from deskside.accounts.signin import LimitedAdminAuthenticationForm, admin_login
from deskside.api import urls as api
from deskside.runtime import views as runtime


def home(request: HttpRequest) -> HttpResponse:
    return redirect("desk:queue")


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = "Deskside"
admin.site.site_title = "Deskside"
admin.site.index_title = "Support desk administration"
admin.site.login_form = LimitedAdminAuthenticationForm

urlpatterns = [
    path("", home, name="home"),
    path("health", health, name="health"),
    # Browsers ask for /favicon.ico on every site, the admin's pages included (they link none).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("health/ready", runtime.ready, name="ready"),
    path("metrics", runtime.exposition, name="metrics"),
    # Before the admin's own URLs: its sign-in page, answered 429 past the limits.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("desk/visits/", include("deskside.onsite.urls")),
    path("desk/docs/", include("deskside.docs.urls")),
    path("desk/reports/", include("deskside.reports.urls")),
    path("desk/api-tokens/", include(api.desk_urlpatterns)),
    path("desk/", include("deskside.desk.urls")),
    path("portal/", include("deskside.portal.urls")),
    path("api/v1/", include(api.urlpatterns)),
]
