"""Invoice XML (`HDon`) in the tax authority's format, built from the domain and checked by hoadon's rules.

No official XSD exists (DOMAIN.md §14), so the element order, requirements and lengths of DOMAIN.md §2
(Decision 1450/1510/QĐ-TCT as quoted there) are kept below as one table, `_SCHEMA`, and every document is
checked against it before it is returned for signing.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from lxml import etree
from stdnum.vn import mst

from invoicing.decimals import plain_number
from invoicing.invoices.calculation import CalculatedLine, Calculation
from invoicing.invoices.vat import parse_vat_rate

FORMAT_VERSIONS = frozenset({"2.0.1"})
"""`PBan` values hoadon emits (decision 1); 2.1.0 joins once its §2.9 additions are built."""

VAT_INVOICE = "1"
SALES_INVOICE = "2"
TEMPLATES = frozenset({VAT_INVOICE, SALES_INVOICE})
"""`KHMSHDon` kinds hoadon issues (decision 2); kinds 3–6 are refused."""

SERIES_PATTERN = re.compile(r"[CK]\d{2}[TDLMNBGH][A-Z]{2}")
AUTHORITY_CODE_PATTERN = re.compile(r"00[0-9A-F]{32}")
_TAX_CODE_SHAPE = re.compile(r"\d{10}(?:-\d{3})?")
_XML_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?")
_PLAIN_INTEGER = re.compile(r"0|[1-9]\d*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Party:
    """Seller (`NBan`) or buyer (`NMua`); `buyer_person` (HVTNMHang), `customer_code` (MKHang): buyer only."""

    name: str | None = None
    tax_code: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    bank_account: str | None = None
    bank_name: str | None = None
    buyer_person: str | None = None
    customer_code: str | None = None


@dataclass(frozen=True)
class RelatedInvoice:
    """`TTHDLQuan`: the invoice an adjustment (nature 2) or replacement (nature 1) refers to (decision 10).

    `invoice_kind` is `LHDCLQuan` (DOMAIN.md §3.4): 1 for a Decree 123 e-invoice, 3 for pre-2022 forms.
    """

    nature: int
    template: str
    series: str
    number: int
    issue_date: date
    note: str | None = None
    invoice_kind: int = 1


@dataclass(frozen=True)
class InvoiceDocument:
    data_id: str
    format_version: str
    title: str
    template: str
    series: str
    number: int
    issue_date: date
    currency: str
    exchange_rate: Decimal | None
    payment_method: str | None
    provider_tax_code: str | None
    seller: Party
    buyer: Party
    calculation: Calculation
    total_in_words: str
    related: RelatedInvoice | None = None


class InvoiceXMLError(ValueError):
    def __init__(self, violations: Sequence[str]) -> None:
        self.violations = tuple(violations)
        super().__init__("invoice XML breaks hoadon's rules:\n" + "\n".join(f"- {v}" for v in violations))


def build_invoice_xml(document: InvoiceDocument) -> etree._Element:
    """Build the unsigned `HDon`, checked by `check_invoice_xml` (raises InvoiceXMLError)."""
    if document.template not in TEMPLATES:
        raise ValueError(
            f"KHMSHDon {document.template!r} is not issued yet; hoadon issues 1 and 2 (decision 2)"
        )
    with_vat = document.template == VAT_INVOICE
    calculation = document.calculation
    if (calculation.vat_total is not None) != with_vat:
        raise ValueError(
            "a VAT invoice (KHMSHDon 1) needs a calculation with VAT, a sales invoice one without"
        )
    if document.seller.buyer_person is not None or document.seller.customer_code is not None:
        raise ValueError("buyer_person and customer_code belong to the buyer (NMua), not the seller")

    root = etree.Element("HDon")
    data = etree.SubElement(root, "DLHDon", Id=document.data_id)

    general = etree.SubElement(data, "TTChung")
    _leaf(general, "PBan", document.format_version)
    _leaf(general, "THDon", document.title)
    _leaf(general, "KHMSHDon", document.template)
    _leaf(general, "KHHDon", document.series)
    # Decision 4: no zero padding, as in the tax authority's own samples (DOMAIN.md §2.1).
    _leaf(general, "SHDon", str(document.number))
    _leaf(general, "NLap", document.issue_date.isoformat())
    _leaf(general, "DVTTe", document.currency)
    _leaf(general, "TGia", _exchange_rate(document))
    _leaf(general, "HTTToan", document.payment_method)
    _leaf(general, "MSTTCGP", document.provider_tax_code)
    if document.related is not None:
        _related(general, document.related)

    content = etree.SubElement(data, "NDHDon")
    seller = document.seller
    _block(
        content,
        "NBan",
        (
            ("Ten", seller.name),
            ("MST", seller.tax_code),
            ("DChi", seller.address),
            ("SDThoai", seller.phone),
            ("DCTDTu", seller.email),
            ("STKNHang", seller.bank_account),
            ("TNHang", seller.bank_name),
        ),
    )
    buyer = document.buyer
    _block(
        content,
        "NMua",
        (
            ("Ten", buyer.name),
            ("MST", buyer.tax_code),
            ("DChi", buyer.address),
            ("MKHang", buyer.customer_code),
            ("SDThoai", buyer.phone),
            ("DCTDTu", buyer.email),
            ("HVTNMHang", buyer.buyer_person),
            ("STKNHang", buyer.bank_account),
            ("TNHang", buyer.bank_name),
        ),
    )
    items = etree.SubElement(content, "DSHHDVu")
    for line in calculation.lines:
        _line(items, line)
    _totals(content, document, with_vat=with_vat)

    signatures = etree.SubElement(root, "DSCKS")
    for tag in ("NBan", "NMua", "CCKSKhac"):
        etree.SubElement(signatures, tag)

    check_invoice_xml(root)
    return root


def add_authority_code(root: etree._Element, *, code: str, element_id: str) -> etree._Element:
    """Insert `MCCQT` between `DLHDon` and `DSCKS`, outside the seller's signature (DOMAIN.md §2.8)."""
    if root.find("MCCQT") is not None:
        raise ValueError("the invoice already has an authority code (MCCQT)")
    series = root.findtext("DLHDon/TTChung/KHHDon") or ""
    if not series.startswith("C"):
        raise ValueError(f"only C series carry an authority code (decision 3), series is {series!r}")
    if not AUTHORITY_CODE_PATTERN.fullmatch(code):
        raise ValueError(f"MCCQT is 00 followed by 32 uppercase hex characters (decision 5), got {code!r}")
    if not _XML_ID.fullmatch(element_id):
        raise ValueError(f"{element_id!r} is not an XML ID")
    signatures = root.find("DSCKS")
    if signatures is None:
        raise ValueError("the invoice has no DSCKS")
    element = etree.Element("MCCQT", Id=element_id)
    element.text = code
    signatures.addprevious(element)
    return element


