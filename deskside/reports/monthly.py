"""The monthly report by mail (docs/reports.md, For each client): on the first business day of a
month, each organisation a lead chose gets the figures of the month before, in each contact's
language, with a link to the full report in the portal. Written to the outbox (sent after
commit, retried by it); `last_month` keeps a month from going out twice, even if the scheduler
runs the job again or runs late (a day the desk did not run, the mail goes out the next)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

from deskside.accounts.models import Contact
from deskside.core.business_time import Calendar
from deskside.outbox.send import queue
from deskside.reports import client
from deskside.reports.models import MonthlyMail
from deskside.reports.period import Kind, Period, period_of
from deskside.tickets import links, policy

PURPOSE = "monthly_report"


def first_business_day(month: date, cal: Calendar) -> date:
    start = datetime.combine(month.replace(day=1), time(0), tzinfo=cal.tz)
    return cal.next_opening(start).astimezone(cal.tz).date()


def month_due(now: datetime, cal: Calendar) -> Period | None:
    """The month to report on now: the one before, from the first business day of this one."""
    today = now.astimezone(cal.tz).date()
    if today < first_business_day(today, cal):
        return None
    return period_of(Kind.MONTH, today.replace(day=1) - timedelta(days=1))


def send_due(now: datetime | None = None) -> int:
    """Queue the monthly mails that are due; returns how many mails were queued."""
    now = now or timezone.now()
    cal = policy.calendar()
    month = month_due(now, cal)
    if month is None:
        return 0
    waiting = MonthlyMail.objects.filter(enabled=True).exclude(last_month__gte=month.first)
    return sum(_send(pk, month, now, cal) for pk in waiting.values_list("pk", flat=True))


def _send(pk: int, month: Period, now: datetime, cal: Calendar) -> int:
    with transaction.atomic():
        setting = MonthlyMail.objects.select_for_update().select_related("organisation").get(pk=pk)
        if setting.last_month is not None and setting.last_month >= month.first:
            return 0  # another run sent it meanwhile
        organisation = setting.organisation
        # Only contacts of the organisation, whatever the setting says.
        contacts = setting.contacts.filter(organisation=organisation).order_by("pk")
        found = client.month(month, organisation.pk, now, cal, policy.targets())
        sent = sum(_mail(contact, found, month) for contact in contacts)
        setting.last_month = month.first
        setting.save(update_fields=["last_month"])
    return sent


def _mail(contact: Contact, found: client.Month, month: Period) -> int:
    url = links.absolute(f"{reverse('portal:report')}?month={month.first:%Y-%m}")
    organisation = contact.organisation
    assert organisation is not None
    with translation.override(contact.language):
        context = {
            "organisation": organisation.name,
            "month": month.first,
            "received": found.received,
            "by_level": found.by_level,
            "promises": client.promises(found.clocks, policy.targets()),
            "url": url,
        }
        text = render_to_string("reports/monthly_mail.txt", context)
        subject = gettext("Support report of %(name)s for %(month)s") % {
            "name": organisation.name,
            "month": _month_name(month.first),
        }
    queue(to=[contact.email], subject=subject, text=text, purpose=PURPOSE, automatic=True)
    return 1


def _month_name(first: date) -> str:
    return date_format(first, "F Y")
