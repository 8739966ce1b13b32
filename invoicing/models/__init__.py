"""Every table of hoadon; importing this module registers them all on ``metadata``."""

from invoicing.models.audit import AuditEvent
from invoicing.models.base import metadata
from invoicing.models.businesses import ApiKey, Business
from invoicing.models.officials import Official
from invoicing.models.registrations import OPEN_STATUSES, Registration, RegistrationStatus

__all__ = [
    "OPEN_STATUSES",
    "ApiKey",
    "AuditEvent",
    "Business",
    "Official",
    "Registration",
    "RegistrationStatus",
    "metadata",
]
