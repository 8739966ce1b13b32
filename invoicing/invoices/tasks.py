from __future__ import annotations

import uuid

from invoicing.invoices import service
from invoicing.jobs import JobContext, job


@job("invoices.render_pdf")
def render_invoice_pdf(context: JobContext, *, document_id: str) -> None:
    with context.database.transaction() as session:
        service.render_pdf(
            session,
            keyring=context.keyring,
            base_url=context.settings.base_url,
            invoice_id=uuid.UUID(document_id),
        )
