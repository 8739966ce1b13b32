"""Statistics as the API answers them, JSON or CSV text, cached in Redis when it is configured.

Built here once for ``/v1/adoption`` and for the dashboard's downloads, so a CSV saved from the
dashboard is byte for byte the one the API gives for the same query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from invoicing.adoption import service
from invoicing.adoption.cache import AdoptionCache
from invoicing.adoption.csvfiles import render_csv
from invoicing.adoption.periods import Granularity, Window, today_vn
from invoicing.adoption.schemas import (
    Funnel,
    LocalityStats,
    PeriodRead,
    ProvinceStatsList,
    TimeseriesPoint,
    TimeseriesRead,
    WardStatsList,
)
from invoicing.auth.principals import OfficialPrincipal
from invoicing.localities.schemas import LocalityRead

STATS_COLUMNS = (
    "code",
    "name",
    "active_businesses",
    "registered_businesses",
    "registered_not_in_registry",
    "adoption_rate",
    "adoption_rate_percent",
    "issuing_businesses",
    "invoices_issued",
    "invoices_cancelled",
    "receipts_issued",
    "receipts_cancelled",
    "amount_total",
    "invoices_amount",
    "receipts_amount",
    "funnel_submitted",
    "funnel_accepted",
    "funnel_rejected",
    "funnel_credentials_claimed",
    "funnel_first_document",
    "median_days_to_first_document",
)
TIMESERIES_COLUMNS = tuple(TimeseriesPoint.model_fields)


@dataclass(frozen=True)
class Report:
    text: str
    filename: str

    @property
    def disposition(self) -> str:
        """``Content-Disposition`` of its download."""
        return f'attachment; filename="{self.filename}"'


def locality_stats(figures: service.Figures) -> LocalityStats:
    rate = figures.adoption_rate
    percent = figures.adoption_percent
    return LocalityStats(
        code=figures.code,
        name=figures.name,
        active_businesses=figures.active,
        registered_businesses=figures.registered,
        registered_not_in_registry=figures.unlisted,
        adoption_rate=str(rate) if rate is not None else None,
        adoption_rate_percent=str(percent) if percent is not None else None,
        issuing_businesses=figures.issuers,
        invoices_issued=figures.invoices_issued,
        invoices_cancelled=figures.invoices_cancelled,
        receipts_issued=figures.receipts_issued,
        receipts_cancelled=figures.receipts_cancelled,
        amount_total=str(figures.amount_total),
        invoices_amount=str(figures.invoices_amount),
        receipts_amount=str(figures.receipts_amount),
        funnel=Funnel(
            submitted=figures.submitted,
            accepted=figures.accepted,
            rejected=figures.rejected,
            credentials_claimed=figures.claimed,
            first_document=figures.first_documents,
        ),
        median_days_to_first_document=figures.median_days,
    )


def _stats_row(stats: LocalityStats) -> list[object]:
    flat = stats.model_dump()
    funnel = flat.pop("funnel")
    flat.update({f"funnel_{name}": value for name, value in funnel.items()})
    return [flat[name] for name in STATS_COLUMNS]


def _stats_csv(rows: list[LocalityStats]) -> str:
    return render_csv(STATS_COLUMNS, [_stats_row(row) for row in rows])


def _period(window: Window) -> PeriodRead:
    return PeriodRead.model_validate({"from": window.start, "to": window.end})


def _window_parts(window: Window) -> dict[str, Any]:
    return {"start": window.start, "end": window.end, "as_of": window.as_of}


def _cached(redis: Any | None, parts: dict[str, Any], compute: Callable[[], str]) -> str:
    return AdoptionCache(redis).fetch(parts, compute) if redis is not None else compute()


def province_report(
    session: Session, official: OfficialPrincipal, *, window: Window, as_csv: bool, redis: Any | None
) -> Report:
    def compute() -> str:
        found = service.province_statistics(session, official, window=window)
        body = ProvinceStatsList(
            as_of=window.as_of,
            period=_period(window),
            data=[locality_stats(row) for row in found.rows],
            total=locality_stats(found.total),
        )
        if as_csv:
            return _stats_csv([*body.data, body.total])
        return body.model_dump_json(by_alias=True)

    parts = {"r": "provinces", "scope": official.province_code, "csv": as_csv, **_window_parts(window)}
    return Report(_cached(redis, parts, compute), f"adoption-provinces-{window.as_of}.csv")


def ward_report(
    session: Session,
    official: OfficialPrincipal,
    *,
    province_code: str,
    window: Window,
    as_csv: bool,
    redis: Any | None,
) -> Report:
    def compute() -> str:
        found = service.ward_statistics(session, official, province_code=province_code, window=window)
        assert found.unassigned is not None
        body = WardStatsList(
            province=LocalityRead(code=province_code, name=found.total.name),
            as_of=window.as_of,
            period=_period(window),
            data=[locality_stats(row) for row in found.rows],
            unassigned=locality_stats(found.unassigned),
            total=locality_stats(found.total),
        )
        if as_csv:
            return _stats_csv([*body.data, body.unassigned, body.total])
        return body.model_dump_json(by_alias=True)

    parts = {
        "r": "wards",
        "p": province_code,
        "scope": official.province_code,
        "csv": as_csv,
        **_window_parts(window),
    }
    return Report(_cached(redis, parts, compute), f"adoption-{province_code}-wards-{window.as_of}.csv")


def _timeseries_point(point: service.Point) -> TimeseriesPoint:
    return TimeseriesPoint(
        period=point.label,
        start=point.start,
        registrations_submitted=point.businesses["submitted"],
        registrations_accepted=point.businesses["accepted"],
        registrations_rejected=point.businesses["rejected"],
        credentials_claimed=point.businesses["claimed"],
        first_documents=point.businesses["first_documents"],
        issuing_businesses=point.documents["issuers"],
        invoices_issued=point.documents["invoices_issued"],
        invoices_cancelled=point.documents["invoices_cancelled"],
        receipts_issued=point.documents["receipts_issued"],
        receipts_cancelled=point.documents["receipts_cancelled"],
        amount_total=str(point.documents["invoices_amount"] + point.documents["receipts_amount"]),
        registered_businesses=point.registered,
        active_businesses=point.active,
    )


def timeseries_report(
    session: Session,
    official: OfficialPrincipal,
    *,
    granularity: Granularity,
    province_code: str | None,
    start: str | None,
    end: str | None,
    as_csv: bool,
    redis: Any | None,
) -> Report:
    def compute() -> str:
        found = service.timeseries(
            session, official, granularity=granularity, province_code=province_code, start=start, end=end
        )
        province = found.province
        body = TimeseriesRead.model_validate(
            {
                "granularity": granularity.value,
                "province": LocalityRead(code=province.code, name=province.name) if province else None,
                "from": found.buckets.first,
                "to": found.buckets.last_day,
                "data": [_timeseries_point(point) for point in found.points],
            }
        )
        if as_csv:
            return render_csv(
                TIMESERIES_COLUMNS,
                [[getattr(point, name) for name in TIMESERIES_COLUMNS] for point in body.data],
            )
        return body.model_dump_json(by_alias=True)

    parts = {
        "r": "timeseries",
        "g": granularity.value,
        "p": province_code,
        "from": start,
        "to": end,
        "today": today_vn(),
        "scope": official.province_code,
        "csv": as_csv,
    }
    scope = province_code or official.province_code or "national"
    return Report(_cached(redis, parts, compute), f"adoption-timeseries-{scope}.csv")
