"""A support lead runs the protocol in the admin without being a superuser: levels, the calendar
and its closing days, public holidays, canned replies and held mail. An agent cannot, even with
the admin's staff status. Durations are written and shown in business words, opening hours as
weekday and time rows, goal milestones as choices; each refusal says what to write instead."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from deskside.desk.models import CannedReply
from deskside.mail.models import InboundStatus
from deskside.tickets import actions
from deskside.tickets.actions import NewMessage
from deskside.tickets.admin_forms import SeverityLevelForm
from deskside.tickets.models import (
    BusinessCalendar,
    Direction,
    MessageKind,
    PublicHoliday,
    SeverityLevel,
)
from tests.mail.test_quarantine import held_reply
from tests.people import People

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
FORMAT_HINT = "Write a duration like 30 min, 8 h or 3 business days."


@pytest.fixture
def lead(client: Client, people: People) -> Client:
    assert not people.lead.is_superuser
    client.force_login(people.lead)
    return client


def level_data(level: SeverityLevel, **changes: Any) -> dict[str, Any]:
    """The level's change form as the admin shows it, with `changes` typed over it."""
    form = SeverityLevelForm(instance=level)
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in data.items()}
    return {**data, **changes, "_save": "Save"}


def calendar_data(calendar: BusinessCalendar, rows: list[tuple[int, str, str]]) -> dict[str, Any]:
    """The calendar's change form with `rows` as its opening hours and no closing date added."""
    data: dict[str, Any] = {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "holiday_country": calendar.holiday_country,
        "is_default": "on" if calendar.is_default else "",
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": "0",
        "closing_dates-TOTAL_FORMS": "0",
        "closing_dates-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    for i, (day, opens, closes) in enumerate(rows):
        data |= {f"hours-{i}-weekday": str(day), f"hours-{i}-opens": opens}
        data[f"hours-{i}-closes"] = closes
    return data


def change_url(obj: Any) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def refusal(response: Any) -> str:
    """The page that refused a save, as text (it is a 200 with the errors, not a redirect)."""
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


# -- levels ---------------------------------------------------------------------------------------


def test_a_lead_edits_a_levels_durations_in_business_words(lead: Client) -> None:
    level = SeverityLevel.objects.get(level=3)
    page = lead.get(change_url(level)).content.decode()
    assert 'value="10 business days"' in page  # the goal, 80 business hours
    assert "0:00:00" not in page

    data = level_data(level, first_response="4 h", goal="3 business days", update_interval="")
    response = lead.post(change_url(level), data)

    assert response.status_code == 302, refusal(response)
    level.refresh_from_db()
    assert (level.first_response, level.goal, level.update_interval) == (4 * H, 24 * H, None)
    listed = lead.get(reverse("admin:tickets_severitylevel_changelist")).content.decode()
    assert "3 business days: solution" in listed
    assert "day, 0:00:00" not in listed


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("1 day, 0:00:00", f"&#x27;1 day, 0:00:00&#x27; is not a duration. {FORMAT_HINT}"),
        ("soon", f"&#x27;soon&#x27; is not a duration. {FORMAT_HINT}"),
        ("3 weeks", f"&#x27;weeks&#x27; is not a unit of time. {FORMAT_HINT}"),
        ("0 min", f"A clock of zero is due at once: give a longer time. {FORMAT_HINT}"),
        ("", "This field is required."),
    ],
)
def test_a_duration_the_lead_mistypes_is_refused_with_the_format(
    lead: Client, typed: str, said: str
) -> None:
    level = SeverityLevel.objects.get(level=2)
    response = lead.post(change_url(level), level_data(level, goal=typed))
    assert said in refusal(response)
    level.refresh_from_db()
    assert level.goal == 24 * H


def test_goal_milestones_are_choices_and_an_unknown_one_is_refused(lead: Client) -> None:
    level = SeverityLevel.objects.get(level=1)
    page = lead.get(change_url(level)).content.decode()
    assert 'type="checkbox" name="goal_milestones" value="workaround"' in page

    unknown = lead.post(change_url(level), level_data(level, goal_milestones=["fixed"]))
    assert "fixed is not a milestone: choose among the ones listed." in refusal(unknown)
    none = lead.post(change_url(level), level_data(level, goal_milestones=[]))
    assert (
        "Choose at least one milestone: without one, no ticket of this level could meet its goal."
        in refusal(none)
    )
    level.refresh_from_db()
    assert sorted(level.goal_milestones) == ["solution", "temporary_solution"]

    chosen = lead.post(change_url(level), level_data(level, goal_milestones=["workaround"]))
    assert chosen.status_code == 302
    level.refresh_from_db()
    assert level.goal_milestones == ["workaround"]


def test_the_reminders_must_come_before_the_close(lead: Client) -> None:
    level = SeverityLevel.objects.get(level=3)
    data = level_data(level, reminder_second_after="6 business days")
    assert "first reminder &lt; second reminder &lt; close." in refusal(
        lead.post(change_url(level), data)
    )


