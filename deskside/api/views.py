"""Desk → API tokens: the signed-in member of staff creates, sees and revokes their tokens.

A new token is shown once, on the page that answers its creation (no redirect: a token in the
session or a URL would be stored somewhere); afterwards only its prefix is shown."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from deskside.accounts.access import staff_required
from deskside.api import tokens
from deskside.api.models import ApiToken, Scope


class NewTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. 'monitoring'.")
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.READ)


@never_cache  # the answer to a creation holds the token itself
@staff_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = NewTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = tokens.issue(
            form.cleaned_data["name"], Scope(form.cleaned_data["scope"]), user=request.user
        )
        form = NewTokenForm()
    mine = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    context = {"form": form, "issued": issued, "tokens": mine}
    return render(request, "api/tokens.html", context, status=201 if issued else 200)


@staff_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user_id=request.user.pk)
    tokens.revoke(token)
    messages.success(request, f"Token {token.name} ({token.prefix}) revoked.")
    return redirect("api-tokens")
