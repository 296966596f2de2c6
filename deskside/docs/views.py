"""The desk's documentation pages: the backlog, and the forms of the ticket page's section
(shown again on their own page, with the errors, when a change is refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from deskside.accounts.access import staff_required
from deskside.docs import actions
from deskside.docs.actions import DocError
from deskside.docs.backlog import backlog
from deskside.docs.forms import ChangeForm, NoChangeForm
from deskside.docs.models import ChangeKind, DocChange
from deskside.tickets.errors import submit
from deskside.tickets.models import Ticket

Run = Callable[[dict[str, Any], User], str]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@staff_required
def backlog_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = backlog(now)
    context = {"rows": rows, "now": now, "breached": sum(r.breached for r in rows)}
    return render(request, "docs/backlog.html", context)


@staff_required
def add(request: HttpRequest, ref: str) -> HttpResponse:
    ticket = Ticket.objects.select_related("contact").get_or_404(ref)
    form = ChangeForm(request.POST or None)

    def run(data: dict[str, Any], user: User) -> str:
        actions.add_change(
            ticket,
            document=data["document"],
            what=data["what"],
            where=data["where"],
            status=data["status"],
            by=user,
        )
        return "Documentation change recorded."

    return _handle(request, ticket, form, "docs.add_docchange", run, "Add a documentation change")


@staff_required
def no_change(request: HttpRequest, ref: str) -> HttpResponse:
    ticket = Ticket.objects.select_related("contact").get_or_404(ref)
    form = NoChangeForm(request.POST or None)

    def run(data: dict[str, Any], user: User) -> str:
        actions.record_no_change(ticket, data["reason"], by=user)
        return "Recorded: no documentation change needed."

    return _handle(request, ticket, form, "docs.add_docchange", run, "No documentation change")


@staff_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(DocChange.objects.select_related("ticket__contact"), pk=pk)
    form: forms.Form
    if change.kind == ChangeKind.NO_CHANGE:
        form = NoChangeForm(request.POST or None, initial={"reason": change.reason})

        def run(data: dict[str, Any], user: User) -> str:
            actions.edit_no_change(change, data["reason"], by=user)
            return "Reason updated."

    else:
        initial = {f: getattr(change, f) for f in ("document", "what", "where", "status")}
        form = ChangeForm(request.POST or None, initial=initial)

        def run(data: dict[str, Any], user: User) -> str:
            actions.edit_change(
                change,
                document=data["document"],
                what=data["what"],
                where=data["where"],
                status=data["status"],
                by=user,
            )
            return "Documentation change updated."

    title = "Edit the documentation change"
    return _handle(request, change.ticket, form, "docs.change_docchange", run, title, change)


@staff_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(DocChange.objects.select_related("ticket"), pk=pk)
    user = _user(request)
    if not user.has_perm("docs.change_docchange"):
        raise Http404("not allowed")
    try:
        actions.withdraw_no_change(change, by=user)
    except DocError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "'No change needed' withdrawn.")
    return redirect(_ticket_url(change.ticket))


def _handle(
    request: HttpRequest,
    ticket: Ticket,
    form: forms.Form,
    permission: str,
    run: Run,
    title: str,
    change: DocChange | None = None,
) -> HttpResponse:
    user = _user(request)
    status = 200
    if request.method == "POST":
        if not user.has_perm(permission):
            form.add_error(None, "You can read documentation changes but not change them.")
            status = 403
        elif submit(request, form, lambda data: run(data, user)):
            return redirect(_ticket_url(ticket))
        else:
            status = 422
    context = {"ticket": ticket, "form": form, "title": title, "change": change}
    return render(request, "docs/form.html", context, status=status)


def _ticket_url(ticket: Ticket) -> str:
    return reverse("desk:ticket", args=[ticket.ref]) + "#docs"
