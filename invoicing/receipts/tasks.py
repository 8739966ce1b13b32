from __future__ import annotations

import uuid

from invoicing.jobs import JobContext, job
from invoicing.receipts import service


@job("receipts.render_pdf")
def render_receipt_pdf(context: JobContext, *, document_id: str) -> None:
    with context.database.transaction() as session:
        service.render_pdf(
            session,
            keyring=context.keyring,
            base_url=context.settings.base_url,
            receipt_id=uuid.UUID(document_id),
        )
