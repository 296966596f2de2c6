"""What a member of staff was told: the bell's list, and how they want to hear of each kind."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deskside.accounts.access import staff_required
from deskside.tickets import notify
from deskside.tickets.models import Delivery, Notification, NotificationKind, NotificationSetting

SHOWN = 100


@staff_required
def notifications(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    items = list(Notification.objects.filter(user=request.user).select_related("ticket")[:SHOWN])
    return render(
        request,
        "desk/notifications.html",
        {"items": items, "unread": sum(1 for n in items if n.read_at is None)},
    )


@staff_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    done = notify.mark_read(request.user)
    messages.success(request, f"Marked {done} notification{'s' if done != 1 else ''} as read.")
    return redirect("desk:notifications")


class SettingsForm(forms.Form):
    """One choice per kind: in the desk and by mail, in the desk only, or not at all."""

    def __init__(self, *args: object, current: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                initial=current.get(kind.value, Delivery.DESK_AND_MAIL),
                widget=forms.RadioSelect,
            )


@staff_required
def settings_page(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    current = dict(
        NotificationSetting.objects.filter(user=request.user).values_list("kind", "delivery")
    )
    form = SettingsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        for kind in NotificationKind:
            notify.choose(request.user, kind, Delivery(form.cleaned_data[kind.value]))
        messages.success(request, "Your notification settings are saved.")
        return redirect("desk:notification_settings")
    return render(request, "desk/notification_settings.html", {"form": form})
