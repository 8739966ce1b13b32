"""Every table of hoadon; importing this module registers them all on ``metadata``."""

from invoicing.models.adoption import (
    ActivityMarker,
    BusinessCounter,
    DocumentCounter,
    FirstDocument,
    LagBucket,
    RegistryEntry,
    RegistryImport,
    RegistryStatus,
)
from invoicing.models.audit import AuditEvent
from invoicing.models.base import metadata
from invoicing.models.businesses import ApiKey, Business
from invoicing.models.certificates import CertificateSource, SigningCertificate
from invoicing.models.chain import ChainEntry
from invoicing.models.dashboard import DashboardSession
from invoicing.models.idempotency import IdempotencyRecord
from invoicing.models.invoices import Invoice, InvoiceStatus, Relation
from invoicing.models.notices import ErrorNotice
from invoicing.models.officials import Official
from invoicing.models.receipts import Receipt, ReceiptStatus
from invoicing.models.registrations import OPEN_STATUSES, Registration, RegistrationStatus
from invoicing.models.renditions import Rendition, RenditionStatus
from invoicing.models.series import DocumentKind, Series

__all__ = [
    "OPEN_STATUSES",
    "ActivityMarker",
    "ApiKey",
    "AuditEvent",
    "Business",
    "BusinessCounter",
    "CertificateSource",
    "ChainEntry",
    "DashboardSession",
    "DocumentCounter",
    "DocumentKind",
    "ErrorNotice",
    "FirstDocument",
    "IdempotencyRecord",
    "Invoice",
    "InvoiceStatus",
    "LagBucket",
    "Official",
    "Receipt",
    "ReceiptStatus",
    "Registration",
    "RegistrationStatus",
    "RegistryEntry",
    "RegistryImport",
    "RegistryStatus",
    "Relation",
    "Rendition",
    "RenditionStatus",
    "Series",
    "SigningCertificate",
    "metadata",
]