def authority_signature_slot(root: etree._Element) -> etree._Element:
    """Return `DSCKS/CQT`, creating it after `CCKSKhac` where the authority's coded invoices put it [S8]."""
    if root.find("MCCQT") is None:
        raise ValueError("the authority signs the invoice with its code (decision 6); add MCCQT first")
    signatures = root.find("DSCKS")
    if signatures is None:
        raise ValueError("the invoice has no DSCKS")
    slot = signatures.find("CQT")
    if slot is None:
        slot = etree.SubElement(signatures, "CQT")
    return slot


def check_invoice_xml(root: etree._Element) -> None:
    """Check `HDon` against `_SCHEMA` and the cross-field rules; InvoiceXMLError lists every violation."""
    violations: list[str] = []
    if root.tag != "HDon":
        raise InvoiceXMLError([f"{root.tag}: the root element must be HDon"])
    context = _Context(
        template=root.findtext("DLHDon/TTChung/KHMSHDon"),
        currency=root.findtext("DLHDon/TTChung/DVTTe"),
    )
    _check_element(root, "HDon", "HDon", context, violations)
    for rule in _CROSS_RULES:
        violations.extend(rule(root))
    if violations:
        raise InvoiceXMLError(violations)


def _clean(value: str | None) -> str | None:
    # Decision 15: NFC before validation and storage, lengths counted afterwards.
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).strip() or None


def _leaf(parent: etree._Element, tag: str, value: str | None) -> None:
    # Optional elements without a value are left out rather than written empty.
    text = _clean(value)
    if text is not None:
        etree.SubElement(parent, tag).text = text


def _block(parent: etree._Element, tag: str, fields: Sequence[tuple[str, str | None]]) -> None:
    if any(_clean(value) for _, value in fields):
        block = etree.SubElement(parent, tag)
        for child, value in fields:
            _leaf(block, child, value)


def _number(value: Decimal | None) -> str | None:
    return None if value is None else plain_number(value)


