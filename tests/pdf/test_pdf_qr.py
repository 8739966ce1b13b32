import re

import pytest

from pdf import qr_svg

LOOKUP = "https://hoadon.example/tra-cuu/0100000010/1C26TAA/123?ma=7F3K9Q"


def test_qr_svg_is_inline_markup_without_declaration() -> None:
    markup = qr_svg(data=LOOKUP)
    assert markup.startswith("<svg")
    assert markup.rstrip().endswith("</svg>")
    assert "<?xml" not in markup
    assert re.search(r'viewBox="0 0 \d+ \d+"', markup)


def test_qr_svg_does_not_write_the_payload_into_the_markup() -> None:
    markup = qr_svg(data='"><script>alert(1)</script>')
    assert "script" not in markup
    assert "hoadon" not in qr_svg(data=LOOKUP)


def test_qr_svg_uses_error_correction_m() -> None:
    # 50 bytes need version 3 (29 modules) at level L, 4 (33) at M, 5 (37) at Q and 6 (41) at H.
    markup = qr_svg(data="x" * 50, scale=1)
    assert 'viewBox="0 0 37 37"' in markup  # 33 modules + 2 × 2 border


def test_qr_svg_scale_sets_the_intrinsic_size() -> None:
    assert 'viewBox="0 0 74 74"' in qr_svg(data="x" * 50, scale=2)


@pytest.mark.parametrize(
    ("data", "scale", "message"),
    [("", 2, "empty"), ("x" * 513, 2, "at most 512"), ("x", 0, "scale")],
)
def test_qr_svg_refuses_bad_arguments(data: str, scale: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        qr_svg(data=data, scale=scale)
