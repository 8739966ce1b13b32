from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from invoicing.auth.dependencies import BusinessDep
from invoicing.chain import GENESIS_LINK
from invoicing.db import SessionDep
from invoicing.idempotency import IdempotencyKeyHeader, run_idempotent
from invoicing.models import Series
from invoicing.problems import problem_responses
from invoicing.series import service
from invoicing.series.rules import series_name
from invoicing.series.schemas import ChainEntryRead, ChainPage, SeriesCreate, SeriesList, SeriesRead

router = APIRouter(prefix="/v1/series", tags=["series"])


def series_read(series: Series) -> SeriesRead:
    name = series_name(series.kind, series.template, series.symbol)
    return SeriesRead(
        id=series.id,
        series=name,
        template=series.template,
        symbol=series.symbol,
        kind=series.kind,
        year=series.year,
        with_authority_code=series.with_authority_code,
        format_version=series.format_version,
        next_number=series.next_number,
        issued=series.next_number - 1,
        chain_head=series.chain_head,
        active=series.active,
        created_at=series.created_at,
        links={"self": f"/v1/series/{name}", "chain": f"/v1/series/{name}/chain"},
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SeriesRead,
    responses=problem_responses(401, 403, 409, 422),
    summary="Register a series (template + symbol) before issuing in it",
)
def register_series(
    body: SeriesCreate,
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    return run_idempotent(
        session,
        request=request,
        key=idempotency_key,
        principal=f"business:{business.business_id}",
        body=body,
        status_code=status.HTTP_201_CREATED,
        action=lambda: series_read(service.register_series(session, business, request=body)),
    )


@router.get("", response_model=SeriesList, responses=problem_responses(401, 403))
def list_series(session: SessionDep, business: BusinessDep) -> SeriesList:
    return SeriesList(data=[series_read(s) for s in service.list_series(session, business)])


@router.get("/{series}", response_model=SeriesRead, responses=problem_responses(401, 403, 404))
def get_series(series: str, session: SessionDep, business: BusinessDep) -> SeriesRead:
    return series_read(service.get_series(session, business, series=series))


@router.post(
    "/{series}/deactivate",
    response_model=SeriesRead,
    responses=problem_responses(401, 403, 404),
    summary="Stop issuing in a series; its documents stay valid",
)
def deactivate_series(series: str, session: SessionDep, business: BusinessDep) -> SeriesRead:
    return series_read(service.deactivate_series(session, business, series=series))


@router.get(
    "/{series}/chain",
    response_model=ChainPage,
    responses=problem_responses(401, 403, 404),
    summary="The series' hash chain, oldest first, for auditors to recompute",
)
def get_chain(
    series: str,
    session: SessionDep,
    business: BusinessDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[
        int, Query(ge=0, le=2**31 - 1, description="Position after which to continue (next_cursor)")
    ] = 0,
) -> ChainPage:
    found = service.get_series(session, business, series=series)
    entries = service.chain_page(session, found, after=cursor, limit=limit)
    more = len(entries) > limit
    entries = entries[:limit]
    return ChainPage(
        series=series_name(found.kind, found.template, found.symbol),
        genesis=GENESIS_LINK,
        head=found.chain_head,
        length=found.chain_length,
        data=[
            ChainEntryRead(
                position=e.position,
                event=e.event,
                number=e.number,
                document_id=e.document_id,
                document_sha256=e.document_sha256,
                link=e.link,
                created_at=e.created_at,
            )
            for e in entries
        ],
        next_cursor=str(entries[-1].position) if more and entries else None,
    )
