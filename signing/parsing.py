"""The one hardened XML parser and the one serialiser of hoadon.

Every XML document that enters the platform (an uploaded invoice to verify, a message from the tax
authority, our own stored copies) goes through :func:`parse_xml`; every document we write goes out
through :func:`serialize`. Keeping both in one place means the security settings cannot drift
between call sites.
"""

from __future__ import annotations

import re

from lxml import etree

from .errors import InvalidXML

__all__ = ["DEFAULT_MAX_BYTES", "parse_xml", "serialize"]

DEFAULT_MAX_BYTES = 2_000_000
"""Default size cap of :func:`parse_xml`: a large invoice is a few hundred kilobytes."""

_UTF8_BOM = b"\xef\xbb\xbf"
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_DECLARED_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted XML bytes with every dangerous feature switched off.

    Parameters:
        data: The raw document. It must be UTF-8 (a UTF-8 byte-order mark is tolerated, an XML
            declaration naming another encoding is refused).
        max_bytes: Refuse documents longer than this many bytes before parsing anything.

    Returns:
        The root element of the parsed document.

    Raises:
        InvalidXML: for input that is not ``bytes``, empty, larger than ``max_bytes``, not valid
            UTF-8, declares another encoding, contains a ``<!DOCTYPE`` or ``<!ENTITY`` declaration
            anywhere (internal subset, external DTD, billion laughs, XXE), or is not well-formed.
            No other exception type escapes for bad input.

    Security:
        DTDs are refused outright rather than parsed and ignored, so no entity (internal, external
        or parameter) is ever declared, expanded or fetched. The byte scan for ``<!DOCTYPE`` is
        deliberately blunt: a document that merely mentions that text inside CDATA is refused too,
        which costs nothing for invoices and removes a whole class of parser tricks. The parser also
        runs with ``resolve_entities=False``, ``no_network=True``, ``load_dtd=False`` and without
        ``huge_tree`` (libxml2's depth and text-size limits stay on); it never uses ``recover=True``,
        so a document is either read exactly as written or refused.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidXML(f"XML input must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise InvalidXML(f"XML document is {len(data)} bytes, larger than the {max_bytes}-byte limit")
    if not data.strip():
        raise InvalidXML("XML document is empty")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidXML(f"XML document is not valid UTF-8 (byte offset {exc.start})") from None
    body = data.removeprefix(_UTF8_BOM)
    declared = _DECLARED_ENCODING.match(body)
    if declared is not None and declared.group(1).decode("ascii").lower() not in _UTF8_NAMES:
        encoding = declared.group(1).decode("ascii")
        raise InvalidXML(f"XML document declares encoding {encoding!r}; only UTF-8 is accepted")
    if b"<!DOCTYPE" in body:
        raise InvalidXML("XML document contains a DOCTYPE declaration; DTDs are not accepted")
    if b"<!ENTITY" in body:
        raise InvalidXML("XML document contains an ENTITY declaration; entities are not accepted")

    # A parser per call: lxml parser objects must not be shared between threads, and creating one
    # costs microseconds next to the parse itself.
    parser = etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
    )
    try:
        return etree.fromstring(body, parser=parser)
    except (etree.LxmlError, ValueError) as exc:
        raise InvalidXML(f"XML document is not well-formed: {exc}") from None


def serialize(root: etree._Element) -> bytes:
    """Serialise an element as a standalone UTF-8 document, exactly as it is in memory.

    Parameters:
        root: The element to write, normally the document element (``HDon``). Its tail text, and
            anything outside it (top-level comments or processing instructions), is not written.

    Returns:
        ``<?xml version="1.0" encoding="UTF-8"?>``, a newline, then the element. No pretty printing
        and no whitespace changes, so signatures made over the element stay valid; namespace
        declarations in scope from ancestors are written on the element.

    Raises:
        InvalidXML: if ``root`` is not an lxml element.
    """
    if not isinstance(root, etree._Element):
        raise InvalidXML(f"expected an lxml element, got {type(root).__name__}")
    return _XML_DECLARATION + etree.tostring(root, encoding="UTF-8", with_tail=False)
