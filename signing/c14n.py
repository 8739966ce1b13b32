"""Canonical XML 1.0 of one element of a document, as XMLDSig digests it.

Why not simply ``etree.tostring(element, method="c14n")``: with the lxml 6.1.3 / libxml2 2.14.6
build in use, canonicalising an element that is not the document root is wrong in two ways found
here. It writes a spurious ``xmlns=""`` on descendants two or more levels down that are in a
default namespace declared above them (``<S xmlns="urn:d"><SI><R><T/></R></SI></S>`` at ``SI``
gives ``<SI xmlns="urn:d"><R><T xmlns=""></T></R></SI>``), and it keeps superfluous
redeclarations of a prefix already bound to the same URI, which C14N removes. An invoice
``Signature`` in the default xmldsig namespace (the tax authority's layout) hits the first case, so
signatures made that way are refused by xmlsec1, and correct ones made elsewhere fail to verify
(signxml 5.2.0 canonicalises the same way, which is why :mod:`signing.xmldsig` does not use
``signxml.XMLVerifier``).

Canonicalising the same element as the *root* of a document is correct, so the element is
serialised (lxml writes every namespace declaration in scope onto it), re-parsed, and the new root
is canonicalised. For inclusive C14N 1.0 the ``xml:*`` attributes the element inherits from its
ancestors (``xml:lang``, ``xml:space``...) are copied onto the new root, as the specification
requires for a document subset. Cost: one serialisation and one parse of the element, in C (about
1 ms for a 37 kB ``DLHDon`` of 200 lines, against 0.25 ms for the direct, wrong, call). The tests
check the result against xmlsec1 on randomly generated namespace layouts.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

__all__ = ["canonicalize"]

_XML_NS_PREFIX = "{http://www.w3.org/XML/1998/namespace}"


def canonicalize(
    element: etree._Element,
    *,
    exclusive: bool = False,
    inclusive_ns_prefixes: Sequence[str] | None = None,
    without: etree._Element | None = None,
) -> bytes:
    """Canonical XML 1.0 (without comments) of ``element`` and its descendants, in its context.

    Parameters:
        element: The apex of the node set, anywhere in its document.
        exclusive: Use Exclusive XML Canonicalization 1.0 instead of inclusive C14N 1.0.
        inclusive_ns_prefixes: For exclusive canonicalisation, the ``InclusiveNamespaces
            PrefixList`` (``"#default"`` names the default namespace).
        without: A descendant of ``element`` to leave out together with its subtree, keeping its
            tail text (the ``enveloped-signature`` transform).

    Returns:
        The canonical bytes (UTF-8).

    Raises:
        ValueError: if ``without`` is not a descendant of ``element``.
        lxml.etree.LxmlError: if the element cannot be serialised and parsed back.
    """
    path: list[int] = []
    if without is not None:
        node = without
        while node is not element:
            parent = node.getparent()
            if parent is None:
                raise ValueError("'without' is not inside the canonicalised element")
            path.append(parent.index(node))
            node = parent
    # The input is lxml's own serialisation of a tree already in memory: it cannot carry a DTD, and
    # size limits applied when the tree was first parsed, so libxml2's limits would only get in the
    # way of large trees built in memory.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    apex = etree.fromstring(etree.tostring(element, with_tail=False), parser=parser)
    if not exclusive:
        for ancestor in element.iterancestors():
            for name, value in ancestor.attrib.items():
                if isinstance(name, str) and name.startswith(_XML_NS_PREFIX) and name not in apex.attrib:
                    apex.set(name, value)
    if path:
        excluded = apex
        for position in reversed(path):
            excluded = excluded[position]
        _remove_keeping_tail(excluded)
    prefixes = list(inclusive_ns_prefixes) if exclusive and inclusive_ns_prefixes else None
    return etree.tostring(
        apex, method="c14n", exclusive=exclusive, with_comments=False, inclusive_ns_prefixes=prefixes
    )


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    assert parent is not None
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
