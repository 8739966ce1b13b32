from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from invoicing.audit.service import record_event
from invoicing.auth.principals import BusinessPrincipal
from invoicing.businesses import service as businesses
from invoicing.chain import GENESIS_LINK, chain_link
from invoicing.errors import Conflict, NotFound, ValidationFailed
from invoicing.models import Business, ChainEntry, DocumentKind, Series
from invoicing.models.base import utcnow
from invoicing.series import repository
from invoicing.series.repository import Allocation
from invoicing.series.rules import FORMAT_VERSION, TEMPLATES, parse_symbol, split_series
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


_KIND_TO_REGISTRATION = {DocumentKind.VAT_INVOICE: "vat_invoice", DocumentKind.SALES_INVOICE: "sales_invoice"}


def register_series(session: Session, principal: BusinessPrincipal, *, request: SeriesCreate) -> Series:
    business = businesses.get_business(session, principal)
    template = TEMPLATES.get(request.template)
    if template is None:
        raise ValidationFailed(
            f"template {request.template!r} is not supported: use 1 (VAT invoice) or 2 (sales invoice); "
            "templates 3 to 6 are not built yet",
            field="template",
        )
    if request.kind is not None and request.kind is not template.kind:
        raise ValidationFailed(
            f"template {template.code} is a {template.kind.value}, not a {request.kind.value}", field="kind"
        )
    parts = parse_symbol(request.symbol)
    if parts is None:
        raise ValidationFailed(
            "a series symbol is C or K, two year digits, a letter of T D L M N B G H, "
            "then two uppercase letters (e.g. C26TAA)",
            field="symbol",
        )
    if parts.letter not in template.letters:
        raise ValidationFailed(
            f"letter {parts.letter!r} is not used with template {template.code}; "
            f"use one of {', '.join(sorted(template.letters))}",
            field="symbol",
        )
    this_year = utcnow().year
    if parts.year not in (this_year - 1, this_year, this_year + 1):
        raise ValidationFailed(
            f"the symbol's year {parts.year} is not last, this or next year", field="symbol"
        )
    _check_registration(business, kind=template.kind, with_authority_code=parts.with_authority_code)
    series = Series(
        business_id=business.id,
        seller_tax_code=business.tax_code,
        kind=template.kind,
        template=template.code,
        symbol=request.symbol,
        year=parts.year,
        with_authority_code=parts.with_authority_code,
        format_version=FORMAT_VERSION,
        chain_head=GENESIS_LINK,
    )
    session.add(series)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise SeriesAlreadyRegistered(
            f"series {template.code}{request.symbol} is already registered", field="symbol"
        ) from None
    record_event(
        session,
        actor=principal.actor,
        action="series.registered",
        subject_type="series",
        subject_id=series.id,
        data={"series": f"{series.template}{series.symbol}"},
    )
    return series


def _check_registration(business: Business, *, kind: DocumentKind, with_authority_code: bool) -> None:
    if _KIND_TO_REGISTRATION[kind] not in business.invoice_kinds:
        raise ValidationFailed(
            f"the business is not registered for {_KIND_TO_REGISTRATION[kind]} "
            f"(registered: {', '.join(business.invoice_kinds)})",
            field="template",
        )
    if with_authority_code != business.with_authority_code:
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
    template, symbol = split_series(series) if series[:1].isdigit() else (None, series)
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


def allocate_number(session: Session, series: Series) -> Allocation:
    return repository.allocate_number(session, series.id)


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


def chain_page(session: Session, series: Series, *, after: int, limit: int) -> list[ChainEntry]:
    return repository.chain_page(session, series.id, after=after, limit=limit)
