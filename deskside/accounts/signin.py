"""Staff sign-in (the desk's and the admin's), under the limits of accounts/ratelimit.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from deskside.accounts import ratelimit
from deskside.accounts.models import SignInKind

TOO_MANY = 429
TOO_MANY_MESSAGE = _(
    "Too many sign-in attempts for this account from your network. Please wait 15 minutes, "
    "then try again."
)


class LimitedAuthenticationForm(AuthenticationForm):
    """Django's sign-in form; past the limits it refuses before it checks the password, and
    every refused password is counted (the same answer for a known and an unknown name)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        account = ratelimit.staff_account(username)
        if self.request is not None and ratelimit.password_refused(self.request, account):
            raise ValidationError(TOO_MANY_MESSAGE, code="too_many")
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None:
                ratelimit.record(self.request, SignInKind.PASSWORD, account)
            raise


class LimitedAdminAuthenticationForm(LimitedAuthenticationForm, AdminAuthenticationForm):
    """The admin's sign-in form (staff accounts only), under the same limits."""


def refused_status(response: HttpResponseBase) -> HttpResponseBase:
    """429 for a sign-in page that says the limit was reached, so that tools see it too."""
    context = getattr(response, "context_data", None) or {}
    form = context.get("form")
    if isinstance(form, AuthenticationForm) and form.has_error(NON_FIELD_ERRORS, "too_many"):
        response.status_code = TOO_MANY
    return response


class SignInView(LoginView):
    """The desk's sign-in page."""

    form_class = LimitedAuthenticationForm

    def form_invalid(self, form: AuthenticationForm) -> Any:
        return refused_status(super().form_invalid(form))


def admin_login(request: HttpRequest) -> HttpResponseBase:
    """The admin's own sign-in page, with the limited form and the 429 status."""
    return refused_status(admin.site.login(request))
