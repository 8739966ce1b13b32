"""Dashboard sessions, and what each page shows, assembled from the adoption statistics."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from invoicing.adoption import reports
from invoicing.adoption import service as adoption
from invoicing.adoption.periods import MAX_MONTH_BUCKETS, Granularity, Window, month_start
from invoicing.audit.service import record_event
from invoicing.auth.principals import OfficialPrincipal
from invoicing.auth.tokens import hash_token
from invoicing.dashboard import repository
from invoicing.dashboard.charts import (
    RateChart,
    RateInput,
    SeriesChart,
    SeriesInput,
    percent_text,
    rate_chart,
    series_chart,
)
from invoicing.localities import service as localities
from invoicing.models import DashboardSession
from invoicing.models.base import utcnow
from invoicing.officials import service as officials
from pdf.formatting import format_date, format_number

SESSION_LIFETIME = timedelta(hours=8)
DAILY_UP_TO_DAYS = 62
"""A window of at most about two months is charted per day, a longer one per month."""
HOME = "/dashboard"


# --- sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    session_id: str
    """The cookie's value: shown to the browser once, kept here only as its SHA-256."""
    expires_at: datetime


def sign_in(session: Session, *, token: str, previous: str | None) -> SignedIn | None:
    """A new session for the official whose token this is, replacing the browser's ``previous``
    one; None for any other string, whether or not a token with its prefix exists."""
    official = officials.authenticate_official(session, token)
    if official is None:
        return None
    now = utcnow()
    sign_out(session, session_id=previous)
    repository.delete_expired_sessions(session, now=now)
    # 256 random bits: a fast hash is the right one, as for tokens (invoicing/auth/tokens.py).
    session_id = secrets.token_urlsafe(32)
    expires_at = now + SESSION_LIFETIME
    repository.add_session(
        session,
        DashboardSession(
            id_hash=hash_token(session_id),
            official_id=official.official_id,
            created_at=now,
            expires_at=expires_at,
        ),
    )
    record_event(
        session,
        actor=official.actor,
        action="dashboard.signed_in",
        subject_type="official",
        subject_id=official.official_id,
    )
    return SignedIn(session_id=session_id, expires_at=expires_at)


def signed_in_official(session: Session, *, session_id: str | None) -> OfficialPrincipal | None:
    """The official of a live session; None when it is unknown, expired, signed out or revoked."""
    if not session_id:
        return None
    found = repository.get_live_session(session, id_hash=hash_token(session_id), now=utcnow())
    if found is None:
        return None
    return officials.official_principal(session, found.official_id)


def sign_out(session: Session, *, session_id: str | None) -> None:
    if session_id:
        repository.delete_session(session, id_hash=hash_token(session_id))


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard page of this site, never another origin."""
    if target and target.startswith(HOME) and "\\" not in target:
        return target
    return HOME


# --- filters, columns, sorting -------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The period asked for, as typed: checked by ``adoption.statistics_window``."""

    period: str | None = None
    start: str | None = None
    end: str | None = None

    @classmethod
    def from_query(cls, *, period: str | None, start: str | None, end: str | None) -> Filters:
        # An empty field of the filter form means "not given".
        def given(value: str | None) -> str | None:
            return (value.strip() or None) if value is not None else None

        return cls(period=given(period), start=given(start), end=given(end))

    def query(self, **extra: str | None) -> str:
        pairs = {"period": self.period, "from": self.start, "to": self.end, **extra}
        kept = {name: value for name, value in pairs.items() if value is not None}
        return "?" + urlencode(kept) if kept else ""

    def window(self) -> Window:
        return adoption.statistics_window(period=self.period, start=self.start, end=self.end, as_of=None)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = True


NUMBER_COLUMNS = (
    Column("active", "Doanh nghiệp hoạt động"),
    Column("registered", "Đã đăng ký"),
    Column("rate", "Tỷ lệ tham gia"),
    Column("issuers", "Đang lập hóa đơn"),
    Column("invoices", "Hóa đơn"),
    Column("receipts", "Biên lai"),
    Column("amount", "Tổng tiền (VND)"),
)
SORT_KEYS = frozenset({"name", *(column.key for column in NUMBER_COLUMNS)})


@dataclass(frozen=True)
class Sort:
    key: str | None = None
    descending: bool = False

    @classmethod
    def from_query(cls, *, sort: str | None, order: str | None) -> Sort:
        if sort not in SORT_KEYS:
            return cls()
        return cls(key=sort, descending=order == "desc")


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    numeric: bool
    href: str
    aria_sort: str | None


@dataclass(frozen=True)
class Cell:
    text: str
    value: str
    """What the page's script sorts by."""
    href: str | None = None


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    kind: str
    """``data``, or ``unassigned`` and ``total`` below the sorted rows."""


