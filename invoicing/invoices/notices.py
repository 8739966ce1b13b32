"""Form 04/SS-HĐĐT (notice of an erroneous e-invoice, Decree 123 Art. 19) as XML. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

FORM_NUMBER = "04/SS-HĐĐT"
FORM_TITLE = "Thông báo hóa đơn điện tử có sai sót"
FORMAT_VERSION = "2.0.1"
# TCTBao: what the seller does about the invoice (DOMAIN.md §8).
CANCEL = 1
# LADHDDT 1: an e-invoice under Decree 123.
DECREE_123_INVOICE = 1


@dataclass(frozen=True)
class NoticedInvoice:
    authority_code: str | None
    template: str
    series: str
    number: int
    issue_date: date
    nature: int
    reason: str


@dataclass(frozen=True)
class ErrorNoticeForm:
    data_id: str
    tax_office: str
    taxpayer_name: str
    tax_code: str
    place: str
    notice_date: date
    invoices: tuple[NoticedInvoice, ...]


def _add(parent: etree._Element, tag: str, text: str | None) -> None:
    if text is not None:
        etree.SubElement(parent, tag).text = text


def build_error_notice(form: ErrorNoticeForm) -> etree._Element:
    """``TBao``: ``DLTBao@Id`` (signed by the taxpayer) and ``DSCKS/NNT`` awaiting the signature."""
    root = etree.Element("TBao")
    data = etree.SubElement(root, "DLTBao")
    data.set("Id", form.data_id)
    _add(data, "PBan", FORMAT_VERSION)
    _add(data, "MSo", FORM_NUMBER)
    _add(data, "Ten", FORM_TITLE)
    # Loai 1: the taxpayer's own notice, not an answer to the authority's 01/TB-RSĐT.
    _add(data, "Loai", "1")
    _add(data, "TCQT", form.tax_office)
    _add(data, "TNNT", form.taxpayer_name)
    _add(data, "MST", form.tax_code)
    _add(data, "DDanh", form.place)
    _add(data, "NTBao", form.notice_date.isoformat())
    invoices = etree.SubElement(data, "DSHDon")
    for index, invoice in enumerate(form.invoices, start=1):
        entry = etree.SubElement(invoices, "HDon")
        _add(entry, "STT", str(index))
        _add(entry, "MCQTCap", invoice.authority_code)
        _add(entry, "KHMSHDon", invoice.template)
        _add(entry, "KHHDon", invoice.series)
        _add(entry, "SHDon", str(invoice.number))
        _add(entry, "Ngay", invoice.issue_date.isoformat())
        _add(entry, "LADHDDT", str(DECREE_123_INVOICE))
        _add(entry, "TCTBao", str(invoice.nature))
        _add(entry, "LDo", invoice.reason)
    etree.SubElement(etree.SubElement(root, "DSCKS"), "NNT")
    return root
