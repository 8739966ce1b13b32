from decimal import Decimal

import pytest

from invoicing.invoices.vat import VatRate, parse_vat_rate


@pytest.mark.parametrize(
    ("text", "code", "percent"),
    [
        ("0%", "0%", Decimal(0)),
        ("5%", "5%", Decimal(5)),
        ("8%", "8%", Decimal(8)),
        ("10%", "10%", Decimal(10)),
        ("KCT", "KCT", None),
        ("KKKNT", "KKKNT", None),
        ("KHAC:5.26", "KHAC:5.26", Decimal("5.26")),
        ("KHAC:3.5%", "KHAC:3.5", Decimal("3.5")),
        ("KHAC:3.50", "KHAC:3.5", Decimal("3.5")),
        (" 10% ", "10%", Decimal(10)),
    ],
)
def test_accepted_codes_and_emitted_form(text: str, code: str, percent: Decimal | None) -> None:
    assert parse_vat_rate(text) == VatRate(code=code, percent=percent)


def test_zero_rate_differs_from_not_subject() -> None:
    assert parse_vat_rate("0%").percent == Decimal(0)
    assert parse_vat_rate("KCT").percent is None


@pytest.mark.parametrize(
    "text", ["12%", "10", "kct", "KHAC:", "KHAC:abc", "KHAC:0", "KHAC:5.261", "KHAC:100"]
)
def test_unknown_codes_list_the_accepted_ones(text: str) -> None:
    with pytest.raises(ValueError, match=r"accepted: 0%, 5%, 8%, 10%, KCT, KKKNT, KHAC:<rate>"):
        parse_vat_rate(text)
