"""Imports every domain's jobs so the registry in invoicing.jobs knows them all."""

from invoicing.invoices import tasks as invoice_tasks

__all__ = ["invoice_tasks"]
