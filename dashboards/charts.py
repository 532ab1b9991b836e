"""Geometry for the server-rendered SVG charts; templates only draw it.

Coordinates are SVG user units in a fixed viewBox, so the charts scale with
the page and need no JavaScript.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from responses.scoring import NpsSummary

from .metrics import Bucket, TrendPoint

# The interpretation bands often quoted for NPS: low, high, css class, label.
BANDS: tuple[tuple[int, int, str, Promise], ...] = (
    (-100, 0, "needs-work", _("Needs work")),
    (0, 30, "good", _("Good")),
    (30, 70, "great", _("Great")),
    (70, 100, "excellent", _("World class")),
)


def band_for(nps: float | None) -> tuple[str, Promise] | None:
    """The band's css class and label, as quoted: < 0, 0-30, 30-70, > 70."""
    if nps is None:
        return None
    index = 0 if nps < 0 else 1 if nps < 30 else 2 if nps <= 70 else 3
    _low, _high, css, label = BANDS[index]
    return css, label


# Gauge -----------------------------------------------------------------------


@dataclass(frozen=True)
class Arc:
    path: str
    css: str
    label: Promise


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Gauge:
    width: int
    height: int
    cx: float
    cy: float
    bands: list[Arc]
    ticks: list[Tick]
    needle_x: float | None
    needle_y: float | None


GAUGE_RADIUS = 100
GAUGE_CENTER = (130.0, 122.0)


def _on_dial(value: float, radius: float) -> tuple[float, float]:
    """-100 is far left, 0 straight up, +100 far right."""
    angle = math.pi * (1 - (max(-100.0, min(100.0, value)) + 100) / 200)
    cx, cy = GAUGE_CENTER
    return round(cx + radius * math.cos(angle), 2), round(cy - radius * math.sin(angle), 2)


def gauge(*, nps: float | None) -> Gauge:
    bands = []
    for low, high, css, label in BANDS:
        (x1, y1), (x2, y2) = _on_dial(low, GAUGE_RADIUS), _on_dial(high, GAUGE_RADIUS)
        path = f"M {x1} {y1} A {GAUGE_RADIUS} {GAUGE_RADIUS} 0 0 1 {x2} {y2}"
        bands.append(Arc(path=path, css=css, label=label))
    ticks = []
    for value in (-100, 0, 30, 70, 100):
        x, y = _on_dial(value, GAUGE_RADIUS + 16)
        if abs(value) == 100:  # under the ends of the dial, where there is room
            x, y = _on_dial(value, GAUGE_RADIUS)[0], GAUGE_CENTER[1] + 12
        ticks.append(Tick(x=x, y=y + 4, label=f"{value:+d}" if value else "0"))
    needle = _on_dial(nps, GAUGE_RADIUS - 14) if nps is not None else (None, None)
    return Gauge(
        width=260,
        height=142,
        cx=GAUGE_CENTER[0],
        cy=GAUGE_CENTER[1],
        bands=bands,
        ticks=ticks,
        needle_x=needle[0],
        needle_y=needle[1],
    )


# Split bar -------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A share of the split bar, in percent of its width."""

    css: str
    x: float
    width: float


def split(*, summary: NpsSummary) -> list[Segment]:
    shares = [
        ("promoter", summary.promoter_percent),
        ("passive", summary.passive_percent),
        ("detractor", summary.detractor_percent),
    ]
    segments, x = [], 0.0
    for css, width in shares:
        segments.append(Segment(css=css, x=round(x, 3), width=round(width, 3)))
        x += width
    return segments


# Histogram -------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    score: int
    count: int
    category: str
    x: float
    y: float
    width: float
    height: float

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 2)

    @property
    def label_y(self) -> float:
        return round(self.y - 4, 2)


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    baseline: float
    bars: list[Bar]

    @property
    def label_y(self) -> float:
        return self.height - 6


def histogram(*, buckets: Sequence[Bucket]) -> Histogram:
    width, height, top, bottom = 660, 180, 18, 22
    slot = width / len(buckets)
    tallest = max((b.count for b in buckets), default=0) or 1
    baseline = height - bottom
    bars = []
    for i, bucket in enumerate(buckets):
        bar_height = round((baseline - top) * bucket.count / tallest, 2)
        bars.append(
            Bar(
                score=bucket.score,
                count=bucket.count,
                category=bucket.category,
                x=round(i * slot + 4, 2),
                y=round(baseline - bar_height, 2),
                width=round(slot - 8, 2),
                height=bar_height,
            )
        )
    return Histogram(width=width, height=height, baseline=baseline, bars=bars)


