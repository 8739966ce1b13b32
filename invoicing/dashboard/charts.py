"""Chart geometry for the dashboard's inline SVG, drawn by ``templates/charts.html``.

Coordinates are viewBox units: the drawing scales with the width of the page, so one geometry
serves a laptop and a phone, and nothing is drawn in the browser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pdf.formatting import format_number

LABEL_CHARS = 22
_COMPACT = ((10**9, "tỷ"), (10**6, "tr"), (10**3, "N"))


def percent_text(value: Decimal) -> str:
    return f"{format_number(value, min_places=1)} %"


def compact_number(value: int) -> str:
    """An axis label: ``250 N`` (nghìn, thousand), ``1,5 tr`` (triệu, million), ``2 tỷ`` (billion)."""
    for size, unit in _COMPACT:
        if value >= size:
            return f"{format_number(Decimal(value) / size)} {unit}"
    return format_number(value)


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class RateBar:
    name: str
    label: str
    value: str
    y: float
    width: float
    href: str | None


@dataclass(frozen=True)
class RateChart:
    width: int
    height: int
    plot_x: int
    bar_height: int
    axis_y: int
    bars: tuple[RateBar, ...]
    ticks: tuple[Tick, ...]
    omitted: int
    """Localities without an active business: no rate, no bar."""


@dataclass(frozen=True)
class RateInput:
    name: str
    percent: Decimal | None
    href: str | None


def _nice_step(highest: int, steps: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that reaches ``highest`` in ``steps`` steps."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude * steps >= highest:
                return factor * magnitude
        magnitude *= 10


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def rate_chart(rows: Sequence[RateInput]) -> RateChart:
    """Horizontal bars, highest rate first; the scale reaches past 100 % when registrations the
    registry does not list push a locality over it."""
    width, plot_x, plot_width, row, bar, top = 460, 150, 250, 20, 14, 24
    rated = sorted(
        ((r.percent, r) for r in rows if r.percent is not None), key=lambda pair: (-pair[0], pair[1].name)
    )
    highest = max((percent for percent, _ in rated), default=Decimal(0))
    scale = max(100, math.ceil(highest / 25) * 25)
    step = 25 if scale <= 200 else _nice_step(scale, 4)
    bars = tuple(
        RateBar(
            name=r.name,
            label=_short(r.name),
            value=percent_text(percent),
            y=top + i * row,
            width=round(float(percent / scale) * plot_width, 1),
            href=r.href,
        )
        for i, (percent, r) in enumerate(rated)
    )
    ticks = tuple(
        Tick(at=round(plot_x + plot_width * value / scale, 1), label=f"{value} %")
        for value in range(0, scale + 1, step)
    )
    return RateChart(
        width=width,
        height=top + max(len(bars), 1) * row + 4,
        plot_x=plot_x,
        bar_height=bar,
        axis_y=top - 8,
        bars=bars,
        ticks=ticks,
        omitted=len(rows) - len(rated),
    )


@dataclass(frozen=True)
class SeriesInput:
    label: str
    title: str
    invoices: int
    receipts: int


@dataclass(frozen=True)
class SeriesColumn:
    x: float
    width: float
    invoices_y: float
    invoices_height: float
    receipts_y: float
    receipts_height: float
    label: str | None
    label_x: float
    title: str


@dataclass(frozen=True)
class SeriesChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    columns: tuple[SeriesColumn, ...]
    ticks: tuple[Tick, ...]
    empty: bool


def series_chart(points: Sequence[SeriesInput]) -> SeriesChart:
    """Invoices and receipts stacked per day or month, with at most eight labels under them."""
    width, left, top, bottom, height = 480, 48, 12, 200, 224
    right = width - 20
    highest = max((p.invoices + p.receipts for p in points), default=0)
    step = _nice_step(max(highest, 1), 4)
    scale = step * max(1, math.ceil(highest / step))
    slot = (right - left) / max(len(points), 1)
    every = max(1, math.ceil(len(points) / 8))

    def y(value: int) -> float:
        return round(bottom - (bottom - top) * value / scale, 1)

    columns = tuple(
        SeriesColumn(
            x=round(left + i * slot + slot * 0.15, 1),
            width=round(max(slot * 0.7, 1.0), 1),
            invoices_y=y(p.invoices),
            invoices_height=round(bottom - y(p.invoices), 1),
            receipts_y=y(p.invoices + p.receipts),
            receipts_height=round(y(p.invoices) - y(p.invoices + p.receipts), 1),
            # Counted from the latest bucket, so the most recent day or month is always labelled.
            label=p.label if (len(points) - 1 - i) % every == 0 else None,
            label_x=round(left + (i + 0.5) * slot, 1),
            title=p.title,
        )
        for i, p in enumerate(points)
    )
    ticks = tuple(Tick(at=y(value), label=compact_number(value)) for value in range(0, scale + 1, step))
    return SeriesChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        columns=columns,
        ticks=ticks,
        empty=highest == 0,
    )