def _collation_key(name: str) -> tuple[str, str]:
    # Close enough to Vietnamese dictionary order without a system locale: đ files under d and
    # the tone marks only break ties.
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold(), name


def _measure(figures: adoption.Figures, key: str) -> Decimal | int:
    values: dict[str, Decimal | int] = {
        "active": figures.active,
        "registered": figures.registered,
        "rate": figures.adoption_percent if figures.adoption_percent is not None else Decimal(-1),
        "issuers": figures.issuers,
        "invoices": figures.invoices_issued,
        "receipts": figures.receipts_issued,
        "amount": figures.amount_total,
    }
    return values[key]


def _sorted(rows: list[adoption.Figures], sort: Sort) -> list[adoption.Figures]:
    if sort.key is None:
        return rows
    if sort.key == "name":
        return sorted(rows, key=lambda row: _collation_key(row.name), reverse=sort.descending)
    key = sort.key
    return sorted(rows, key=lambda row: _measure(row, key), reverse=sort.descending)


def _row(figures: adoption.Figures, *, kind: str, href: str | None) -> Row:
    percent = figures.adoption_percent
    cells = [Cell(text=figures.name, value=figures.name, href=href)]
    for column in NUMBER_COLUMNS:
        measure = _measure(figures, column.key)
        if column.key == "rate":
            text = percent_text(percent) if percent is not None else "—"
        else:
            text = format_number(measure)
        cells.append(Cell(text=text, value=str(measure)))
    return Row(cells=tuple(cells), kind=kind)


def _headers(name_label: str, *, path: str, filters: Filters, sort: Sort) -> tuple[Header, ...]:
    headers = []
    for column in (Column("name", name_label, numeric=False), *NUMBER_COLUMNS):
        current = sort.key == column.key
        # A first click ranks the largest first; names start at A. Clicking again turns it round.
        descending = not sort.descending if current else column.numeric
        headers.append(
            Header(
                key=column.key,
                label=column.label,
                numeric=column.numeric,
                href=path + filters.query(sort=column.key, order="desc" if descending else "asc"),
                aria_sort=("descending" if sort.descending else "ascending") if current else None,
            )
        )
    return tuple(headers)


# --- pages ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """What every signed-in page shows: who, their scope, the period filter."""

    official_name: str
    scope_name: str
    path: str
    filters: Filters


@dataclass(frozen=True)
class SeriesQuery:
    granularity: Granularity
    province_code: str | None
    start: str | None
    end: str


@dataclass(frozen=True)
class SeriesView:
    heading: str
    chart: SeriesChart
    csv: str


@dataclass(frozen=True)
class StatisticsPage:
    frame: Frame
    heading: str
    period_text: str
    as_of_text: str
    headers: tuple[Header, ...]
    rows: tuple[Row, ...]
    footer: tuple[Row, ...]
    table_csv: str
    rate_heading: str
    rate_chart: RateChart
    series: SeriesView
    back_href: str | None


def frame(official: OfficialPrincipal, *, path: str, filters: Filters) -> Frame:
    code = official.province_code
    scope = "Toàn quốc" if code is None else localities.get_province(code).name
    return Frame(official_name=official.name, scope_name=scope, path=path, filters=filters)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _series_query(window: Window, province_code: str | None) -> SeriesQuery:
    if window.start is not None and (window.end - window.start).days < DAILY_UP_TO_DAYS:
        return SeriesQuery(Granularity.DAY, province_code, window.start.isoformat(), window.end.isoformat())
    start = None
    if window.start is not None:
        # A window of more than ten years is charted over its last ten.
        start = max(month_start(window.start), _months_before(window.end, MAX_MONTH_BUCKETS - 1)).isoformat()
    return SeriesQuery(Granularity.MONTH, province_code, start, window.end.isoformat())


def _series(
    session: Session,
    official: OfficialPrincipal,
    *,
    window: Window,
    province_code: str | None,
    filters: Filters,
) -> SeriesView:
    query = _series_query(window, province_code)
    found = adoption.timeseries(
        session,
        official,
        granularity=query.granularity,
        province_code=query.province_code,
        start=query.start,
        end=query.end,
    )
    daily = query.granularity is Granularity.DAY
    points = []
    for point in found.points:
        invoices, receipts = point.documents["invoices_issued"], point.documents["receipts_issued"]
        when = (
            f"{point.start.day:02d}/{point.start.month:02d}"
            if daily
            else f"{point.start.month:02d}/{point.start.year}"
        )
        points.append(
            SeriesInput(
                label=when,
                title=f"{format_date(point.start) if daily else 'Tháng ' + when}: "
                f"{format_number(invoices)} hóa đơn, {format_number(receipts)} biên lai",
                invoices=invoices,
                receipts=receipts,
            )
        )
    return SeriesView(
        heading=f"Chứng từ đã lập theo {'ngày' if daily else 'tháng'}",
        chart=series_chart(points),
        csv=f"{HOME}/timeseries.csv{filters.query(province=province_code)}",
    )


