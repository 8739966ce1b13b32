"""Imports every domain's jobs so the registry in invoicing.jobs knows them all."""

from invoicing.invoices import tasks as invoice_tasks
from invoicing.receipts import tasks as receipt_tasks

__all__ = ["invoice_tasks", "receipt_tasks"]
