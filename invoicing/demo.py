"""``hoadon demo``: a synthetic country, so a new installation shows a living dashboard.

Every figure is made up: no per-province adoption dataset exists (DOMAIN.md §12). The shape is
plausible instead: all 34 provinces, a few big cities holding most businesses, adoption between
70 % and 97 % by province, a registration funnel with rejections and businesses that never claim
their key or never issue, and a few heavy issuers among many small ones.

Everything goes through the services the API uses, so every document is validated, numbered,
really signed (seller and, on ``C`` series, the tax authority), chained and counted. Only two
things differ from live traffic, both for speed: sandbox certificates carry ECDSA P-256 keys
(minted a hundred times faster than RSA), and PDFs are left owed — rendered on first read, or by
``hoadon worker`` — rather than rendered for every document. Registrations are then dated back
over the last two years and the adoption aggregates rebuilt from the source tables, so the time
series has a history.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select
from stdnum.vn import mst

import signing
from invoicing import jobs
from invoicing.adoption import service as adoption
from invoicing.auth.principals import BusinessPrincipal, OfficialPrincipal
from invoicing.certificates import service as certificates
from invoicing.db import Database
from invoicing.invoices import corrections
from invoicing.invoices import service as invoices
from invoicing.invoices.schemas import InvoiceCreate
from invoicing.keyring import Keyring
from invoicing.localities import service as localities
from invoicing.models import Business, Registration
from invoicing.models.base import utcnow
from invoicing.officials import service as officials
from invoicing.receipts import service as receipts
from invoicing.receipts.schemas import ReceiptCreate
from invoicing.registrations import service as registrations
from invoicing.registrations.schemas import RegistrationCreate
from invoicing.series import service as series_service
from invoicing.series.schemas import SeriesCreate

DEMO_OFFICIAL = "Dữ liệu mẫu (demo)"
DOCUMENTS_PER_TRANSACTION = 200

# Rough share of businesses by province: the two metropolises dominate, then the industrial
# provinces around them; the rest share what is left.
_BIG = {"79": 30.0, "01": 22.0, "31": 4.5, "48": 3.0, "75": 3.0, "24": 2.8, "33": 2.0, "92": 1.8}

_NAME_KINDS = ("Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp tư nhân", "Công ty TNHH MTV")
_NAME_TRADES = (
    "Thương mại",
    "Dịch vụ",
    "Xây dựng",
    "Công nghệ",
    "Vận tải",
    "Thực phẩm",
    "May mặc",
    "Cơ khí",
    "Du lịch",
    "Nông sản",
    "Điện tử",
    "Nội thất",
)
_NAME_MARKS = (
    "An Phát",
    "Minh Long",
    "Hòa Bình",
    "Thành Công",
    "Phú Quý",
    "Đại Việt",
    "Sao Mai",
    "Hưng Thịnh",
    "Bảo Ngọc",
    "Trường Sơn",
    "Hồng Hà",
    "Tân Tiến",
    "Việt Úc",
    "Ánh Dương",
    "Kim Cương",
    "Phương Nam",
)
_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ")
_GIVEN = ("Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Huy", "Ngọc Lan", "Hải Nam")
_STREETS = ("Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung")

# (name, unit, unit price in đồng, VAT rate) — the catalogue invoice lines are drawn from.
_GOODS = (
    ("Máy in laser", "Cái", 3_500_000, "10%"),
    ("Giấy in A4", "Ram", 75_000, "10%"),
    ("Dịch vụ vận chuyển", "Chuyến", 1_200_000, "8%"),
    ("Xi măng PCB40", "Tấn", 1_650_000, "10%"),
    ("Gạo tẻ", "Kg", 18_000, "5%"),
    ("Phần mềm kế toán", "Bộ", 9_900_000, "10%"),
    ("Sách giáo khoa", "Quyển", 32_000, "KCT"),
    ("Dịch vụ tư vấn", "Giờ", 850_000, "8%"),
    ("Thiết bị y tế", "Bộ", 12_500_000, "5%"),
    ("Hàng xuất khẩu", "Lô", 45_000_000, "0%"),
)
_FEES = (
    ("Phí trông giữ xe", 5_000),
    ("Lệ phí cấp giấy phép", 150_000),
    ("Phí thẩm định hồ sơ", 500_000),
    ("Phí tham quan di tích", 40_000),
)


@dataclass(frozen=True)
class DemoPlan:
    businesses: int
    invoices: int
    seed: int


@dataclass
class DemoReport:
    registry_rows: int = 0
    submitted: int = 0
    accepted: int = 0
    rejected: int = 0
    claimed: int = 0
    issuers: int = 0
    invoices: int = 0
    receipts: int = 0
    cancelled: int = 0
    rebuild_fixed: int = 0


@dataclass
class _Company:
    tax_code: str
    name: str
    province_code: str
    ward_code: str
    address: str
    in_registry: bool = True
    registry_status: str = "operating"
    outcome: str = "none"  # none, pending, rejected, accepted, claimed, issuing
    kinds: tuple[str, ...] = ("vat_invoice",)
    with_authority_code: bool = True
    submitted_at: datetime | None = None
    documents: int = 0


@dataclass
class Progress:
    """Callbacks the CLI turns into progress bars: ``start(stage, total)``, then ``advance(n)``."""

    start: Callable[[str, int], None] = lambda stage, total: None
    advance: Callable[[int], None] = lambda n: None


@dataclass
class _World:
    companies: list[_Company]
    today: date
    first_day: date
    official: OfficialPrincipal
    rng: random.Random
    report: DemoReport = field(default_factory=DemoReport)


def _tax_codes(rng: random.Random, taken: set[str]) -> Iterator[str]:
    while True:
        body = f"{rng.randrange(1, 100):02d}{rng.randrange(0, 10**7):07d}"
        check = mst.calc_check_digit(body)
        code = body + check
        if check != "10" and code not in taken:
            taken.add(code)
            yield code


def _province_weights() -> list[tuple[str, float]]:
    provinces = localities.list_provinces()
    rest = [p.code for p in provinces if p.code not in _BIG]
    share = (100.0 - sum(_BIG.values())) / len(rest)
    return [(p.code, _BIG.get(p.code, share)) for p in provinces]


def _plan_companies(plan: DemoPlan, rng: random.Random, taken: set[str]) -> list[_Company]:
    codes = _tax_codes(rng, taken)
    weights = _province_weights()
    rates = {code: rng.uniform(0.70, 0.97) for code, _ in weights}
    chosen = rng.choices([code for code, _ in weights], [w for _, w in weights], k=plan.businesses)
    wards = {code: localities.list_wards(code) for code, _ in weights}
    companies: list[_Company] = []
    for province_code in chosen:
        ward = rng.choice(wards[province_code])
        province = localities.get_province(province_code)
        company = _Company(
            tax_code=next(codes),
            name=f"{rng.choice(_NAME_KINDS)} {rng.choice(_NAME_TRADES)} {rng.choice(_NAME_MARKS)}",
            province_code=province_code,
            ward_code=ward.code,
            address=f"Số {rng.randrange(1, 300)} {rng.choice(_STREETS)}, {ward.name}, {province.name}",
        )
        roll = rng.random()
        if roll < 0.04:
            company.registry_status = "suspended"
        elif roll < 0.07:
            company.registry_status = "closed"
        elif rng.random() < rates[province_code]:
            company.outcome = "accepted"
        companies.append(company)
    # Some registrations come from businesses the registry does not list (yet), some are refused,
    # some still wait for an official.
    for _ in range(max(1, plan.businesses // 60)):
        companies[rng.randrange(len(companies))].in_registry = False
    for company in companies:
        if company.outcome == "none" and company.registry_status == "operating":
            roll = rng.random()
            company.outcome = "rejected" if roll < 0.15 else "pending" if roll < 0.22 else "none"
    return companies


def _shape_funnel(world: _World, plan: DemoPlan) -> None:
    rng = world.rng
    span = (world.today - world.first_day).days
    for company in world.companies:
        if company.outcome == "none":
            continue
        # Registrations accelerate towards today; pending ones are recent by nature.
        position = rng.betavariate(1.8, 1.0) if company.outcome != "pending" else rng.uniform(0.97, 1.0)
        day = world.first_day + timedelta(days=min(span - 1, int(position * span)))
        company.submitted_at = datetime.combine(day, time(hour=rng.randrange(1, 10)), UTC)
        roll = rng.random()
        company.kinds = (
            ("vat_invoice",)
            if roll < 0.6
            else ("vat_invoice", "sales_invoice")
            if roll < 0.9
            else ("receipt",)
        )
        company.with_authority_code = rng.random() < 0.75
        if company.outcome == "accepted" and rng.random() < 0.92:
            company.outcome = "claimed" if rng.random() < 0.15 else "issuing"
    issuers = [c for c in world.companies if c.outcome == "issuing"]
    if not issuers:
        return
    weights = [rng.paretovariate(1.16) for _ in issuers]
    scale = plan.invoices / sum(weights)
    for company, weight in zip(issuers, weights, strict=True):
        company.documents = round(weight * scale)
    shortfall = plan.invoices - sum(c.documents for c in issuers)
    for index in range(abs(shortfall)):
        company = issuers[index % len(issuers)]
        if shortfall > 0:
            company.documents += 1
        elif company.documents > 0:
            company.documents -= 1


def _registry_csv(companies: Sequence[_Company]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("tax_code", "name", "province_code", "ward_code", "status"))
    for company in companies:
        if company.in_registry:
            writer.writerow(
                (
                    company.tax_code,
                    company.name,
                    company.province_code,
                    company.ward_code,
                    company.registry_status,
                )
            )
    return out.getvalue().encode()


def _demo_official(database: Database) -> OfficialPrincipal:
    with database.transaction() as session:
        created = officials.create_official(session, name=DEMO_OFFICIAL, province_code=None).official
    return OfficialPrincipal(official_id=created.id, name=created.name, province_code=None)


def _form(company: _Company, rng: random.Random) -> RegistrationCreate:
    return RegistrationCreate(
        tax_code=company.tax_code,
        name=company.name,
        address=company.address,
        province_code=company.province_code,
        ward_code=company.ward_code,
        representative=f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}",
        email=f"ketoan{company.tax_code}@vidu.vn",
        phone=f"09{rng.randrange(10**7, 10**8)}",
        invoice_kinds=list(company.kinds),
        with_authority_code=company.with_authority_code,
    )


def _backdate(
    registration: Registration, business: Business | None, *, submitted_at: datetime, rng: random.Random
) -> None:
    now = utcnow()
    registration.submitted_at = submitted_at
    if registration.decided_at is not None:
        registration.decided_at = min(now, submitted_at + timedelta(hours=rng.randrange(2, 96)))
        if business is not None:
            business.registered_at = registration.decided_at
        if registration.credentials_claimed_at is not None:
            registration.credentials_claimed_at = min(
                now, registration.decided_at + timedelta(hours=rng.randrange(1, 240))
            )


def _register(
    session: Session, world: _World, company: _Company, *, keyring: Keyring
) -> BusinessPrincipal | None:
    submitted = registrations.submit_registration(session, form=_form(company, world.rng))
    world.report.submitted += 1
    registration = submitted.registration
    business: Business | None = None
    principal = None
    if company.outcome == "rejected":
        registrations.reject_registration(
            session, world.official, registration_id=registration.id, reasons=["Thông tin đăng ký chưa khớp"]
        )
        world.report.rejected += 1
    elif company.outcome in ("accepted", "claimed", "issuing"):
        registrations.accept_registration(
            session, world.official, keyring=keyring, sandbox=False, registration_id=registration.id
        )
        world.report.accepted += 1
        if company.outcome in ("claimed", "issuing"):
            issued = registrations.claim_credentials(
                session, registration_id=registration.id, claim_token=submitted.claim_token
            )
            world.report.claimed += 1
            business = session.get(Business, issued.key.business_id)
            assert business is not None
            principal = BusinessPrincipal(
                business_id=business.id, tax_code=business.tax_code, api_key_id=issued.key.id
            )
            if company.outcome == "issuing":
                certificates.issue_sandbox_certificate(
                    session, keyring=keyring, business=business, key_algorithm="ec"
                )
    assert company.submitted_at is not None
    if business is None and registration.business_id is not None:
        business = session.get(Business, registration.business_id)
    _backdate(registration, business, submitted_at=company.submitted_at, rng=world.rng)
    session.add(registration)
    if business is not None:
        session.add(business)
    return principal


def _document_days(world: _World, company: _Company, registered_on: date) -> list[date]:
    rng = world.rng
    first = min(world.today, registered_on + timedelta(days=int(rng.expovariate(1 / 12))))
    span = (world.today - first).days
    return sorted(first + timedelta(days=rng.randint(0, span)) for _ in range(company.documents))


def _symbols(company: _Company, year: int) -> tuple[str, str]:
    yy = year % 100
    if "receipt" in company.kinds:
        return "01BLP0-001", f"AA-{yy:02d}E"
    return "1", f"{'C' if company.with_authority_code else 'K'}{yy:02d}TAA"


def _invoice(series: str, day: date, buyer: _Company, rng: random.Random) -> InvoiceCreate:
    lines = []
    for name, unit, price, rate in rng.sample(_GOODS, k=rng.randint(1, 3)):
        lines.append(
            {
                "name": name,
                "unit": unit,
                "quantity": str(rng.randint(1, 20)),
                "unit_price": str(int(price * rng.uniform(0.8, 1.25))),
                "vat_rate": rate,
            }
        )
    return InvoiceCreate.model_validate(
        {
            "series": series,
            "issue_date": day,
            "payment_method": rng.choice(("TM", "CK", "TM/CK")),
            "buyer": {"tax_code": buyer.tax_code, "name": buyer.name, "address": buyer.address},
            "lines": lines,
        }
    )


def _receipt(series: str, day: date, rng: random.Random) -> ReceiptCreate:
    fee_name, amount = rng.choice(_FEES)
    return ReceiptCreate.model_validate(
        {
            "series": series,
            "template": "01BLP0-001",
            "issue_date": day,
            "payer": {"name": f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}", "address": rng.choice(_STREETS)},
            "lines": [{"fee_name": fee_name, "amount": str(amount * rng.randint(1, 4))}],
        }
    )


def _issue_documents(
    database: Database,
    world: _World,
    company: _Company,
    principal: BusinessPrincipal,
    *,
    keyring: Keyring,
    context: invoices.IssueContext,
    buyers: Sequence[_Company],
    progress: Progress,
) -> None:
    rng = world.rng
    with database.transaction() as session:
        business = session.get(Business, principal.business_id)
        assert business is not None
        registered_on = business.registered_at.astimezone(signing.VN_TZ).date()
    days = _document_days(world, company, registered_on)
    registered: set[int] = set()
    for start in range(0, len(days), DOCUMENTS_PER_TRANSACTION):
        with database.transaction() as session:
            for day in days[start : start + DOCUMENTS_PER_TRANSACTION]:
                template, symbol = _symbols(company, day.year)
                if day.year not in registered:
                    series_service.register_series(
                        session, principal, request=SeriesCreate(template=template, symbol=symbol)
                    )
                    registered.add(day.year)
                if "receipt" in company.kinds:
                    receipts.issue_receipt(
                        session, principal, keyring=keyring, request=_receipt(symbol, day, rng)
                    )
                    world.report.receipts += 1
                    continue
                invoice = invoices.issue_invoice(
                    session,
                    principal,
                    context=context,
                    request=_invoice(f"{template}{symbol}", day, rng.choice(buyers), rng),
                )
                world.report.invoices += 1
                if rng.random() < 0.01:
                    corrections.cancel_invoice(
                        session,
                        principal,
                        context=context,
                        invoice_id=invoice.id,
                        reason="Hóa đơn lập sai thông tin người mua",
                    )
                    world.report.cancelled += 1
        progress.advance(min(DOCUMENTS_PER_TRANSACTION, len(days) - start))


def run_demo(
    database: Database,
    *,
    keyring: Keyring,
    plan: DemoPlan,
    provider_tax_code: str | None,
    progress: Progress | None = None,
) -> DemoReport:
    """Fill ``database`` with a synthetic country; safe to run again (new businesses each time)."""
    progress = progress or Progress()
    rng = random.Random(plan.seed)  # noqa: S311 - synthetic data, reproducible by seed
    # PDFs stay owed: rendering 200,000 of them inline would take hours, and nobody reads them.
    jobs.attach(database, jobs.DeferredDispatcher())
    with database.transaction() as session:
        taken = set(session.exec(select(Registration.tax_code)).all())
    today = utcnow().astimezone(signing.VN_TZ).date()
    world = _World(
        companies=_plan_companies(plan, rng, taken),
        today=today,
        first_day=date(today.year - 1, 1, 1),
        official=_demo_official(database),
        rng=rng,
    )
    _shape_funnel(world, plan)

    body = _registry_csv(world.companies)
    progress.start("registry", 1)
    with database.transaction() as session:
        outcome = adoption.import_registry_file(
            session, None, stream=io.BytesIO(body), filename="demo-registry.csv", cli_user="demo"
        )
    world.report.registry_rows = outcome.record.rows
    progress.advance(1)

    applicants = [c for c in world.companies if c.outcome != "none"]
    applicants.sort(key=lambda c: c.submitted_at or datetime.min.replace(tzinfo=UTC))
    progress.start("registrations", len(applicants))
    principals: dict[str, BusinessPrincipal] = {}
    for start in range(0, len(applicants), DOCUMENTS_PER_TRANSACTION):
        with database.transaction() as session:
            for company in applicants[start : start + DOCUMENTS_PER_TRANSACTION]:
                principal = _register(session, world, company, keyring=keyring)
                if principal is not None:
                    principals[company.tax_code] = principal
        progress.advance(len(applicants[start : start + DOCUMENTS_PER_TRANSACTION]))

    context = invoices.IssueContext(keyring=keyring, provider_tax_code=provider_tax_code)
    issuers = [c for c in applicants if c.outcome == "issuing" and c.documents > 0]
    world.report.issuers = len(issuers)
    progress.start("documents", sum(c.documents for c in issuers))
    buyers = [c for c in world.companies if c.in_registry]
    for company in issuers:
        _issue_documents(
            database,
            world,
            company,
            principals[company.tax_code],
            keyring=keyring,
            context=context,
            buyers=buyers,
            progress=progress,
        )

    progress.start("aggregates", 1)
    with database.transaction() as session:
        world.report.rebuild_fixed = adoption.rebuild_aggregates(session, apply=True).total
    progress.advance(1)
    return world.report