# -- the calendar ---------------------------------------------------------------------------------


def test_a_lead_edits_the_opening_hours_as_weekday_and_time_rows(lead: Client) -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    page = lead.get(change_url(calendar)).content.decode()
    assert '<option value="4" selected>Friday</option>' in page
    assert 'type="time" name="hours-0-opens" value="09:00"' in page

    rows = [(0, "09:00", "12:00"), (0, "13:00", "17:00"), (5, "10:00", "12:30")]
    response = lead.post(change_url(calendar), calendar_data(calendar, rows))

    assert response.status_code == 302, refusal(response)
    calendar.refresh_from_db()
    assert calendar.opening_hours == [
        [0, "09:00", "12:00"],
        [0, "13:00", "17:00"],
        [5, "10:00", "12:30"],
    ]


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ([(0, "17:00", "09:00")], "The desk must open before it closes (From before Until)."),
        ([(0, "09:00", "09:00")], "The desk must open before it closes (From before Until)."),
        (
            [(2, "09:00", "13:00"), (2, "12:00", "17:00")],
            "On Wednesday, 09:00–13:00 and 12:00–17:00 overlap: give each hour once.",
        ),
        ([(0, "09:00:30", "17:00")], "Give whole minutes, e.g. 09:00."),
        ([(7, "09:00", "17:00")], "Select a valid choice. 7 is not one of the available choices."),
        ([(0, "nine", "17:00")], "Enter a valid time."),
        ([], "Give at least one opening period: a desk that is never open runs no clock."),
    ],
)
def test_opening_hours_that_cannot_be_are_refused(
    lead: Client, rows: list[tuple[int, str, str]], said: str
) -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    before = calendar.opening_hours
    page = refusal(lead.post(change_url(calendar), calendar_data(calendar, rows)))
    assert said in page
    calendar.refresh_from_db()
    assert calendar.opening_hours == before


def test_a_lead_adds_a_closing_day_and_a_public_holiday(lead: Client) -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    data = calendar_data(calendar, [(d, "09:00", "17:00") for d in range(5)])
    data |= {"closing_dates-TOTAL_FORMS": "1", "closing_dates-0-date": "2026-12-24"}
    data["closing_dates-0-reason"] = "Bridge day"
    assert lead.post(change_url(calendar), data).status_code == 302
    assert calendar.closing_dates.get().date == date(2026, 12, 24)

    added = lead.post(
        reverse("admin:tickets_publicholiday_add"),
        {"country": "BE", "date": "2101-01-01", "name": "New Year's Day"},
    )
    assert added.status_code == 302
    holiday = PublicHoliday.objects.get(date=date(2101, 1, 1))
    assert (
        lead.post(
            change_url(holiday), {"country": "BE", "date": "2101-01-01", "name": "Nieuwjaar"}
        ).status_code
        == 302
    )


# -- canned replies and held mail -----------------------------------------------------------------


def test_a_lead_writes_canned_replies(lead: Client) -> None:
    added = lead.post(
        reverse("admin:desk_cannedreply_add"),
        {"title": "Restart", "text_en": "Please restart the service."},
    )
    assert added.status_code == 302
    reply = CannedReply.objects.get(title="Restart")
    edited = lead.post(change_url(reply), {"title": "Restart", "text_en": "Restart it, please."})
    assert edited.status_code == 302
    assert (
        lead.post(
            reverse("admin:desk_cannedreply_delete", args=[reply.pk]), {"post": "yes"}
        ).status_code
        == 302
    )
    assert not CannedReply.objects.exists()


def test_a_lead_discards_held_mail_in_the_admin(lead: Client, people: People) -> None:
    held = held_reply(_ticket(people))
    response = lead.post(
        reverse("admin:mail_inboundmail_changelist"),
        {"action": "discard", "_selected_action": [str(held.pk)]},
        follow=True,
    )
    assert "Discarded 1 mail(s)." in [str(m) for m in response.context["messages"]]
    held.refresh_from_db()
    assert held.status == InboundStatus.DISCARDED


def _ticket(people: People) -> Any:
    return actions.open_ticket(
        contact=people.client,
        subject="Sev 3 slow report",
        claimed_severity=3,
        received_at=people.acme.created_at,
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="slow"),
    )


# -- an agent cannot ------------------------------------------------------------------------------


def test_an_agent_with_staff_status_edits_none_of_it(client: Client, people: People) -> None:
    agent: User = people.agent
    agent.is_staff = True  # even let into the admin, an agent only reads
    agent.save()
    client.force_login(agent)
    level = SeverityLevel.objects.get(level=1)
    calendar = BusinessCalendar.objects.get(is_default=True)
    refused = [
        change_url(level),
        change_url(calendar),
        reverse("admin:tickets_publicholiday_add"),
        reverse("admin:desk_cannedreply_add"),
    ]
    for url in refused:
        assert client.get(url).status_code == 403, url
    assert client.post(change_url(level), level_data(level, goal="1 h")).status_code == 403
    level.refresh_from_db()
    assert level.goal == 8 * H