def _exchange_rate(document: InvoiceDocument) -> str | None:
    if document.currency == "VND":
        if document.exchange_rate not in (None, Decimal(1)):
            raise ValueError(f"a VND invoice has exchange rate 1, got {document.exchange_rate}")
        # The samples write TGia 1 for VND (DOMAIN.md §2.1).
        return "1"
    return _number(document.exchange_rate)


def _related(parent: etree._Element, related: RelatedInvoice) -> None:
    block = etree.SubElement(parent, "TTHDLQuan")
    _leaf(block, "TCHDon", str(related.nature))
    _leaf(block, "LHDCLQuan", str(related.invoice_kind))
    _leaf(block, "KHMSHDCLQuan", related.template)
    _leaf(block, "KHHDCLQuan", related.series)
    _leaf(block, "SHDCLQuan", str(related.number))
    _leaf(block, "NLHDCLQuan", related.issue_date.isoformat())
    _leaf(block, "GChu", related.note)


def _line(parent: etree._Element, line: CalculatedLine) -> None:
    item = etree.SubElement(parent, "HHDVu")
    _leaf(item, "TChat", str(line.nature))
    _leaf(item, "STT", str(line.number))
    _leaf(item, "MHHDVu", line.item_code)
    _leaf(item, "THHDVu", line.name)
    _leaf(item, "DVTinh", line.unit)
    _leaf(item, "SLuong", _number(line.quantity))
    _leaf(item, "DGia", _number(line.unit_price))
    _leaf(item, "TLCKhau", _number(line.discount_rate))
    _leaf(item, "STCKhau", _number(line.discount_amount))
    _leaf(item, "ThTien", _number(line.amount))
    if line.vat_rate is not None:
        _leaf(item, "TSuat", line.vat_rate.code)


def _totals(parent: etree._Element, document: InvoiceDocument, *, with_vat: bool) -> None:
    calculation = document.calculation
    totals = etree.SubElement(parent, "TToan")
    if with_vat:
        rates = etree.SubElement(totals, "THTTLTSuat")
        for rate in calculation.rates:
            # Spec order TSuat, ThTien, TThue (DOMAIN.md §2.6), not the TSuat, TThue, ThTien of some samples.
            block = etree.SubElement(rates, "LTSuat")
            _leaf(block, "TSuat", rate.vat_rate.code)
            _leaf(block, "ThTien", _number(rate.taxable))
            _leaf(block, "TThue", _number(rate.tax))
        _leaf(totals, "TgTCThue", _number(calculation.subtotal))
        _leaf(totals, "TgTThue", _number(calculation.vat_total))
    if calculation.discount_total:
        # Decree 123 Art. 10.6đ: a trade discount is shown; TgTCThue is already net of it.
        _leaf(totals, "TTCKTMai", _number(calculation.discount_total))
    _leaf(totals, "TgTTTBSo", _number(calculation.total))
    _leaf(totals, "TgTTTBChu", document.total_in_words)


@dataclass(frozen=True)
class _Context:
    template: str | None
    currency: str | None
    nature: str | None = None


@dataclass(frozen=True)
class _When:
    description: str
    test: Callable[[_Context], bool]


_ALWAYS = _When("always", lambda _: True)
_NEVER = _When("never", lambda _: False)
# A sales invoice drops the VAT elements (DOMAIN.md §2.5, §2.6); an unknown KHMSHDon is checked as a VAT
# invoice so that its own error is not buried under VAT-element noise.
_VAT = _When("on a VAT invoice (KHMSHDon 1)", lambda c: c.template != SALES_INVOICE)
_FOREIGN_CURRENCY = _When("when DVTTe is not VND", lambda c: c.currency != "VND")
_PRICED_LINE = _When("on lines of TChat 1 and 3", lambda c: c.nature in ("1", "3"))
_VAT_PRICED_LINE = _When(
    "on VAT invoice lines of TChat 1 and 3",
    lambda c: c.template != SALES_INVOICE and c.nature in ("1", "3"),
)


@dataclass(frozen=True)
class _Text:
    max_length: int | None
    pattern: re.Pattern[str] | None = None
    shape: str = ""

    def problems(self, text: str) -> list[str]:
        found = []
        if self.max_length is not None and len(text) > self.max_length:
            found.append(f"{len(text)} characters, at most {self.max_length}")
        if self.pattern is not None and not self.pattern.fullmatch(text):
            found.append(f"{text!r} is not {self.shape or self.pattern.pattern}")
        return found


@dataclass(frozen=True)
class _Choice:
    values: frozenset[str]

    def problems(self, text: str) -> list[str]:
        return [] if text in self.values else [f"{text!r} is not one of {', '.join(sorted(self.values))}"]


