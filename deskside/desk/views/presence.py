"""The ticket page's heartbeat: records this agent, answers with who else is there."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from deskside.accounts.access import staff_required
from deskside.desk import presence
from deskside.desk.views.ticket import ticket_or_404


@staff_required
@require_POST
def heartbeat(request: HttpRequest, ref: str) -> HttpResponse:
    assert isinstance(request.user, User)
    ticket = ticket_or_404(ref)
    now = timezone.now()
    presence.beat(ticket, request.user, writing=request.POST.get("writing") == "true", now=now)
    others = presence.others(ticket, request.user, now)
    return render(request, "desk/_presence.html", {"ticket": ticket, "others": others})
