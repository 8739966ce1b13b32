from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from lxml import etree
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

import signing
from invoicing.audit.service import record_event
from invoicing.auth.principals import BusinessPrincipal
from invoicing.businesses import service as businesses
from invoicing.chain import GENESIS_LINK, chain_link
from invoicing.errors import Conflict, NotFound, ValidationFailed
from invoicing.models import Business, ChainEntry, DocumentKind, Series
from invoicing.models.base import utcnow
from invoicing.series import repository
from invoicing.series.repository import Allocation
from invoicing.series.rules import (
    FORMAT_VERSION,
    SeriesRuleError,
    max_number,
    parse_series,
    series_name,
    split_series,
)
from invoicing.series.schemas import SeriesCreate


class SeriesAlreadyRegistered(Conflict):
    type_slug = "series-already-registered"
    title = "The series is already registered"


class SeriesNotActive(Conflict):
    type_slug = "series-not-active"
    title = "The series is not active"


class SeriesNotFound(NotFound):
    type_slug = "series-not-found"
    title = "Unknown series"


_KIND_TO_REGISTRATION = {
    DocumentKind.VAT_INVOICE: "vat_invoice",
    DocumentKind.SALES_INVOICE: "sales_invoice",
    DocumentKind.RECEIPT: "receipt",
}


def register_series(session: Session, principal: BusinessPrincipal, *, request: SeriesCreate) -> Series:
    business = businesses.get_business(session, principal)
    try:
        spec = parse_series(template=request.template, symbol=request.symbol, this_year=utcnow().year)
    except SeriesRuleError as error:
        raise ValidationFailed(error.reason, field=error.field) from None
    if request.kind is not None and request.kind is not spec.kind:
        raise ValidationFailed(
            f"template {spec.template} is a {spec.kind.value}, not a {request.kind.value}", field="kind"
        )
    _check_registration(business, kind=spec.kind, with_authority_code=spec.with_authority_code)
    series = Series(
        business_id=business.id,
        seller_tax_code=business.tax_code,
        kind=spec.kind,
        template=spec.template,
        symbol=spec.symbol,
        year=spec.year,
        with_authority_code=spec.with_authority_code,
        format_version=FORMAT_VERSION,
        chain_head=GENESIS_LINK,
    )
    session.add(series)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise SeriesAlreadyRegistered(
            f"series {series_name(spec.kind, spec.template, spec.symbol)} is already registered",
            field="symbol",
        ) from None
    record_event(
        session,
        actor=principal.actor,
        action="series.registered",
        subject_type="series",
        subject_id=series.id,
        data={"series": series_name(series.kind, series.template, series.symbol)},
    )
    return series


def _check_registration(business: Business, *, kind: DocumentKind, with_authority_code: bool) -> None:
    if _KIND_TO_REGISTRATION[kind] not in business.invoice_kinds:
        raise ValidationFailed(
            f"the business is not registered for {_KIND_TO_REGISTRATION[kind]} "
            f"(registered: {', '.join(business.invoice_kinds)})",
            field="template",
        )
    # The authority's code is a choice about invoices (Decree 123 Art. 13); receipts never carry one.
    if kind is not DocumentKind.RECEIPT and with_authority_code != business.with_authority_code:
        wanted = "with" if business.with_authority_code else "without"
        raise ValidationFailed(
            f"the business registered for invoices {wanted} the tax authority's code, so its series "
            f"start with {'C' if business.with_authority_code else 'K'}",
            field="symbol",
        )


def list_series(session: Session, principal: BusinessPrincipal) -> list[Series]:
    return repository.list_for_business(session, principal.business_id)


def get_series(
    session: Session, principal: BusinessPrincipal, *, series: str, field: str = "series"
) -> Series:
    """Find a series by ``1C26TAA`` (template + symbol) or, when unambiguous, ``C26TAA``."""
    template, symbol = split_series(series)
    found = repository.find(session, principal.business_id, template=template, symbol=symbol)
    if len(found) != 1:
        detail = (
            f"series {series!r} is registered under several templates; prefix the template (e.g. 1{series})"
            if found
            else f"no series {series!r} is registered for this business; register it with POST /v1/series"
        )
        raise SeriesNotFound(detail, field=field)
    return found[0]


