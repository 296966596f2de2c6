from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from deskside.accounts.access import staff_required


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/queue.html", {})
