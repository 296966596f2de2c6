"""The language switch: remembered in a cookie and, for a signed-in client, on the contact, so
that their pages and our mail speak it on every device."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from deskside.accounts.access import contact_of
from deskside.accounts.actions import choose_language
from deskside.portal.forms import LanguageForm
from deskside.portal.session import remember_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseRedirect(reverse("portal:home"))
    language = form.cleaned_data["language"]
    contact = contact_of(request.user)
    if contact is not None:
        choose_language(contact, language)
    wanted = form.cleaned_data["next"]
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    response = HttpResponseRedirect(wanted if safe and wanted else reverse("portal:home"))
    remember_language(response, language)
    return response