def get_series_for_issue(
    session: Session, principal: BusinessPrincipal, *, series: str, kinds: frozenset[DocumentKind]
) -> Series:
    found = get_series(session, principal, series=series)
    if found.kind not in kinds:
        raise ValidationFailed(
            f"series {series} is for {found.kind.value} documents, not {' or '.join(sorted(kinds))}",
            field="series",
        )
    if not found.active:
        raise SeriesNotActive(f"series {series} was deactivated", field="series")
    return found


def deactivate_series(session: Session, principal: BusinessPrincipal, *, series: str) -> Series:
    found = get_series(session, principal, series=series)
    if found.active:
        found.active = False
        session.add(found)
        record_event(
            session,
            actor=principal.actor,
            action="series.deactivated",
            subject_type="series",
            subject_id=found.id,
            data={"series": f"{found.template}{found.symbol}"},
        )
    return found


class SeriesExhausted(Conflict):
    type_slug = "series-exhausted"
    title = "The series has no numbers left"


def allocate_number(session: Session, series: Series) -> Allocation:
    allocation = repository.allocate_number(session, series.id)
    limit = max_number(series.kind)
    if allocation.number > limit:
        # Raising rolls the increment back with the rest of the request: nothing is skipped.
        raise SeriesExhausted(
            f"series {series_name(series.kind, series.template, series.symbol)} has used all {limit} numbers; "
            "register a new series",
            field="series",
        )
    return allocation


def lock_chain(session: Session, series_id: uuid.UUID) -> tuple[Series, Allocation]:
    """Lock a series to add a chain entry that takes no number (a state change)."""
    series = session.get(Series, series_id)
    if series is None:
        raise SeriesNotFound(f"series {series_id} does not exist")
    return series, repository.lock_chain(session, series_id)


def append_to_chain(
    session: Session,
    series: Series,
    *,
    allocation: Allocation,
    event: str,
    document_id: uuid.UUID,
    number: int,
    document_sha256: str,
) -> ChainEntry:
    """Link a document into its series' chain; the series row is locked by ``allocation``."""
    entry = ChainEntry(
        series_id=series.id,
        seller_tax_code=series.seller_tax_code,
        position=allocation.chain_length + 1,
        event=event,
        document_id=document_id,
        number=number,
        document_sha256=document_sha256,
        link=chain_link(allocation.chain_head, document_sha256),
    )
    repository.append_chain_entry(session, series, entry)
    return entry


def all_series(session: Session, *, seller_tax_code: str | None = None) -> list[Series]:
    return repository.all_series(session, seller_tax_code=seller_tax_code)


def chain_entries(session: Session, series: Series) -> list[ChainEntry]:
    return repository.chain_entries(session, series.id)


@dataclass(frozen=True)
class Sealed:
    signed_xml: bytes
    sha256: str
    chain_link: str


def seal(
    session: Session, series: Series, *, allocation: Allocation, root: etree._Element, document_id: uuid.UUID
) -> Sealed:
    """Serialise the signed document once, hash it and link it into the chain: these bytes are
    what is stored, served and verified from now on."""
    signed_xml = signing.serialize(root)
    sha256 = hashlib.sha256(signed_xml).hexdigest()
    entry = append_to_chain(
        session,
        series,
        allocation=allocation,
        event="issued",
        document_id=document_id,
        number=allocation.number,
        document_sha256=sha256,
    )
    return Sealed(signed_xml=signed_xml, sha256=sha256, chain_link=entry.link)


def chain_page(session: Session, series: Series, *, after: int, limit: int) -> list[ChainEntry]:
    return repository.chain_page(session, series.id, after=after, limit=limit)
