"""The load chart as SVG, drawn on the server: no script, and no style attribute for the strict
CSP to refuse. Colours come from classes in reports/reports.css; each bar has a <title> that a
pointer shows, and the page puts the same figures in a table beside it for screen readers."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from deskside.reports.figures import LEVELS
from deskside.reports.load import LEVEL_KEYS, DayBacklog, DayLoad

HEIGHT = 180
TOP = 10
BOTTOM = 24  # room for the day labels
LEFT = 32  # room for the scale
BAR = 14
GAP = 4


@dataclass(frozen=True)
class Segment:
    x: int
    y: int
    height: int
    css: str
    title: str


def load_chart(days: list[DayLoad], label: str) -> SafeString:
    """A stacked bar per day, level 1 at the bottom, tickets without a level on top."""
    peak = max((day.total for day in days), default=0) or 1
    width = LEFT + len(days) * (BAR + GAP) + GAP
    parts = [
        f'<svg class="load-chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" '
        'xmlns="http://www.w3.org/2000/svg">',
        *_scale(peak, width),
    ]
    for index, day in enumerate(days):
        x = LEFT + GAP + index * (BAR + GAP)
        parts.extend(_bar(x, day, peak))
        if len(days) <= 31 or day.day.day == 1:
            # A label per day for a week or a month; for longer periods, the first of each month.
            parts.append(
                f'<text class="day" x="{x + BAR // 2}" y="{HEIGHT - 8}" text-anchor="middle">'
                f"{day.day.day}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def segments(x: int, day: DayLoad, peak: int) -> list[Segment]:
    plot = HEIGHT - TOP - BOTTOM
    bottom = HEIGHT - BOTTOM
    found = []
    for level in (*LEVELS, None):
        count = day.by_level.get(level, 0)
        if not count:
            continue
        height = max(round(count * plot / peak), 1)
        bottom -= height
        name = f"level {level}" if level else "no level"
        found.append(
            Segment(
                x,
                bottom,
                height,
                f"level-{level or 'none'}",
                f"{day.day.isoformat()}: {count} at {name}",
            )
        )
    return found


def _bar(x: int, day: DayLoad, peak: int) -> list[str]:
    return [
        f'<rect class="{s.css}" x="{s.x}" y="{s.y}" width="{BAR}" height="{s.height}">'
        f"<title>{escape(s.title)}</title></rect>"
        for s in segments(x, day, peak)
    ]


def _scale(peak: int, width: int) -> list[str]:
    bottom = HEIGHT - BOTTOM
    return [
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{width}" y2="{bottom}"/>',
        f'<text class="scale" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{peak}</text>',
        f'<text class="scale" x="{LEFT - 4}" y="{bottom}" text-anchor="end">0</text>',
    ]


def backlog_chart(days: list[DayBacklog], label: str) -> SafeString:
    """A line per level (and one for tickets without a level) of the tickets open at each day's
    end; each point has a <title> with its figure."""
    peak = max((day.count(level) for day in days for level in LEVEL_KEYS), default=0) or 1
    step = BAR + GAP
    width = LEFT + max(len(days), 1) * step + GAP
    parts = [
        f'<svg class="load-chart backlog-chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" '
        'xmlns="http://www.w3.org/2000/svg">',
        *_scale(peak, width),
    ]
    for level in LEVEL_KEYS:
        points = [
            (LEFT + GAP + i * step + BAR // 2, _y(d.count(level), peak)) for i, d in enumerate(days)
        ]
        if not any(d.count(level) for d in days):
            continue
        css = f"level-{level or 'none'}"
        line = " ".join(f"{x},{y}" for x, y in points)
        parts.append(f'<polyline class="{css}" points="{line}"/>')
        name = f"level {level}" if level else "no level"
        parts.extend(
            f'<circle class="{css}" cx="{x}" cy="{y}" r="2"><title>'
            f"{escape(f'{d.day.isoformat()}: {d.count(level)} open at {name}')}</title></circle>"
            for (x, y), d in zip(points, days, strict=True)
        )
    parts.extend(_day_labels(days, step))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _y(count: int, peak: int) -> int:
    return HEIGHT - BOTTOM - round(count * (HEIGHT - TOP - BOTTOM) / peak)


def _day_labels(days: list[DayBacklog], step: int) -> list[str]:
    return [
        f'<text class="day" x="{LEFT + GAP + i * step + BAR // 2}" y="{HEIGHT - 8}" '
        f'text-anchor="middle">{d.day.day}</text>'
        for i, d in enumerate(days)
        if len(days) <= 31 or d.day.day == 1
    ]
