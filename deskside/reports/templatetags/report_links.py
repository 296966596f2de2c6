"""{% figure n report_query "clock" 1 "goal" "met" %}: a report's figure as a link to the
tickets behind it (deskside/reports/behind.py), or the bare figure when it is zero."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from deskside.reports.behind import key

register = template.Library()


@register.simple_tag
def figure(n: object, report_query: str, *parts: object) -> SafeString | str:
    if not n:
        return str(n)
    url = f"{reverse('reports:tickets')}?{drill_query(report_query, key(*parts))}"
    return format_html('<a href="{}" class="figure-link">{}</a>', url, n)


def drill_query(report_query: str, figure_key: str) -> str:
    extra = urlencode({"figure": figure_key})
    return f"{report_query}&{extra}" if report_query else extra
