"""The desk's pages for visits: a technician's own visits, one visit with its forms, and the
request form reached from a ticket. Every change calls deskside.onsite.actions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from deskside.accounts.access import staff_required
from deskside.onsite import actions
from deskside.onsite.actions import VisitError
from deskside.onsite.forms import CancelForm, ReportForm, RequestForm, ScheduleForm
from deskside.onsite.models import Visit, VisitStatus
from deskside.tickets.errors import submit
from deskside.tickets.models import Ticket

VISIT_FORMS: dict[str, type[forms.Form]] = {
    "schedule": ScheduleForm,
    "cancel": CancelForm,
    "report": ReportForm,
}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@staff_required
def my_visits(request: HttpRequest) -> HttpResponse:
    """The signed-in technician's visits: the coming ones first, then the ones behind them."""
    user = _user(request)
    mine = Visit.objects.filter(technician=user).select_related("ticket__contact")
    context = {
        "upcoming": mine.filter(status=VisitStatus.SCHEDULED).order_by("start", "id"),
        "past": mine.exclude(status=VisitStatus.SCHEDULED).order_by("-start", "-id")[:50],
        "waiting": (
            Visit.objects.filter(status=VisitStatus.REQUESTED)
            .select_related("ticket__contact")
            .order_by("created_at")
            if user.has_perm("onsite.schedule_visit")
            else Visit.objects.none()
        ),
        "now": timezone.now(),
    }
    return render(request, "onsite/my_visits.html", context)


@staff_required
def request_visit(request: HttpRequest, ref: str) -> HttpResponse:
    user = _user(request)
    ticket = Ticket.objects.select_related("contact__organisation").get_or_404(ref)
    form = RequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not user.has_perm("onsite.add_visit"):
            form.add_error(None, "You can read visits but not request them.")
            return _request_page(request, ticket, form, 403)
        if form.is_valid():
            try:
                visit = actions.request_visit(ticket, form.cleaned_data["reason"], by=user)
            except VisitError as error:
                form.add_error(None, str(error))
            else:
                if visit.status == VisitStatus.REFUSED:
                    messages.warning(
                        request,
                        f"Visit refused: {visit.refusal_reason} The client was told why.",
                    )
                else:
                    messages.success(
                        request, f"Visit requested (province {visit.province}); schedule it next."
                    )
                return redirect("onsite:visit", pk=visit.pk)
        status = 422
    return _request_page(request, ticket, form, status)


def _request_page(
    request: HttpRequest, ticket: Ticket, form: forms.Form, status: int
) -> HttpResponse:
    address = ticket.contact.postal_address()
    context = {"ticket": ticket, "form": form, "address": address}
    return render(request, "onsite/request.html", context, status=status)


@staff_required
def visit_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _visit_page(request, _visit_or_404(pk))


def _visit_page(
    request: HttpRequest,
    visit: Visit,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    bound = dict([failed]) if failed else {}
    schedule_initial = (
        {"technician": visit.technician_id, "start": visit.start, "minutes": _minutes(visit)}
        if visit.status == VisitStatus.SCHEDULED
        else {}
    )
    context = {
        "visit": visit,
        "ticket": visit.ticket,
        "events": visit.events.all(),
        "forms": {
            "schedule": bound.get("schedule") or ScheduleForm(initial=schedule_initial),
            "cancel": bound.get("cancel") or CancelForm(),
            "report": bound.get("report") or ReportForm(),
        },
        "failed": failed[0] if failed else "",
        "can_schedule": user.has_perm("onsite.schedule_visit") and visit.is_active(),
        "can_report": visit.status == VisitStatus.SCHEDULED and actions.may_report(visit, user),
    }
    return render(request, "onsite/visit.html", context, status=status)


def _minutes(visit: Visit) -> int | None:
    return int(visit.duration.total_seconds() // 60) if visit.duration else None


@staff_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    if action not in VISIT_FORMS:
        raise Http404(f"no visit action {action}")
    visit = _visit_or_404(pk)
    form = VISIT_FORMS[action](request.POST)
    allowed = (
        actions.may_report(visit, user)
        if action == "report"
        else user.has_perm("onsite.schedule_visit")
    )
    if not allowed:
        form.add_error(None, "You may not do that with this visit.")
        return _visit_page(request, visit, (action, form), 403)
    if submit(request, form, lambda _data: _run(action, visit, form, user)):
        if action == "report":
            return redirect("onsite:mine")
        return redirect("onsite:visit", pk=visit.pk)
    return _visit_page(request, visit, (action, form), 422)


def _run(action: str, visit: Visit, form: forms.Form, user: User) -> str:
    data = form.cleaned_data
    if isinstance(form, ScheduleForm):
        visit = actions.schedule(
            visit,
            technician=data["technician"],
            start=data["start"],
            duration=form.duration(),
            by=user,
        )
        to = visit.ticket.contact.email
        return f"Visit scheduled; the invitation went to {to} and the technician."
    if isinstance(form, ReportForm):
        actions.report(
            visit,
            outcome=data["outcome"],
            time_spent=form.time_spent(),
            solved=data["solved"],
            by=user,
        )
        return f"Report filed on {visit.ticket.ref}; the visit is done."
    actions.cancel(visit, reason=data["reason"], by=user)
    return "Visit cancelled."


def _visit_or_404(pk: int) -> Visit:
    return get_object_or_404(
        Visit.objects.select_related("ticket__contact", "technician", "requested_by"), pk=pk
    )
