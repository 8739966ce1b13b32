"""The dashboard's HTML: Jinja templates (autoescaped, StrictUndefined) over the service's view-models.

Pages load only hoadon's own stylesheet and script and draw their charts as inline SVG, so the
policy in SECURITY_HEADERS allows nothing from anywhere else, and no inline script or style.
"""

from __future__ import annotations

import functools

import jinja2

from invoicing.dashboard.service import Frame, StatisticsPage

STATIC_PATH = "/dashboard/static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    # Statistics behind a sign-in: never kept by a shared cache or the browser's history.
    "Cache-Control": "no-store",
}


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("invoicing.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["static"] = STATIC_PATH
    return environment


def render_sign_in(*, next_path: str, failed: bool) -> str:
    return _environment().get_template("sign_in.html").render(frame=None, next_path=next_path, failed=failed)


def render_statistics(page: StatisticsPage) -> str:
    return _environment().get_template("statistics.html").render(frame=page.frame, page=page)


def render_error(*, frame: Frame, title: str, message: str, detail: str | None) -> str:
    return (
        _environment()
        .get_template("error.html")
        .render(frame=frame, title=title, message=message, detail=detail)
    )
