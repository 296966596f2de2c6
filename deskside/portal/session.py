"""Who the signed-in client is, signing them in, and the language their pages speak."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import translation

from deskside.accounts.access import contact_of
from deskside.accounts.models import Contact

type ContactView[**P] = Callable[Concatenate[HttpRequest, Contact, P], HttpResponseBase]
type PortalView[**P] = Callable[Concatenate[HttpRequest, P], HttpResponseBase]
LANGUAGE_CODES = frozenset(code for code, _ in settings.LANGUAGES)
BACKEND = "django.contrib.auth.backends.ModelBackend"


def contact_required[**P](view: ContactView[P]) -> PortalView[P]:
    """Portal pages: a signed-in client, passed to the view, whose pages speak their language.

    A member of staff (signed in, but no contact) gets a page that says where to go instead."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "portal:signin")
        contact = contact_of(request.user)
        if contact is None:
            return render(request, "portal/not_a_client.html", status=403)
        # The language saved on the contact wins over a stale cookie from another device.
        use_language(request, contact.language)
        response = view(request, contact, *args, **kwargs)
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != contact.language:
            remember_language(response, contact.language)
        return response

    return wrapper


def use_language(request: HttpRequest, language: str) -> None:
    if language in LANGUAGE_CODES:
        translation.activate(language)
        request.LANGUAGE_CODE = language


def remember_language(response: HttpResponseBase, language: str) -> None:
    """The cookie that LocaleMiddleware reads on the next request (also before signing in)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )


def user_for(contact: Contact) -> User:
    """The contact's login account, created on the first sign-in without a usable password."""
    if contact.user is not None:
        return contact.user
    user, created = User.objects.get_or_create(
        username=f"contact-{contact.pk}", defaults={"email": contact.email}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    contact.user = user
    contact.save(update_fields=["user"])
    return user


def sign_in(request: HttpRequest, contact: Contact) -> bool:
    """Start a session for `contact` in their language; False when their account is disabled."""
    user = user_for(contact)
    if not user.is_active:
        return False
    login(request, user, backend=BACKEND)
    use_language(request, contact.language)
    return True