# Trend -----------------------------------------------------------------------


@dataclass(frozen=True)
class PointText:
    """A point's dates and numbers as the page prints them (with the template
    filters' own functions, so the text is theirs), formatted once for both its
    dot's tooltip and its row of the table: 50 points made hundreds of filter
    calls in the template."""

    point: TrendPoint
    first: str
    last: str
    nps: str
    margin: str
    low: str
    high: str
    # The values, each computed once: the summary's properties recount every time.
    values: tuple[float, float, float] | None  # nps, low, high; None without answers


def _text(point: TrendPoint) -> PointText:
    summary = point.summary
    nps, margin, low, high = summary.nps, summary.margin_of_error, summary.low, summary.high
    scored = nps is not None
    return PointText(
        point=point,
        first=date_filter(point.first, "DATE_FORMAT"),
        last=date_filter(point.last, "DATE_FORMAT"),
        nps=floatformat(nps, 0) if scored else "",
        margin=floatformat(margin, 1) if scored else "",
        low=floatformat(low, 0) if scored else "",
        high=floatformat(high, 0) if scored else "",
        values=None if nps is None or low is None or high is None else (nps, low, high),
    )


@dataclass(frozen=True)
class Dot:
    """A point with data, and the ends of its 95 % interval."""

    x: float
    y: float
    y_low: float
    y_high: float
    point: TrendPoint
    text: PointText


@dataclass(frozen=True)
class Grid:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    lines: list[str]
    bands: list[str]
    dots: list[Dot]
    grid: list[Grid]
    x_labels: list[XLabel]
    rows: list[PointText]  # every point, for the table


CHART_WIDTH, CHART_HEIGHT = 720, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 24, 12, 28
INSET = 14
LABEL_FORMATS = {"day": "M j", "week": "M j", "month": "M Y"}


def _y(value: float) -> float:
    plot = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM
    return round(PAD_TOP + (100 - value) / 200 * plot, 2)


def _x(index: int, count: int) -> float:
    # Inset from the axes so the first and last points stay clear of the labels.
    first, plot = PAD_LEFT + INSET, CHART_WIDTH - PAD_LEFT - PAD_RIGHT - 2 * INSET
    if count == 1:
        return first + plot / 2
    return round(first + index * plot / (count - 1), 2)


def _runs(dots: list[Dot | None]) -> list[list[Dot]]:
    """Consecutive points with data: the line breaks over empty buckets."""
    runs: list[list[Dot]] = [[]]
    for dot in dots:
        if dot is None:
            runs.append([])
        else:
            runs[-1].append(dot)
    return [run for run in runs if run]


def _band(run: list[Dot]) -> str:
    upper = [f"{d.x} {d.y_high}" for d in run]
    lower = [f"{d.x} {d.y_low}" for d in reversed(run)]
    return "M " + " L ".join(upper + lower) + " Z"


def _dot(index: int, count: int, text: PointText) -> Dot | None:
    if text.values is None:
        return None
    nps, low, high = text.values
    return Dot(
        x=_x(index, count),
        y=_y(nps),
        y_low=_y(low),
        y_high=_y(high),
        point=text.point,
        text=text,
    )


def _x_labels(points: Sequence[TrendPoint], granularity: str) -> list[XLabel]:
    step = max(1, math.ceil(len(points) / 8))
    fmt = LABEL_FORMATS[granularity]
    return [
        XLabel(x=_x(i, len(points)), label=date_format(point.first, fmt))
        for i, point in enumerate(points)
        if i % step == 0
    ]


def line_chart(*, points: Sequence[TrendPoint], granularity: str) -> LineChart:
    rows = [_text(point) for point in points]
    dots = [_dot(i, len(rows), row) for i, row in enumerate(rows)]
    runs = _runs(dots)
    return LineChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=PAD_LEFT,
        right=CHART_WIDTH - PAD_RIGHT,
        lines=["M " + " L ".join(f"{d.x} {d.y}" for d in run) for run in runs if len(run) > 1],
        bands=[_band(run) for run in runs if len(run) > 1],
        dots=[dot for dot in dots if dot is not None],
        grid=[Grid(y=_y(v), label=f"{v:+d}" if v else "0") for v in (100, 50, 0, -50, -100)],
        x_labels=_x_labels(points, granularity),
        rows=rows,
    )
