"""Charts drawn on the server as inline SVG: no script, no CDN, and a data table beside each one.

`stacked_bars` turns counts into geometry; templates/staff/_bar_chart.html draws it. Colours
come from classes in static/css/dashboard.css (the CSP allows no inline style), picked from a
palette that stays distinguishable for colour-blind readers.
"""

import math
from dataclasses import dataclass, field

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 6, 12, 30
# Series beyond this many are summed into "Other" (the last colour of the palette).
MAX_SERIES = 6


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: int
    label: str


@dataclass
class Chart:
    id: str
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list = field(default_factory=list)
    y_ticks: list = field(default_factory=list)  # (y, label)
    x_labels: list = field(default_factory=list)  # (x, label)
    legend: list = field(default_factory=list)  # (colour, name, total)
    columns: list = field(default_factory=list)  # the data table: header row
    rows: list = field(default_factory=list)  # (bucket label, [counts], total)
    baseline: float = HEIGHT - BOTTOM
    left: int = LEFT
    right: int = WIDTH - RIGHT

    @property
    def empty(self):
        return not self.bars


def nice_ceiling(value, ticks=4):
    """The smallest 'round' axis maximum (1, 2, 2.5 or 5 times a power of ten, per tick) above `value`."""
    if value <= 0:
        return ticks
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * power
        if step >= raw and step == int(step):
            return int(step * ticks)
    return int(10 * power * ticks)


def stacked_bars(chart_id, title, buckets, series, names, values, daily):
    """A stacked bar per bucket (day or week), one colour per series (service, department...).

    `buckets` are dates, `series` keys ordered by weight, `names` their labels, `values`
    {(bucket, series key): count}.
    """
    shown, rest = list(series[:MAX_SERIES]), list(series[MAX_SERIES:])
    columns = [names[key] for key in shown] + ([_("Other")] if rest else [])

    def counts(bucket):
        row = [values.get((bucket, key), 0) for key in shown]
        if rest:
            row.append(sum(values.get((bucket, key), 0) for key in rest))
        return row

    table = [(bucket, counts(bucket)) for bucket in buckets]
    highest = max((sum(row) for _bucket, row in table), default=0)
    top = nice_ceiling(highest)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(buckets), 1)
    bar_width = slot * 0.7
    chart = Chart(id=chart_id, title=title, description="")
    # Room for a label about every 48 units of width: thin them out rather than overlap.
    label_every = math.ceil(len(buckets) / ((WIDTH - LEFT - RIGHT) // 48))
    for index, (bucket, row) in enumerate(table):
        label = _bucket_label(bucket, daily)
        x = LEFT + index * slot + (slot - bar_width) / 2
        y = HEIGHT - BOTTOM
        for colour, (name, count) in enumerate(zip(columns, row, strict=True)):
            if not count:
                continue
            height = plot_height * count / top
            y -= height
            chart.bars.append(
                Bar(
                    round(x, 1),
                    round(y, 1),
                    round(bar_width, 1),
                    round(height, 1),
                    colour,
                    f"{label} · {name}: {count}",
                )
            )
        if index % label_every == 0:
            chart.x_labels.append((round(x + bar_width / 2, 1), label))
    chart.y_ticks = [
        (round(HEIGHT - BOTTOM - plot_height * step / 4, 1), compact_number(top * step / 4)) for step in range(5)
    ]
    totals = [sum(row[i] for _bucket, row in table) for i in range(len(columns))]
    chart.legend = [
        (index if index < MAX_SERIES else MAX_SERIES, name, total)
        for index, (name, total) in enumerate(zip(columns, totals, strict=True))
    ]
    chart.columns = columns
    chart.rows = [(_bucket_label(bucket, daily), row, sum(row)) for bucket, row in table]
    chart.description = _describe(table, daily, sum(totals))
    return chart


def compact_number(value):
    """Axis numbers that fit the margin: 800, 2.5k, 10k (with the language's decimal mark)."""
    if value < 1000:
        return number_format(value, decimal_pos=0 if value == int(value) else 1)
    thousands = value / 1000
    return _("%(number)sk") % {"number": number_format(thousands, decimal_pos=0 if thousands == int(thousands) else 1)}


def _bucket_label(bucket, daily):
    return date_format(bucket, "D j" if daily else "j M")


def _describe(table, daily, total):
    if not total:
        return _("No new tickets in this period.")
    bucket, row = max(table, key=lambda item: sum(item[1]))
    if daily:
        busiest = _("the busiest day was %(day)s with %(count)d") % {
            "day": date_format(bucket, "l j F"),
            "count": sum(row),
        }
    else:
        busiest = _("the busiest week began on %(day)s with %(count)d") % {
            "day": date_format(bucket, "j F"),
            "count": sum(row),
        }
    return _("%(total)d new tickets; %(busiest)s.") % {"total": total, "busiest": busiest}
