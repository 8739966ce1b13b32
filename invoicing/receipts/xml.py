"""Receipt XML (`BLai`) for fees and charges, built from the domain and checked by hoadon's rules.

The tax authority's receipt format was not found (DOMAIN.md §10, §15 item 10), so the element names
below are hoadon's own (decision 13) and live in this module alone, to change in one place once the
format is known. The layout is the invoice's: the business data (`DLBLai`) under an Id the seller
signs, and the signatures in `DSCKS/NBan`. The fields are those of Decree 123 Art. 32.2.

The checking reuses the rule types of `invoicing.invoices.xml`; only the element table differs.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from invoicing.decimals import plain_number
from invoicing.invoices.xml import (
    _FOREIGN_CURRENCY,
    _XML_ID,
    FORMAT_VERSIONS,
    _check_leaf,
    _Child,
    _Choice,
    _Context,
    _Date,
    _Integer,
    _leaf,
    _m,
    _Number,
    _o,
    _TaxCode,
    _Text,
)
from invoicing.series.rules import RECEIPT_MAX_NUMBER, RECEIPT_SYMBOL, RECEIPT_TEMPLATE


@dataclass(frozen=True)
class ReceiptParty:
    """The collecting organisation (`NThu`) or the payer (`NNop`)."""

    name: str
    tax_code: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Fee:
    """One fee or charge collected (`Khoan`): its name (`TKhoan`) and amount (`STien`)."""

    name: str
    amount: Decimal


@dataclass(frozen=True)
class ReceiptDocument:
    data_id: str
    format_version: str
    title: str
    template: str
    series: str
    number: int
    issue_date: date
    currency: str
    exchange_rate: Decimal | None
    collector: ReceiptParty
    payer: ReceiptParty
    fees: tuple[Fee, ...]
    total_in_words: str

    @property
    def total(self) -> Decimal:
        return sum((fee.amount for fee in self.fees), Decimal(0))

    @property
    def total_vnd(self) -> Decimal | None:
        """The total converted at the statutory rate, whole đồng (Art. 32.2k; decision 8)."""
        if self.currency == "VND" or self.exchange_rate is None:
            return None
        return (self.total * self.exchange_rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)


class ReceiptXMLError(ValueError):
    def __init__(self, violations: Sequence[str]) -> None:
        self.violations = tuple(violations)
        super().__init__("receipt XML breaks hoadon's rules:\n" + "\n".join(f"- {v}" for v in violations))


def build_receipt_xml(document: ReceiptDocument) -> etree._Element:
    """Build the unsigned `BLai`, checked by `check_receipt_xml` (raises ReceiptXMLError)."""
    root = etree.Element("BLai")
    data = etree.SubElement(root, "DLBLai", Id=document.data_id)

    general = etree.SubElement(data, "TTChung")
    _leaf(general, "PBan", document.format_version)
    _leaf(general, "TBLai", document.title)
    _leaf(general, "KHMSBLai", document.template)
    _leaf(general, "KHBLai", document.series)
    _leaf(general, "SBLai", str(document.number))
    _leaf(general, "NLap", document.issue_date.isoformat())
    _leaf(general, "DVTTe", document.currency)
    # As on invoices, VND is written with rate 1 (DOMAIN.md §2.1).
    foreign = document.currency != "VND"
    rate = document.exchange_rate if foreign else Decimal(1)
    _leaf(general, "TGia", plain_number(rate) if rate is not None else None)

    content = etree.SubElement(data, "NDBLai")
    for tag, party in (("NThu", document.collector), ("NNop", document.payer)):
        block = etree.SubElement(content, tag)
        _leaf(block, "Ten", party.name)
        _leaf(block, "MST", party.tax_code)
        _leaf(block, "DChi", party.address)
    fees = etree.SubElement(content, "DSKhoan")
    for index, fee in enumerate(document.fees, start=1):
        item = etree.SubElement(fees, "Khoan")
        _leaf(item, "STT", str(index))
        _leaf(item, "TKhoan", fee.name)
        _leaf(item, "STien", plain_number(fee.amount))
    totals = etree.SubElement(content, "TToan")
    _leaf(totals, "TgTien", plain_number(document.total))
    total_vnd = document.total_vnd
    _leaf(totals, "TgTienVND", plain_number(total_vnd) if total_vnd is not None else None)
    _leaf(totals, "TgTChu", document.total_in_words)

    etree.SubElement(etree.SubElement(root, "DSCKS"), "NBan")
    check_receipt_xml(root)
    return root


def check_receipt_xml(root: etree._Element) -> None:
    """Check `BLai` against `_SCHEMA` and the cross-field rules; ReceiptXMLError lists every violation."""
    if root.tag != "BLai":
        raise ReceiptXMLError([f"{root.tag}: the root element must be BLai"])
    violations: list[str] = []
    context = _Context(template=None, currency=root.findtext("DLBLai/TTChung/DVTTe"))
    _check_block(root, "BLai", "BLai", context, violations)
    violations.extend(_series_year(root))
    violations.extend(_totals_add_up(root))
    if violations:
        raise ReceiptXMLError(violations)


_AMOUNT = _Number(21, 6, signed=False)
_DLBLAI = "BLai/DLBLai"
_NDBLAI = f"{_DLBLAI}/NDBLai"
_SIGNATURE_SLOT = "BLai/DSCKS/NBan"

_SCHEMA: dict[str, tuple[_Child, ...]] = {
    "BLai": (_m("DLBLai"), _m("DSCKS")),
    _DLBLAI: (_m("TTChung"), _m("NDBLai")),
    f"{_DLBLAI}/TTChung": (
        _m("PBan", _Choice(FORMAT_VERSIONS)),
        _m("TBLai", _Text(100)),
        _m("KHMSBLai", _Text(11, RECEIPT_TEMPLATE, "a receipt template like 01BLP0-001")),
        _m("KHBLai", _Text(6, RECEIPT_SYMBOL, "a receipt series like AA-26E")),
        # Art. 32.2c: at most 7 digits; no zero padding, as on invoices (decision 4).
        _m("SBLai", _Integer(1, RECEIPT_MAX_NUMBER)),
        _m("NLap", _Date()),
        _m("DVTTe", _Text(3, re.compile(r"[A-Z]{3}"), "an ISO 4217 code")),
        _Child("TGia", _Number(7, 2, signed=False), required=_FOREIGN_CURRENCY),
    ),
    _NDBLAI: (_m("NThu"), _m("NNop"), _m("DSKhoan"), _m("TToan")),
    f"{_NDBLAI}/NThu": (_m("Ten", _Text(400)), _m("MST", _TaxCode()), _o("DChi", _Text(400))),
    f"{_NDBLAI}/NNop": (_m("Ten", _Text(400)), _o("MST", _TaxCode()), _o("DChi", _Text(400))),
    f"{_NDBLAI}/DSKhoan": (_m("Khoan", repeat=True),),
    f"{_NDBLAI}/DSKhoan/Khoan": (
        _m("STT", _Integer(1, 9999)),
        _m("TKhoan", _Text(255)),
        _m("STien", _AMOUNT),
    ),
    f"{_NDBLAI}/TToan": (
        _m("TgTien", _AMOUNT),
        _Child(
            "TgTienVND", _Number(21, 0, signed=False), required=_FOREIGN_CURRENCY, allowed=_FOREIGN_CURRENCY
        ),
        _m("TgTChu", _Text(255)),
    ),
    "BLai/DSCKS": (_m("NBan"),),
}


def _check_block(
    element: etree._Element, key: str, path: str, context: _Context, violations: list[str]
) -> None:
    # Same walk as the invoice check (order, repeats, required and allowed children, Ids); the
    # signature slot holds xmldsig, which is not hoadon's schema.
    if key == _SIGNATURE_SLOT:
        return
    if (element.text or "").strip():
        violations.append(f"{path}: a block holds elements, not text")
    children = _SCHEMA[key]
    order = {child.tag: index for index, child in enumerate(children)}
    seen: Counter[str] = Counter()
    last = -1
    for found in element:
        tag = found.tag
        if not isinstance(tag, str):
            continue
        seen[tag] += 1
        if tag not in order:
            violations.append(f"{path}/{tag}: unexpected element")
            continue
        child = children[order[tag]]
        where = f"{path}/{tag}[{seen[tag]}]" if child.repeat else f"{path}/{tag}"
        if seen[tag] > 1 and not child.repeat:
            violations.append(f"{where}: repeated")
        if order[tag] < last:
            violations.append(f"{where}: out of order, must come before {children[last].tag}")
        last = max(last, order[tag])
        if not child.allowed.test(context):
            violations.append(f"{where}: allowed only {child.allowed.description}")
        if f"{key}/{tag}" == _DLBLAI and not _XML_ID.fullmatch(found.get("Id") or ""):
            violations.append(f"{where}/@Id: missing or not an XML ID")
        if child.rule is None:
            _check_block(found, f"{key}/{tag}", where, context, violations)
        else:
            _check_leaf(found, child.rule, where, violations)
    violations.extend(
        f"{path}/{child.tag}: missing (required {child.required.description})"
        for child in children
        if not seen[child.tag] and child.required.test(context) and child.allowed.test(context)
    )


def _series_year(root: etree._Element) -> list[str]:
    # The series' two year digits are the year the receipt is dated, as for invoices (decision 3).
    match = RECEIPT_SYMBOL.fullmatch(root.findtext("DLBLai/TTChung/KHBLai") or "")
    issued = root.findtext("DLBLai/TTChung/NLap") or ""
    if match and len(issued) == 10 and match["yy"] != issued[2:4]:
        return [f"{_DLBLAI}/TTChung/KHBLai: series year {match['yy']} is not the year of NLap {issued}"]
    return []


def _totals_add_up(root: etree._Element) -> list[str]:
    totals = f"{_NDBLAI}/TToan"
    try:
        amounts = [Decimal(e.text or "") for e in root.iterfind("DLBLai/NDBLai/DSKhoan/Khoan/STien")]
        total = Decimal(root.findtext("DLBLai/NDBLai/TToan/TgTien") or "")
        converted = root.findtext("DLBLai/NDBLai/TToan/TgTienVND")
        rate = root.findtext("DLBLai/TTChung/TGia")
        expected_vnd = (total * Decimal(rate or "")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except ArithmeticError:
        return []  # a malformed number is already reported where it stands
    problems = []
    if sum(amounts, Decimal(0)) != total:
        problems.append(f"{totals}/TgTien: {total} is not the sum of the STien amounts")
    if converted is not None and converted != str(expected_vnd):
        problems.append(f"{totals}/TgTienVND: {converted} is not TgTien × TGia = {expected_vnd}")
    return problems
