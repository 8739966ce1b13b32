from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from invoicing.adoption import reports, service
from invoicing.adoption.csvfiles import MEDIA_TYPE as CSV_MEDIA_TYPE
from invoicing.adoption.periods import Granularity
from invoicing.adoption.schemas import (
    ActorRead,
    ProvinceStatsList,
    RegistryImportList,
    RegistryImportRead,
    RegistryImportResult,
    RowProblemRead,
    TimeseriesRead,
    WardStatsList,
)
from invoicing.auth.dependencies import OfficialDep
from invoicing.auth.principals import OfficialPrincipal
from invoicing.db import SessionDep
from invoicing.errors import PayloadTooLarge, ValidationFailed
from invoicing.idempotency import IdempotencyKeyHeader, run_idempotent
from invoicing.models import RegistryImport
from invoicing.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from invoicing.problems import problem_responses

router = APIRouter(prefix="/v1/adoption", tags=["adoption"])

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
"""Registry uploads through the API; larger files go through ``hoadon registry import``."""
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}, "text/csv": {}}}}

PeriodQuery = Annotated[
    str | None,
    Query(description="A year `2026`, a month `2026-11` or a day `2026-11-28`", examples=["2026-11"]),
]
FromQuery = Annotated[
    str | None, Query(alias="from", description="First day `YYYY-MM-DD` (or month `YYYY-MM`)")
]
ToQuery = Annotated[str | None, Query(description="Last day `YYYY-MM-DD` (or month `YYYY-MM`), inclusive")]
AsOfQuery = Annotated[
    str | None,
    Query(description="Date of the stocks (active, registered); default the period's end or today"),
]


# --- content negotiation and CSV ----------------------------------------------------------------


def wants_csv(request: Request) -> bool:
    """``Accept: text/csv`` (preferred over JSON, or with JSON only by wildcard) asks for CSV."""
    ranges: list[tuple[str, float, int]] = []
    for position, part in enumerate(request.headers.get("accept", "").split(",")):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality, position))

    def preference(candidates: Sequence[str]) -> tuple[float, int]:
        for candidate in candidates:
            for media, quality, position in ranges:
                if media == candidate:
                    return quality, -position
        return 0.0, 0

    csv_q = preference(("text/csv", "text/*", "*/*"))
    json_q = preference(("application/json", "application/*", "*/*"))
    return csv_q[0] > 0 and csv_q > json_q


def _redis(request: Request) -> Any | None:
    return getattr(request.app.state, "redis", None)


def _respond(report: reports.Report, *, as_csv: bool) -> Response:
    if as_csv:
        return Response(
            report.text,
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": report.disposition, "Vary": "Accept"},
        )
    return Response(report.text, media_type="application/json", headers={"Vary": "Accept"})


# --- statistics --------------------------------------------------------------------------------


@router.get(
    "/provinces",
    response_model=ProvinceStatsList,
    responses={**_CSV_RESPONSE, **problem_responses(401, 403, 422)},
    summary="Adoption per province (a provincial official: its own), JSON or CSV",
    description="Stocks as of `as_of`, flows in `period` or `from`..`to` (default: since the "
    "beginning). Send `Accept: text/csv` for CSV. Read from maintained aggregates.",
)
def list_provinces(
    request: Request,
    session: SessionDep,
    official: OfficialDep,
    period: PeriodQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    as_of: AsOfQuery = None,
) -> Response:
    window = service.statistics_window(period=period, start=from_, end=to, as_of=as_of)
    as_csv = wants_csv(request)
    report = reports.province_report(session, official, window=window, as_csv=as_csv, redis=_redis(request))
    return _respond(report, as_csv=as_csv)


@router.get(
    "/provinces/{code}/wards",
    response_model=WardStatsList,
    responses={**_CSV_RESPONSE, **problem_responses(401, 403, 404, 422)},
    summary="Adoption per ward of one province, JSON or CSV",
)
def list_wards(
    request: Request,
    session: SessionDep,
    official: OfficialDep,
    code: Annotated[str, Path(description="Province code", examples=["01"])],
    period: PeriodQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    as_of: AsOfQuery = None,
) -> Response:
    window = service.statistics_window(period=period, start=from_, end=to, as_of=as_of)
    as_csv = wants_csv(request)
    report = reports.ward_report(
        session, official, province_code=code, window=window, as_csv=as_csv, redis=_redis(request)
    )
    return _respond(report, as_csv=as_csv)