@dataclass(frozen=True)
class _Integer:
    minimum: int
    maximum: int

    def problems(self, text: str) -> list[str]:
        if not _PLAIN_INTEGER.fullmatch(text):
            return [f"{text!r} is not a plain integer (no sign, no zero padding)"]
        if not self.minimum <= int(text) <= self.maximum:
            return [f"{text} is outside {self.minimum}..{self.maximum}"]
        return []


@dataclass(frozen=True)
class _Number:
    """`num(p,s)` of DOMAIN.md §2: at most p digits, s of them after the point."""

    digits: int
    decimals: int
    signed: bool = True

    def problems(self, text: str) -> list[str]:
        if not _PLAIN_NUMBER.fullmatch(text) or (text.startswith("-") and not self.signed):
            kind = "decimal" if self.signed else "non-negative decimal"
            return [f"{text!r} is not a plain {kind} number"]
        whole, _, fraction = text.removeprefix("-").partition(".")
        found = []
        if len(fraction) > self.decimals:
            found.append(f"{text} has {len(fraction)} decimals, at most {self.decimals}")
        if len(whole) > self.digits - self.decimals:
            found.append(f"{text} has more than {self.digits - self.decimals} digits before the point")
        return found


@dataclass(frozen=True)
class _Date:
    def problems(self, text: str) -> list[str]:
        try:
            if _ISO_DATE.fullmatch(text):
                date.fromisoformat(text)
                return []
        except ValueError:
            pass
        return [f"{text!r} is not a YYYY-MM-DD date"]


@dataclass(frozen=True)
class _TaxCode:
    def problems(self, text: str) -> list[str]:
        # Decision 11: 10 digits or NNNNNNNNNN-NNN, checked with python-stdnum.
        if not _TAX_CODE_SHAPE.fullmatch(text):
            return [f"{text!r} is not a tax code of 10 digits or NNNNNNNNNN-NNN"]
        if not mst.is_valid(text):
            return [f"{text!r} fails the tax code checksum"]
        return []


@dataclass(frozen=True)
class _VatCode:
    def problems(self, text: str) -> list[str]:
        try:
            emitted = parse_vat_rate(text).code
        except ValueError as error:
            return [str(error)]
        return [] if emitted == text else [f"{text!r} is written {emitted!r} (decision 7)"]


_Rule = _Text | _Choice | _Integer | _Number | _Date | _TaxCode | _VatCode


@dataclass(frozen=True)
class _Child:
    tag: str
    rule: _Rule | None = None
    required: _When = _NEVER
    allowed: _When = _ALWAYS
    repeat: bool = False


def _m(tag: str, rule: _Rule | None = None, *, repeat: bool = False) -> _Child:
    return _Child(tag, rule, required=_ALWAYS, repeat=repeat)


def _o(tag: str, rule: _Rule | None = None) -> _Child:
    return _Child(tag, rule)


_AMOUNT = _Number(21, 6)
_TAX_CODE = _TaxCode()
_DATE = _Date()

_HDON = "HDon"
_DLHDON = f"{_HDON}/DLHDon"
_TTCHUNG = f"{_DLHDON}/TTChung"
_NDHDON = f"{_DLHDON}/NDHDon"
_LINE = f"{_NDHDON}/DSHHDVu/HHDVu"
_TTOAN = f"{_NDHDON}/TToan"
_DSCKS = f"{_HDON}/DSCKS"

