"""HTTP answers for an issued document's downloads: its signed XML and its PDF rendering."""

from __future__ import annotations

from typing import Any

from fastapi import Response, status
from fastapi.responses import JSONResponse

from invoicing.errors import ServiceUnavailable
from invoicing.models import RenditionStatus
from invoicing.problems import problem_responses
from invoicing.renditions.service import DocumentPdf

XML_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {}}},
    **problem_responses(401, 403, 404),
}
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF/A-3b, with the signed XML attached"},
    202: {"description": "Still rendering; retry after Retry-After seconds"},
    304: {"description": "Unchanged since the ETag you sent"},
    **problem_responses(401, 403, 404, 503),
}


class PdfRenderingFailed(ServiceUnavailable):
    type_slug = "pdf-rendering-failed"
    title = "The PDF could not be rendered"


def xml_response(*, signed_xml: bytes, sha256: str, filename: str) -> Response:
    """The stored bytes; they never change, so caches may keep them for good."""
    return Response(
        content=signed_xml,
        media_type="application/xml",
        headers={
            "ETag": f'"{sha256}"',
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, max-age=31536000, immutable",
        },
    )


def pdf_response(rendered: DocumentPdf, *, if_none_match: str | None) -> Response:
    """200 with an ETag (304 when it matches), 202 while rendering, 503 once rendering gave up."""
    if rendered.status is RenditionStatus.FAILED:
        raise PdfRenderingFailed(
            "rendering this PDF failed three times; an operator can retry it with `hoadon jobs retry`"
        )
    if rendered.pdf is None or rendered.sha256 is None:
        return JSONResponse(
            {"status": "pending", "detail": "the PDF is being rendered"},
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Retry-After": "2"},
        )
    etag = f'"{rendered.sha256}"'
    if if_none_match is not None and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(
        content=rendered.pdf,
        media_type="application/pdf",
        headers={
            "ETag": etag,
            "Content-Disposition": f'inline; filename="{rendered.filename}"',
            "Cache-Control": "private, max-age=0, must-revalidate",
        },
    )
