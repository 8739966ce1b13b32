"""Canonical XML 1.0 of an element in its document, with expectations taken from the specification.

The first case is the one lxml 6.1.3 gets wrong when asked directly (it writes ``<T xmlns="">``),
which is why :mod:`signing.c14n` exists.
"""

from __future__ import annotations

import pytest
from lxml import etree

from signing.c14n import canonicalize


def _element(document: bytes, path: str) -> etree._Element:
    found = etree.fromstring(document).find(path)
    assert found is not None
    return found


def test_default_namespace_declared_above_is_not_undeclared_below() -> None:
    element = _element(b'<S xmlns="urn:d"><SI><R><T/></R></SI></S>', "{urn:d}SI")
    assert canonicalize(element) == b'<SI xmlns="urn:d"><R><T></T></R></SI>'


def test_superfluous_redeclaration_is_removed() -> None:
    element = _element(
        b'<a xmlns:p="urn:p"><b><c xmlns:p="urn:p"><p:d/></c><e xmlns:p="urn:q"/></b></a>', "b"
    )
    assert canonicalize(element) == b'<b xmlns:p="urn:p"><c><p:d></p:d></c><e xmlns:p="urn:q"></e></b>'


def test_inclusive_keeps_every_namespace_in_scope_exclusive_only_the_used_ones() -> None:
    element = _element(b'<a xmlns:xsi="urn:xsi" xmlns:p="urn:p"><b><p:c/></b></a>', "b")
    assert canonicalize(element) == b'<b xmlns:p="urn:p" xmlns:xsi="urn:xsi"><p:c></p:c></b>'
    assert canonicalize(element, exclusive=True) == b'<b><p:c xmlns:p="urn:p"></p:c></b>'
    assert canonicalize(element, exclusive=True, inclusive_ns_prefixes=["xsi"]) == (
        b'<b xmlns:xsi="urn:xsi"><p:c xmlns:p="urn:p"></p:c></b>'
    )


def test_inclusive_inherits_xml_attributes_nearest_first() -> None:
    element = _element(b'<a xml:lang="en" xml:space="preserve"><m xml:lang="vi"><b>x</b></m></a>', "m/b")
    assert canonicalize(element) == b'<b xml:lang="vi" xml:space="preserve">x</b>'
    assert canonicalize(element, exclusive=True) == b"<b>x</b>"


def test_without_removes_the_node_and_keeps_its_tail() -> None:
    root = etree.fromstring(b"<a><b>x<s><t/></s>tail<u/>more</b></a>")
    b, s = root.find("b"), root.find("b/s")
    assert b is not None
    assert s is not None
    assert canonicalize(b, without=s) == b"<b>xtail<u></u>more</b>"
    assert etree.tostring(root) == b"<a><b>x<s><t/></s>tail<u/>more</b></a>"


def test_without_must_be_inside() -> None:
    root = etree.fromstring(b"<a><b/><c/></a>")
    b, c = root.find("b"), root.find("c")
    assert b is not None
    assert c is not None
    with pytest.raises(ValueError, match="not inside"):
        canonicalize(b, without=c)


def test_comments_are_dropped_and_text_escaped() -> None:
    element = _element(b"<a><b><!-- note --> 1 &lt; 2 &amp; &#xD;</b></a>", "b")
    assert canonicalize(element) == b"<b> 1 &lt; 2 &amp; &#xD;</b>"