# Element path → its children in spec order (DOMAIN.md §2 tables; "C" elements hoadon always writes are
# required here). A child with a rule is a leaf; one without is a block with its own entry.
_SCHEMA: dict[str, tuple[_Child, ...]] = {
    _HDON: (
        _m("DLHDon"),
        _o("DLQRCode", _Text(512)),
        _o("MCCQT", _Text(34, AUTHORITY_CODE_PATTERN, "00 and 32 uppercase hex characters (decision 5)")),
        _m("DSCKS"),
    ),
    _DLHDON: (_m("TTChung"), _m("NDHDon"), _o("TTKhac")),
    _TTCHUNG: (
        _m("PBan", _Choice(FORMAT_VERSIONS)),
        _m("THDon", _Text(100)),
        _m("KHMSHDon", _Choice(TEMPLATES)),
        _m("KHHDon", _Text(6, SERIES_PATTERN, "a series like C26TAA (decision 3)")),
        _m("SHDon", _Integer(1, 99_999_999)),
        _o("MHSo", _Text(20)),
        _m("NLap", _DATE),
        _o("SBKe", _Text(50)),
        _o("NBKe", _DATE),
        _m("DVTTe", _Text(3, re.compile(r"[A-Z]{3}"), "an ISO 4217 code")),
        _Child("TGia", _Number(7, 2, signed=False), required=_FOREIGN_CURRENCY),
        _o("HTTToan", _Text(50)),
        _o("MSTTCGP", _TAX_CODE),
        _o("MSTDVNUNLHDon", _TAX_CODE),
        _o("TDVNUNLHDon", _Text(400)),
        _o("DCDVNUNLHDon", _Text(400)),
        _o("TTHDLQuan"),
        _o("TTKhac"),
    ),
    f"{_TTCHUNG}/TTHDLQuan": (
        _m("TCHDon", _Choice(frozenset({"1", "2"}))),
        _m("LHDCLQuan", _Choice(frozenset({"1", "2", "3", "4"}))),
        _m("KHMSHDCLQuan", _Text(11)),
        _m("KHHDCLQuan", _Text(8)),
        _m("SHDCLQuan", _Text(8, re.compile(r"\d+"), "digits")),
        _m("NLHDCLQuan", _DATE),
        _o("GChu", _Text(255)),
    ),
    _NDHDON: (_m("NBan"), _o("NMua"), _m("DSHHDVu"), _m("TToan")),
    f"{_NDHDON}/NBan": (
        _m("Ten", _Text(400)),
        _m("MST", _TAX_CODE),
        _m("DChi", _Text(400)),
        _o("SDThoai", _Text(20)),
        _o("DCTDTu", _Text(50)),
        _o("STKNHang", _Text(30)),
        _o("TNHang", _Text(400)),
        _o("Fax", _Text(20)),
        _o("Website", _Text(100)),
        _o("TTKhac"),
    ),
    f"{_NDHDON}/NMua": (
        _o("Ten", _Text(400)),
        _o("MST", _TAX_CODE),
        _o("DChi", _Text(400)),
        _o("MKHang", _Text(50)),
        _o("SDThoai", _Text(20)),
        _o("DCTDTu", _Text(50)),
        _o("HVTNMHang", _Text(100)),
        _o("STKNHang", _Text(30)),
        _o("TNHang", _Text(400)),
        _o("TTKhac"),
    ),
    f"{_NDHDON}/DSHHDVu": (_m("HHDVu", repeat=True),),
    _LINE: (
        _m("TChat", _Choice(frozenset({"1", "2", "3", "4"}))),
        _o("STT", _Integer(1, 9999)),
        _o("MHHDVu", _Text(50)),
        _m("THHDVu", _Text(500)),
        _o("DVTinh", _Text(50)),
        _o("SLuong", _AMOUNT),
        _o("DGia", _AMOUNT),
        _o("TLCKhau", _Number(6, 4, signed=False)),
        _o("STCKhau", _AMOUNT),
        _Child("ThTien", _AMOUNT, required=_PRICED_LINE),
        _Child("TSuat", _VatCode(), required=_VAT_PRICED_LINE, allowed=_VAT),
        _o("TTKhac"),
    ),
    _TTOAN: (
        _Child("THTTLTSuat", required=_VAT, allowed=_VAT),
        _Child("TgTCThue", _AMOUNT, required=_VAT, allowed=_VAT),
        _Child("TgTThue", _AMOUNT, required=_VAT, allowed=_VAT),
        _Child("TGTKCThue", _AMOUNT, allowed=_VAT),
        _o("DSLPhi"),
        _o("TTCKTMai", _AMOUNT),
        _o("TGTKhac", _AMOUNT),
        _m("TgTTTBSo", _AMOUNT),
        _m("TgTTTBChu", _Text(255)),
        _o("TTKhac"),
    ),
    f"{_TTOAN}/THTTLTSuat": (_m("LTSuat", repeat=True),),
    f"{_TTOAN}/THTTLTSuat/LTSuat": (_m("TSuat", _VatCode()), _m("ThTien", _AMOUNT), _m("TThue", _AMOUNT)),
    f"{_TTOAN}/DSLPhi": (_m("LPhi", repeat=True),),
    f"{_TTOAN}/DSLPhi/LPhi": (_m("TLPhi", _Text(100)), _m("TPhi", _AMOUNT)),
    # Signature order as in the authority's coded invoices [S8]: CQT after CCKSKhac.
    _DSCKS: (_m("NBan"), _o("NMua"), _o("CCKSKhac"), _o("CQT")),
}
# Extra fields (`TTKhac/TTin`, DOMAIN.md §2.7) have the same shape under every parent that allows them.
_EXTRA_FIELD = (
    _m("TTruong", _Text(None)),
    _m("KDLieu", _Choice(frozenset({"string", "numeric", "dateTime", "date"}))),
    _m("DLieu", _Text(None)),
)
for _parent in (_DLHDON, _TTCHUNG, f"{_NDHDON}/NBan", f"{_NDHDON}/NMua", _LINE, _TTOAN):
    _SCHEMA[f"{_parent}/TTKhac"] = (_m("TTin", repeat=True),)
    _SCHEMA[f"{_parent}/TTKhac/TTin"] = _EXTRA_FIELD

