"""PDF renditions of issued documents: one row per document, pending until a job renders it."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

import pdf
from invoicing import jobs
from invoicing.errors import NotFound
from invoicing.models import Rendition, RenditionStatus
from invoicing.models.base import utcnow
from invoicing.renditions import repository

MAX_ATTEMPTS = 3
logger = logging.getLogger("hoadon.renditions")

# Each document type names the job that renders it.
RENDER_JOBS = {"invoice": "invoices.render_pdf", "receipt": "receipts.render_pdf"}


def request_rendition(
    session: Session, *, document_type: str, document_id: uuid.UUID, seller_tax_code: str
) -> None:
    """Record the PDF as owed and queue its rendering; both happen only if the issuance commits."""
    session.add(
        Rendition(document_type=document_type, document_id=document_id, seller_tax_code=seller_tax_code)
    )
    _send(session, document_type, document_id)


def _send(session: Session, document_type: str, document_id: uuid.UUID) -> None:
    jobs.enqueue(session, RENDER_JOBS[document_type], document_id=str(document_id))


def get_rendition(
    session: Session, *, document_type: str, document_id: uuid.UUID, lock: bool = False
) -> Rendition | None:
    return repository.get(session, document_type=document_type, document_id=document_id, lock=lock)


def pdf_statuses(
    session: Session, *, document_type: str, document_ids: list[uuid.UUID]
) -> dict[uuid.UUID, RenditionStatus]:
    return repository.statuses(session, document_type=document_type, document_ids=document_ids)


def requeue_now(session: Session, rendition: Rendition) -> bool:
    """Ask again for a PDF that is still owed; False when the queue cannot take it right now."""
    return jobs.send_now(
        session, RENDER_JOBS[rendition.document_type], document_id=str(rendition.document_id)
    )


def store_pdf(session: Session, rendition: Rendition, *, pdf: bytes) -> None:
    rendition.pdf = pdf
    rendition.sha256 = hashlib.sha256(pdf).hexdigest()
    rendition.status = RenditionStatus.RENDERED
    rendition.rendered_at = utcnow()
    rendition.last_error = None
    session.add(rendition)


def record_failure(session: Session, rendition: Rendition, *, error: str) -> None:
    """Count a failed attempt; after MAX_ATTEMPTS the rendition is marked failed and stays visible
    until `hoadon jobs retry`, otherwise the job is queued again."""
    rendition.attempts += 1
    rendition.last_error = error[:2000]
    if rendition.attempts >= MAX_ATTEMPTS:
        rendition.status = RenditionStatus.FAILED
        logger.error(
            "rendering %s %s failed %d times: %s",
            rendition.document_type,
            rendition.document_id,
            rendition.attempts,
            error,
            extra={"document_id": str(rendition.document_id)},
        )
    session.add(rendition)
    if rendition.status is RenditionStatus.PENDING:
        _send(session, rendition.document_type, rendition.document_id)


def sweep_pending(session: Session, *, older_than: timedelta) -> int:
    """Re-queue renditions still pending after ``older_than`` (their job was lost, e.g. Redis was down)."""
    stale = repository.with_status(session, RenditionStatus.PENDING, created_before=utcnow() - older_than)
    for rendition in stale:
        _send(session, rendition.document_type, rendition.document_id)
    return len(stale)


def retry_failed(session: Session) -> int:
    failed = repository.with_status(session, RenditionStatus.FAILED)
    for rendition in failed:
        rendition.status = RenditionStatus.PENDING
        rendition.attempts = 0
        session.add(rendition)
        _send(session, rendition.document_type, rendition.document_id)
    return len(failed)


def render_into(session: Session, rendition: Rendition, *, render: Callable[[], bytes]) -> None:
    """Store what ``render`` makes, or record why it could not (``hoadon jobs retry`` after three)."""
    try:
        rendered = render()
    except (pdf.RenderError, ValueError) as error:
        record_failure(session, rendition, error=f"{type(error).__name__}: {error}")
        return
    store_pdf(session, rendition, pdf=rendered)


def run_render_job(
    session: Session,
    *,
    document_type: str,
    document_id: uuid.UUID,
    render: Callable[[Rendition], None],
) -> None:
    """The job: idempotent, so a duplicate delivery finds the PDF rendered and does nothing."""
    rendition = get_rendition(session, document_type=document_type, document_id=document_id, lock=True)
    if rendition is None or rendition.status is not RenditionStatus.PENDING:
        return
    render(rendition)


@dataclass(frozen=True)
class DocumentPdf:
    status: RenditionStatus
    pdf: bytes | None
    sha256: str | None
    filename: str


def pdf_when_read(
    session: Session,
    *,
    document_type: str,
    document_id: uuid.UUID,
    filename: str,
    render: Callable[[Rendition], None],
) -> DocumentPdf:
    """The PDF of a document its reader may see; rendered now if it is owed and cannot be queued."""
    rendition = get_rendition(session, document_type=document_type, document_id=document_id, lock=True)
    if rendition is None:
        raise NotFound(f"{document_type} {document_id} has no rendition")
    # Owed and asked for: the embedded default renders it now; with a queue it is sent again
    # (idempotently), and rendered here after all if the queue is down.
    if rendition.status is RenditionStatus.PENDING and (
        jobs.runs_inline(session) or not requeue_now(session, rendition)
    ):
        render(rendition)
    return DocumentPdf(status=rendition.status, pdf=rendition.pdf, sha256=rendition.sha256, filename=filename)
