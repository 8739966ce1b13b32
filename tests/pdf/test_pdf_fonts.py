"""The shipped fonts: every Vietnamese letter, and they are what the PDF embeds."""

import re
import unicodedata
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

import pdf

FONTS = Path(pdf.__file__).resolve().parent / "fonts"
VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")


def vietnamese_letters() -> set[str]:
    letters = {"đ", "Đ"}
    for vowel in VOWELS:
        for tone in TONES:
            letter = unicodedata.normalize("NFC", vowel + tone)
            letters |= {letter, letter.upper()}
    return letters


@pytest.mark.parametrize("name", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])
def test_shipped_font_covers_every_vietnamese_letter(name: str) -> None:
    cmap = TTFont(FONTS / name).getBestCmap()
    letters = vietnamese_letters()
    assert len(letters) == 2 + 2 * len(VOWELS) * len(TONES)
    missing = sorted(letter for letter in letters if len(letter) != 1 or ord(letter) not in cmap)
    assert missing == []
    for mark in (*TONES[1:], "\u0302", "\u0306", "\u031b"):
        assert ord(mark) in cmap
    assert ord("₫") in cmap
    assert ord("✔") in cmap


def test_licence_ships_with_the_fonts() -> None:
    licence = (FONTS / "LICENSE").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence
    assert "Arev Fonts Copyright" in licence


def test_pdf_embeds_the_package_fonts_not_the_system_ones(
    make_invoice: Callable[..., pdf.InvoicePage],
) -> None:
    # WeasyPrint keeps glyph ids when it subsets, and the package fonts number their Vietnamese
    # glyphs differently from the system's DejaVu ("ứ" is glyph 1316 here, 2535 there): every
    # glyph id of the embedded fonts must be the package font's glyph for that character.
    shipped = {
        "Hoadon-Sans": TTFont(FONTS / "DejaVuSans.ttf"),
        "Hoadon-Sans-Bold": TTFont(FONTS / "DejaVuSans-Bold.ttf"),
    }
    page = make_invoice()
    page_fonts = PdfReader(BytesIO(pdf.render_invoice(page=page))).pages[0]["/Resources"]["/Font"]
    checked = set()
    for reference in page_fonts.values():
        font = reference.get_object()
        name = font["/BaseFont"].split("+")[-1]
        source = shipped[name]
        cmap = source.getBestCmap()
        to_unicode = font["/ToUnicode"].get_object().get_data().decode("ascii")
        mappings = to_unicode.split("endcodespacerange", 1)[1]
        for glyph, text in re.findall(r"<([0-9a-f]{4})> <([0-9a-f]{4})>", mappings):
            char = chr(int(text, 16))
            assert source.getGlyphID(cmap[ord(char)]) == int(glyph, 16), (name, char)
            checked.add(char)
    assert sorted(
        font.split("+")[-1] for font in (f.get_object()["/BaseFont"] for f in page_fonts.values())
    ) == [
        "Hoadon-Sans",
        "Hoadon-Sans-Bold",
    ]
    assert {"Ô", "Ụ", "Ầ", "ễ", "ứ"} <= checked