# Filled by the signing module and the authority; their xmldsig content is not hoadon's schema.
_OPAQUE = frozenset({f"{_DSCKS}/NBan", f"{_DSCKS}/NMua", f"{_DSCKS}/CCKSKhac", f"{_DSCKS}/CQT"})
# Signatures reference these by Id (decision 6).
_ID_ELEMENTS = frozenset({_DLHDON, f"{_HDON}/MCCQT"})


def _check_element(
    element: etree._Element, key: str, path: str, context: _Context, violations: list[str]
) -> None:
    if key in _OPAQUE:
        return
    if (element.text or "").strip():
        violations.append(f"{path}: a block holds elements, not text")
    if key == _LINE:
        context = replace(context, nature=element.findtext("TChat"))

    children = _SCHEMA[key]
    positions = {child.tag: (index, child) for index, child in enumerate(children)}
    seen: Counter[str] = Counter()
    furthest = -1
    for element_child in element:
        tag = element_child.tag
        if not isinstance(tag, str):
            continue
        seen[tag] += 1
        found = positions.get(tag)
        if found is None:
            violations.append(f"{path}/{tag}: unexpected element")
            continue
        index, child = found
        child_path = f"{path}/{tag}[{seen[tag]}]" if child.repeat else f"{path}/{tag}"
        if index < furthest:
            violations.append(f"{child_path}: out of order, must come before {children[furthest].tag}")
        elif seen[tag] > 1 and not child.repeat:
            violations.append(f"{child_path}: repeated")
        furthest = max(furthest, index)
        if not child.allowed.test(context):
            violations.append(f"{child_path}: allowed only {child.allowed.description}")
        if f"{key}/{tag}" in _ID_ELEMENTS and not _XML_ID.fullmatch(element_child.get("Id") or ""):
            violations.append(f"{child_path}/@Id: missing or not an XML ID")
        if child.rule is not None:
            _check_leaf(element_child, child.rule, child_path, violations)
        else:
            _check_element(element_child, f"{key}/{tag}", child_path, context, violations)
    for child in children:
        if not seen[child.tag] and child.required.test(context) and child.allowed.test(context):
            violations.append(f"{path}/{child.tag}: missing (required {child.required.description})")


def _check_leaf(element: etree._Element, rule: _Rule, path: str, violations: list[str]) -> None:
    if len(element):
        violations.append(f"{path}: holds text, not elements")
    text = element.text or ""
    if not text:
        violations.append(f"{path}: empty; leave optional elements out instead")
        return
    if not unicodedata.is_normalized("NFC", text):
        violations.append(f"{path}: text is not in Unicode NFC (decision 15)")
    violations.extend(f"{path}: {problem}" for problem in rule.problems(text))


def _series_year(root: etree._Element) -> list[str]:
    # Decision 3: the two year digits of KHHDon are the year of NLap.
    series = root.findtext("DLHDon/TTChung/KHHDon") or ""
    issued = root.findtext("DLHDon/TTChung/NLap") or ""
    if SERIES_PATTERN.fullmatch(series) and _ISO_DATE.fullmatch(issued) and series[1:3] != issued[2:4]:
        return [f"{_TTCHUNG}/KHHDon: series year {series[1:3]} is not the year of NLap {issued}"]
    return []


def _distinct_ids(root: etree._Element) -> list[str]:
    identifiers = [root.find("DLHDon"), root.find("MCCQT")]
    values = [element.get("Id") for element in identifiers if element is not None]
    if len(values) == 2 and values[0] == values[1]:
        return [f"{_HDON}/MCCQT/@Id: same Id as DLHDon, signature references would be ambiguous"]
    return []


_CROSS_RULES: tuple[Callable[[etree._Element], list[str]], ...] = (_series_year, _distinct_ids)