def _period_text(window: Window) -> str:
    if window.start is None:
        return f"Từ đầu đến {format_date(window.end)}"
    if window.start == window.end:
        return format_date(window.start)
    return f"{format_date(window.start)} – {format_date(window.end)}"


def overview_page(
    session: Session, official: OfficialPrincipal, *, filters: Filters, sort: Sort
) -> StatisticsPage:
    """A national official's view of every province; a provincial official's of its wards."""
    if official.province_code is not None:
        return _wards_page(
            session, official, province_code=official.province_code, path=HOME, filters=filters, sort=sort
        )
    window = filters.window()
    found = adoption.province_statistics(session, official, window=window)
    hrefs = {row.code: f"{HOME}/provinces/{row.code}{filters.query()}" for row in found.rows}
    return StatisticsPage(
        frame=frame(official, path=HOME, filters=filters),
        heading="Toàn quốc: tham gia hóa đơn điện tử theo tỉnh, thành phố",
        period_text=_period_text(window),
        as_of_text=format_date(window.as_of),
        headers=_headers("Tỉnh, thành phố", path=HOME, filters=filters, sort=sort),
        rows=tuple(_row(row, kind="data", href=hrefs[row.code]) for row in _sorted(found.rows, sort)),
        footer=(_row(found.total, kind="total", href=None),),
        rate_heading="Tỷ lệ tham gia theo tỉnh, thành phố",
        rate_chart=rate_chart(
            [
                RateInput(name=row.name, percent=row.adoption_percent, href=hrefs[row.code])
                for row in found.rows
            ]
        ),
        table_csv=f"{HOME}/provinces.csv{filters.query()}",
        series=_series(session, official, window=window, province_code=None, filters=filters),
        back_href=None,
    )


def wards_page(
    session: Session, official: OfficialPrincipal, *, province_code: str, filters: Filters, sort: Sort
) -> StatisticsPage:
    """One province's wards; NotFound outside the official's jurisdiction."""
    return _wards_page(
        session,
        official,
        province_code=province_code,
        path=f"{HOME}/provinces/{province_code}",
        filters=filters,
        sort=sort,
    )


def _wards_page(
    session: Session,
    official: OfficialPrincipal,
    *,
    province_code: str,
    path: str,
    filters: Filters,
    sort: Sort,
) -> StatisticsPage:
    window = filters.window()
    found = adoption.ward_statistics(session, official, province_code=province_code, window=window)
    assert found.unassigned is not None
    footer = [_row(found.total, kind="total", href=None)]
    if found.unassigned.active or found.unassigned.registered:
        footer.insert(0, _row(found.unassigned, kind="unassigned", href=None))
    return StatisticsPage(
        frame=frame(official, path=path, filters=filters),
        heading=f"{found.total.name}: tham gia hóa đơn điện tử theo phường, xã",
        period_text=_period_text(window),
        as_of_text=format_date(window.as_of),
        headers=_headers("Phường, xã", path=path, filters=filters, sort=sort),
        rows=tuple(_row(row, kind="data", href=None) for row in _sorted(found.rows, sort)),
        footer=tuple(footer),
        rate_heading="Tỷ lệ tham gia theo phường, xã",
        rate_chart=rate_chart(
            [RateInput(name=row.name, percent=row.adoption_percent, href=None) for row in found.rows]
        ),
        table_csv=f"{HOME}/provinces/{province_code}/wards.csv{filters.query()}",
        series=_series(session, official, window=window, province_code=province_code, filters=filters),
        back_href=HOME + filters.query() if official.is_national else None,
    )


# --- downloads: the API's own CSV ----------------------------------------------------------------


def provinces_csv(
    session: Session, official: OfficialPrincipal, *, filters: Filters, redis: Any | None
) -> reports.Report:
    return reports.province_report(session, official, window=filters.window(), as_csv=True, redis=redis)


def wards_csv(
    session: Session, official: OfficialPrincipal, *, province_code: str, filters: Filters, redis: Any | None
) -> reports.Report:
    return reports.ward_report(
        session, official, province_code=province_code, window=filters.window(), as_csv=True, redis=redis
    )


def timeseries_csv(
    session: Session,
    official: OfficialPrincipal,
    *,
    province_code: str | None,
    filters: Filters,
    redis: Any | None,
) -> reports.Report:
    """The series the page charts, as ``GET /v1/adoption/timeseries`` gives it in CSV."""
    query = _series_query(filters.window(), province_code)
    return reports.timeseries_report(
        session,
        official,
        granularity=query.granularity,
        province_code=query.province_code,
        start=query.start,
        end=query.end,
        as_csv=True,
        redis=redis,
    )
