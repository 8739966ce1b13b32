"""Calendar periods: what the API accepts, and how a date range splits into aggregate keys.

Aggregates are kept per day (``D``), month (``M``) and year (``Y``), keyed by the period's first
day, in Vietnam's calendar (UTC+7). Any date range is the union of at most five runs of keys —
leading days, leading months, whole years, trailing months, trailing days — so summing a range
reads a bounded number of rows however much happened in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import signing
from invoicing.errors import ValidationFailed

EPOCH = date(1970, 1, 1)
DAY, MONTH, YEAR = "D", "M", "Y"
GRAINS = (DAY, MONTH, YEAR)

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
MAX_DAY_BUCKETS = 366
MAX_MONTH_BUCKETS = 120


class Granularity(StrEnum):
    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True)
class Interval:
    """Keys of one grain whose ``period_start`` lies in [first, last]."""

    grain: str
    first: date
    last: date


@dataclass(frozen=True)
class Window:
    """Flows are counted in [start, end] (``start`` None: since the beginning); stocks at ``as_of``."""

    start: date | None
    end: date
    as_of: date

    @property
    def intervals(self) -> tuple[Interval, ...]:
        return decompose(self.start or EPOCH, self.end)

    @property
    def single_key(self) -> Interval | None:
        """The one aggregate key that is exactly this window, if there is one."""
        if self.start is None:
            return None
        intervals = self.intervals
        if len(intervals) == 1 and intervals[0].first == intervals[0].last:
            return intervals[0]
        return None


def vn_date(moment: datetime) -> date:
    return moment.astimezone(signing.VN_TZ).date()


def today_vn() -> date:
    return vn_date(datetime.now(signing.VN_TZ))


def month_start(day: date) -> date:
    return day.replace(day=1)


def year_start(day: date) -> date:
    return day.replace(month=1, day=1)


def next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


def keys_of(day: date) -> tuple[tuple[str, date], ...]:
    """The three aggregate keys a dated event adds to."""
    return ((DAY, day), (MONTH, month_start(day)), (YEAR, year_start(day)))


def decompose(start: date, end: date) -> tuple[Interval, ...]:
    intervals: list[Interval] = []

    def emit(grain: str, key: date) -> None:
        if intervals and intervals[-1].grain == grain:
            intervals[-1] = Interval(grain, intervals[-1].first, key)
        else:
            intervals.append(Interval(grain, key, key))

    current = start
    while current <= end:
        if current.month == 1 and current.day == 1 and date(current.year, 12, 31) <= end:
            emit(YEAR, current)
            current = date(current.year + 1, 1, 1)
        elif current.day == 1 and month_end(current) <= end:
            emit(MONTH, current)
            current = next_month(current)
        else:
            emit(DAY, current)
            current += timedelta(days=1)
    return tuple(intervals)


def _parse_date(value: str, *, field: str, month_end_for_months: bool = False) -> date:
    """``YYYY-MM-DD``, or ``YYYY-MM`` meaning the month's first (or last) day."""
    text = value.strip()
    try:
        if match := _DAY.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _MONTH.match(text):
            first = date(int(match[1]), int(match[2]), 1)
            return month_end(first) if month_end_for_months else first
    except ValueError:
        raise ValidationFailed(f"{value!r} is not a calendar date", field=field) from None
    raise ValidationFailed(f"{value!r} is not a date: use YYYY-MM-DD (or YYYY-MM)", field=field)


def parse_period(value: str) -> tuple[date, date]:
    text = value.strip()
    try:
        if match := _YEAR.match(text):
            year = int(match[1])
            return date(year, 1, 1), date(year, 12, 31)
        if match := _MONTH.match(text):
            first = date(int(match[1]), int(match[2]), 1)
            return first, month_end(first)
        if match := _DAY.match(text):
            day = date(int(match[1]), int(match[2]), int(match[3]))
            return day, day
    except ValueError:
        raise ValidationFailed(f"{value!r} is not a calendar period", field="period") from None
    raise ValidationFailed(
        f"{value!r} is not a period: use YYYY (a year), YYYY-MM (a month) or YYYY-MM-DD (a day)",
        field="period",
    )


def parse_window(
    *, period: str | None, start: str | None, end: str | None, as_of: str | None, today: date
) -> Window:
    """The query's window; 422 naming the field at fault."""
    stock_at = _parse_date(as_of, field="as_of") if as_of is not None else None
    if period is not None:
        if start is not None or end is not None:
            raise ValidationFailed("give either period or from/to, not both", field="period")
        first, last = parse_period(period)
        return Window(start=first, end=last, as_of=stock_at or min(last, today))
    first_day = _parse_date(start, field="from") if start is not None else None
    if end is not None:
        last_day = _parse_date(end, field="to", month_end_for_months=True)
    else:
        last_day = stock_at or today
    if first_day is not None and first_day > last_day:
        raise ValidationFailed(
            f"from ({first_day.isoformat()}) is after to ({last_day.isoformat()})", field="from"
        )
    return Window(start=first_day, end=last_day, as_of=stock_at or min(last_day, today))


@dataclass(frozen=True)
class Buckets:
    granularity: Granularity
    starts: tuple[date, ...]

    @property
    def first(self) -> date:
        return self.starts[0]

    @property
    def last_day(self) -> date:
        last = self.starts[-1]
        return last if self.granularity is Granularity.DAY else month_end(last)


def parse_buckets(*, granularity: Granularity, start: str | None, end: str | None, today: date) -> Buckets:
    """Timeseries buckets: default the last 30 days or the last 12 months up to today."""
    last = _parse_date(end, field="to", month_end_for_months=True) if end is not None else today
    if granularity is Granularity.DAY:
        first = _parse_date(start, field="from") if start is not None else last - timedelta(days=29)
        if first > last:
            raise ValidationFailed("from is after to", field="from")
        count = (last - first).days + 1
        if count > MAX_DAY_BUCKETS:
            raise ValidationFailed(
                f"{count} days asked; a daily series covers at most {MAX_DAY_BUCKETS} (use granularity=month)",
                field="from",
            )
        return Buckets(granularity, tuple(first + timedelta(days=i) for i in range(count)))
    last_month = month_start(last)
    if start is not None:
        first_month = month_start(_parse_date(start, field="from"))
    else:
        first_month = date(last_month.year - 1, last_month.month, 1)
        first_month = next_month(first_month)
    if first_month > last_month:
        raise ValidationFailed("from is after to", field="from")
    starts: list[date] = []
    current = first_month
    while current <= last_month:
        starts.append(current)
        if len(starts) > MAX_MONTH_BUCKETS:
            raise ValidationFailed(
                f"a monthly series covers at most {MAX_MONTH_BUCKETS} months", field="from"
            )
        current = next_month(current)
    return Buckets(granularity, tuple(starts))