@router.get(
    "/timeseries",
    response_model=TimeseriesRead,
    responses={**_CSV_RESPONSE, **problem_responses(401, 403, 404, 422)},
    summary="Registrations and documents per day or month, national or for one province",
    description="Default: the last 30 days (`day`) or 12 months (`month`). A provincial official "
    "gets its province.",
)
def get_timeseries(
    request: Request,
    session: SessionDep,
    official: OfficialDep,
    granularity: Granularity = Granularity.MONTH,
    province: Annotated[str | None, Query(description="Province code; default national")] = None,
    from_: FromQuery = None,
    to: ToQuery = None,
) -> Response:
    as_csv = wants_csv(request)
    report = reports.timeseries_report(
        session,
        official,
        granularity=granularity,
        province_code=province,
        start=from_,
        end=to,
        as_csv=as_csv,
        redis=_redis(request),
    )
    return _respond(report, as_csv=as_csv)


# --- the registry ------------------------------------------------------------------------------


@dataclass
class Upload:
    file: IO[bytes]
    size: int
    sha256: str


async def registry_upload(request: Request, official: OfficialDep) -> AsyncIterator[Upload]:
    """The CSV body spooled to a temporary file, refused as soon as it passes the cap.

    Authentication comes first (``official``), so an anonymous caller cannot make us read 100 MB.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        raise ValidationFailed(
            "send the CSV file itself as the request body (Content-Type: text/csv), not a multipart form",
            field="body",
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            f"the upload is {int(declared):,} bytes; the API takes at most {MAX_UPLOAD_BYTES:,} "
            "(100 MB): import larger registries with `hoadon registry import FILE.csv`"
        )
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - closed below
    digest = hashlib.sha256()
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise PayloadTooLarge(
                    f"the upload passed {MAX_UPLOAD_BYTES:,} bytes (100 MB): import larger registries with "
                    "`hoadon registry import FILE.csv`"
                )
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise ValidationFailed("send the registry CSV as the request body", field="body")
        spool.seek(0)
        yield Upload(file=spool, size=size, sha256=digest.hexdigest())
    finally:
        spool.close()


UploadDep = Annotated[Upload, Depends(registry_upload)]


def import_read(record: RegistryImport) -> RegistryImportRead:
    return RegistryImportRead(
        id=record.id,
        imported_at=record.imported_at,
        by=ActorRead(type=record.actor_type, id=record.actor_id),
        source=record.source,
        province_scope=record.province_scope,
        filename=record.filename,
        sha256=record.sha256,
        size_bytes=record.size_bytes,
        rows=record.rows,
        inserted=record.inserted,
        updated=record.updated,
        unchanged=record.unchanged,
        rejected=record.rejected,
        legacy_mapped=record.legacy_mapped,
    )


def _official_key(official: OfficialPrincipal) -> str:
    return f"official:{official.official_id}"


@router.post(
    "/registry",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistryImportResult,
    responses=problem_responses(401, 403, 409, 413, 422),
    summary="Import the business registry (CSV), the denominator of adoption",
    description="Body: UTF-8 CSV with the header `tax_code,name,province_code,ward_code,status` "
    "(`operating`, `suspended`, `closed`), at most 100 MB. Rows are upserted by tax code, so "
    "importing a file again changes nothing. Refused rows are listed with their line and reason; "
    "the others are imported. A wrong header, a file that is not UTF-8 or a malformed CSV record "
    "is refused whole (422) and nothing is written. A provincial official imports rows of its "
    "province only. Pre-2025 province codes are mapped to the current province (`notes`).",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def import_registry(
    request: Request,
    session: SessionDep,
    official: OfficialDep,
    upload: UploadDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    def action() -> RegistryImportResult:
        outcome = service.import_registry_file(session, official, stream=upload.file, filename=None)
        return RegistryImportResult(
            **import_read(outcome.record).model_dump(),
            rejects=[
                RowProblemRead(line=p.line, tax_code=p.tax_code, reason=p.reason) for p in outcome.rejects
            ],
            rejects_truncated=outcome.rejects_truncated,
            notes=[RowProblemRead(line=p.line, tax_code=p.tax_code, reason=p.reason) for p in outcome.notes],
            notes_truncated=outcome.notes_truncated,
        )

    return run_idempotent(
        session,
        request=request,
        key=idempotency_key,
        principal=_official_key(official),
        body={"sha256": upload.sha256, "size": upload.size},
        status_code=status.HTTP_201_CREATED,
        action=action,
    )


@router.get(
    "/registry/imports",
    response_model=RegistryImportList,
    responses=problem_responses(401, 403, 422),
    summary="Registry imports, newest first (a provincial official: its own province's)",
)
def list_registry_imports(
    session: SessionDep, official: OfficialDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> RegistryImportList:
    rows, more = service.list_imports(session, official, limit=limit, cursor=decode_cursor(cursor))
    next_cursor = encode_cursor(rows[-1].imported_at, rows[-1].id) if more and rows else None
    return RegistryImportList(data=[import_read(row) for row in rows], next_cursor=next_cursor)
