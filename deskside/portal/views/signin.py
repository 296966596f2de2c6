"""Signing in: a one-time link by mail, or a password the client chose; signing out.

The link request answers the same whether or not the address is known, so the page never
tells a stranger who our clients are; the link goes to the address stored on the contact, never
to the one typed. The limits on both ways in are in accounts/ratelimit.py. Opening a link only
shows a button: mail scanners fetch links, and a GET must not use the token up.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import linebreaks, urlize
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from deskside.accounts import ratelimit
from deskside.accounts.access import contact_of
from deskside.accounts.addresses import contact_by_address
from deskside.accounts.models import Contact, SignInKind
from deskside.outbox.send import queue
from deskside.portal import tokens
from deskside.portal.forms import PasswordSignInForm, SignInLinkForm
from deskside.portal.session import contact_required, remember_language, sign_in
from deskside.tickets import links

TOO_MANY = 429


@never_cache
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and contact_of(request.user) is not None:
        return redirect("portal:home")
    form = SignInLinkForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        address = form.cleaned_data["email"]
        refused = ratelimit.link_refused(request, address)
        if refused:
            return _signin_page(request, form, limited=refused)
        with transaction.atomic():
            ratelimit.record(request, SignInKind.LINK, address)
            contact = contact_by_address(address)
            if contact is not None:
                _mail_link(request, contact)
        return redirect("portal:link_sent")
    return _signin_page(request, form)


def _signin_page(
    request: HttpRequest,
    form: SignInLinkForm,
    password_form: PasswordSignInForm | None = None,
    *,
    limited: ratelimit.Refused | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        "password_form": password_form or PasswordSignInForm(),
        "limited": limited,
        "next": _next_url(request),
    }
    return render(request, "portal/signin.html", context, status=TOO_MANY if limited else 200)


def _mail_link(request: HttpRequest, contact: Contact) -> None:
    """Queue the link in the contact's language, in the caller's transaction."""
    token = tokens.issue(contact)
    # The configured address, never the request's Host header: a forged Host would otherwise
    # mail the client a link to the forger's server, token included.
    url = links.absolute(reverse("portal:link", args=[token]))
    minutes = int(tokens.LIFETIME.total_seconds() // 60)
    with translation.override(contact.language):
        subject = gettext("Your sign-in link for Deskside support")
        context = {"contact": contact, "url": url, "minutes": minutes}
        text = render_to_string("portal/signin_link_mail.txt", context).strip() + "\n"
    queue(
        to=[contact.email],
        subject=subject,
        text=text,
        html=linebreaks(urlize(text.strip(), autoescape=True), autoescape=False),
        purpose="portal_link",
        automatic=False,
    )


@never_cache
def link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/link_sent.html", {"minutes": 15})


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":
        state = tokens.check(token)
        if state is tokens.TokenState.VALID:
            return render(request, "portal/link_confirm.html", {})
        return _link_problem(request, state)
    state, contact = tokens.redeem(token)
    if contact is None:
        return _link_problem(request, state)
    if not sign_in(request, contact):
        return _link_problem(request, tokens.TokenState.UNKNOWN)
    return _signed_in(contact, reverse("portal:home"))


def _link_problem(request: HttpRequest, state: tokens.TokenState) -> HttpResponse:
    status = 404 if state is tokens.TokenState.UNKNOWN else 410
    return render(request, "portal/link_problem.html", {"state": state.value}, status=status)


def _signed_in(contact: Contact, to: str) -> HttpResponse:
    response = HttpResponseRedirect(to)
    remember_language(response, contact.language)
    return response


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe and wanted.startswith("/portal/") else ""


@never_cache
@require_POST
def password_signin(request: HttpRequest) -> HttpResponse:
    form = PasswordSignInForm(request.POST)
    if not form.is_valid():
        return _signin_page(request, SignInLinkForm(), form)
    address = form.cleaned_data["email"]
    refused = ratelimit.password_refused(request, address)
    if refused:
        return _signin_page(request, SignInLinkForm(), form, limited=refused)
    contact = _check_password(address, form.cleaned_data["password"])
    if contact is None or not sign_in(request, contact):
        ratelimit.record(request, SignInKind.PASSWORD, address)
        form.add_error(
            None,
            gettext("This address and password do not match. You can also ask for a sign-in link."),
        )
        return _signin_page(request, SignInLinkForm(), form)
    return _signed_in(contact, _next_url(request) or reverse("portal:home"))


def _check_password(address: str, password: str) -> Contact | None:
    contact = contact_by_address(address)
    user = contact.user if contact else None
    if user is None or not user.has_usable_password():
        make_password(password)  # the same hashing time as a real check: no timing oracle
        return None
    return contact if user.check_password(password) else None


@never_cache
@require_http_methods(["GET", "POST"])
@contact_required
def set_password(request: HttpRequest, contact: Contact) -> HttpResponse:
    assert contact.user is not None  # a signed-in contact has their account
    form = SetPasswordForm(contact.user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(
            request, gettext("Your password is set. You can now sign in with it or with a link.")
        )
        return redirect("portal:home")
    return render(request, "portal/set_password.html", {"contact": contact, "form": form})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, gettext("You are signed out."))
    return redirect("portal:signin")
