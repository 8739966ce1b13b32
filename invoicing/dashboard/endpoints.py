"""The dashboard over HTTP: HTML pages and CSV downloads for a browser signed in with a cookie.

These routes are pages for people, not the API: they stay out of the OpenAPI document and answer
every situation with a page (the sign-in form, a 404 page, a bad-period page), never problem+json.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, FastAPI, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from invoicing.adoption.csvfiles import MEDIA_TYPE as CSV_MEDIA_TYPE
from invoicing.adoption.reports import Report
from invoicing.auth.principals import OfficialPrincipal
from invoicing.dashboard import pages, service
from invoicing.db import SessionDep
from invoicing.errors import NotFound, ValidationFailed

HOME = service.HOME
COOKIE = "hoadon_dashboard"

router = APIRouter(prefix=HOME, include_in_schema=False)

SessionCookie = Annotated[str | None, Cookie(alias=COOKIE)]


def mount_static(app: FastAPI) -> None:
    """The stylesheet and script, served from the package's own files."""
    app.mount(
        pages.STATIC_PATH, StaticFiles(packages=[("invoicing.dashboard", "static")]), name="dashboard-static"
    )


def current_official(session: SessionDep, session_id: SessionCookie = None) -> OfficialPrincipal | None:
    return service.signed_in_official(session, session_id=session_id)


def period_filters(
    period: Annotated[str | None, Query()] = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: Annotated[str | None, Query()] = None,
) -> service.Filters:
    return service.Filters.from_query(period=period, start=from_, end=to)


def table_sort(sort: str | None = None, order: str | None = None) -> service.Sort:
    return service.Sort.from_query(sort=sort, order=order)


ViewerDep = Annotated[OfficialPrincipal | None, Depends(current_official)]
FiltersDep = Annotated[service.Filters, Depends(period_filters)]
SortDep = Annotated[service.Sort, Depends(table_sort)]


def _secure(request: Request) -> bool:
    public_url: str | None = request.app.state.settings.public_url
    return bool(public_url and public_url.lower().startswith("https://"))


def _redis(request: Request) -> Any | None:
    return getattr(request.app.state, "redis", None)


def _forget_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, path=HOME, secure=_secure(request), httponly=True, samesite="strict")


def _html(content: str, *, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers=pages.SECURITY_HEADERS)


def _csv(report: Report) -> Response:
    return Response(
        report.text,
        media_type=CSV_MEDIA_TYPE,
        headers={**pages.SECURITY_HEADERS, "Content-Disposition": report.disposition},
    )


def _sign_in_page(
    request: Request, *, status_code: int, next_path: str, failed: bool = False
) -> HTMLResponse:
    response = _html(
        pages.render_sign_in(next_path=service.safe_next(next_path), failed=failed), status_code=status_code
    )
    if COOKIE in request.cookies:
        # Unknown, expired or signed out: the browser stops sending it.
        _forget_cookie(request, response)
    return response


def _error_page(
    official: OfficialPrincipal,
    *,
    page_path: str,
    filters: service.Filters,
    error: NotFound | ValidationFailed,
) -> HTMLResponse:
    if isinstance(error, NotFound):
        # Another province's figures are as invisible as a province that does not exist.
        title, message, detail = "Không tìm thấy", "Không có tỉnh, thành phố này trong phạm vi của bạn.", None
        page_path = HOME
    else:
        title = "Kỳ không hợp lệ"
        message = (
            "Nhập kỳ dạng YYYY (năm), YYYY-MM (tháng) hoặc YYYY-MM-DD (ngày), hoặc chọn từ ngày, đến ngày."
        )
        detail = error.detail
    frame = service.frame(official, path=page_path, filters=filters)
    return _html(
        pages.render_error(frame=frame, title=title, message=message, detail=detail), status_code=error.status
    )


def _signed_in(
    request: Request,
    official: OfficialPrincipal | None,
    *,
    page_path: str,
    filters: service.Filters,
    build: Callable[[OfficialPrincipal], Response],
) -> Response:
    """``build``'s answer for a signed-in official, the sign-in form for anyone else, and a page
    saying why for what the statistics refuse (a province out of reach, a period they cannot read)."""
    if official is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # Back to the page after signing in; a download link leads back to its page instead.
        return _sign_in_page(
            request,
            status_code=200 if request.url.path == HOME else 401,
            next_path=here if request.url.path == page_path else page_path + filters.query(),
        )
    try:
        return build(official)
    except (NotFound, ValidationFailed) as error:
        return _error_page(official, page_path=page_path, filters=filters, error=error)


@router.get("")
def overview(
    request: Request, session: SessionDep, official: ViewerDep, filters: FiltersDep, sort: SortDep
) -> Response:
    return _signed_in(
        request,
        official,
        page_path=HOME,
        filters=filters,
        build=lambda viewer: _html(
            pages.render_statistics(service.overview_page(session, viewer, filters=filters, sort=sort))
        ),
    )


@router.get("/provinces/{code}")
def province(
    request: Request, session: SessionDep, official: ViewerDep, filters: FiltersDep, sort: SortDep, code: str
) -> Response:
    return _signed_in(
        request,
        official,
        page_path=f"{HOME}/provinces/{code}",
        filters=filters,
        build=lambda viewer: _html(
            pages.render_statistics(
                service.wards_page(session, viewer, province_code=code, filters=filters, sort=sort)
            )
        ),
    )


@router.get("/provinces.csv")
def provinces_csv(
    request: Request, session: SessionDep, official: ViewerDep, filters: FiltersDep
) -> Response:
    return _signed_in(
        request,
        official,
        page_path=HOME,
        filters=filters,
        build=lambda viewer: _csv(
            service.provinces_csv(session, viewer, filters=filters, redis=_redis(request))
        ),
    )


@router.get("/provinces/{code}/wards.csv")
def wards_csv(
    request: Request, session: SessionDep, official: ViewerDep, filters: FiltersDep, code: str
) -> Response:
    return _signed_in(
        request,
        official,
        page_path=f"{HOME}/provinces/{code}",
        filters=filters,
        build=lambda viewer: _csv(
            service.wards_csv(session, viewer, province_code=code, filters=filters, redis=_redis(request))
        ),
    )


@router.get("/timeseries.csv")
def timeseries_csv(
    request: Request,
    session: SessionDep,
    official: ViewerDep,
    filters: FiltersDep,
    province: str | None = None,
) -> Response:
    return _signed_in(
        request,
        official,
        page_path=f"{HOME}/provinces/{province}" if province else HOME,
        filters=filters,
        build=lambda viewer: _csv(
            service.timeseries_csv(
                session, viewer, province_code=province, filters=filters, redis=_redis(request)
            )
        ),
    )


@router.post("/sign-in")
def sign_in(
    request: Request,
    session: SessionDep,
    previous: SessionCookie = None,
    token: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = HOME,
) -> Response:
    signed = service.sign_in(session, token=token.strip(), previous=previous)
    if signed is None:
        return _sign_in_page(request, status_code=401, next_path=next_path, failed=True)
    response = RedirectResponse(service.safe_next(next_path), status_code=303)
    response.set_cookie(
        COOKIE,
        signed.session_id,
        max_age=int(service.SESSION_LIFETIME.total_seconds()),
        path=HOME,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, session_id: SessionCookie = None) -> Response:
    service.sign_out(session, session_id=session_id)
    response = RedirectResponse(HOME, status_code=303)
    _forget_cookie(request, response)
    return response
