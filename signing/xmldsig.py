"""XML signatures (XMLDSig) in the layout of the tax authority's invoices.

A signature sits in a container of the signed document (``HDon/DSCKS/NBan`` for the seller,
``HDon/DSCKS/CQT`` for the tax authority) and references elements elsewhere in the same document by
``Id`` (``#<DLHDon Id>``, ``#<MCCQT Id>``) plus its own signing-time ``Object``: a detached signature
over same-document references, with the signing time in Vietnamese local time::

    <Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="seller">
      <SignedInfo> C14N 1.0, RSA-SHA256 | ECDSA-SHA256,
        Reference #DLHDon-1, Reference #seller-SigningTime, [Reference #MCCQT-1] </SignedInfo>
      <SignatureValue/> <KeyInfo><X509Data><X509SubjectName/><X509Certificate/></X509Data></KeyInfo>
      <Object Id="seller-SigningTime"><SignatureProperties><SignatureProperty Target="#seller">
        <SigningTime>2026-03-15T10:00:00</SigningTime></SignatureProperty></SignatureProperties></Object>
    </Signature>

Both directions are built here on lxml and cryptography, with signxml supplying the algorithm
identifiers. signxml 5.2.0's own signer and verifier were tried and do not fit (see its source):
``XMLSigner`` names every properties object ``Id="prop"`` (the seller's and the authority's
signatures would collide) and canonicalises SignedInfo while it is detached from the document (an
``xmlns:xsi`` on ``HDon`` then breaks inclusive C14N); and both canonicalise sub-elements with lxml
directly, which in this lxml build corrupts default-namespace signatures (see
:mod:`signing.c14n`): ``XMLVerifier`` rejects a correct tax-authority-layout signature made by
xmlsec1. Interoperability is tested against xmlsec1 in both directions.
"""

from __future__ import annotations

import hmac
import re
from base64 import b64decode, b64encode
from binascii import Error as Base64Error
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import cast

import cryptography.exceptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from .c14n import canonicalize
from .errors import InvalidSignature, InvalidXML, SigningError
from .keys import Signer

__all__ = ["VN_TZ", "VerifiedSignature", "sign", "verify"]

VN_TZ = timezone(timedelta(hours=7))
"""Vietnam's time zone (UTC+7, no daylight saving): ``SigningTime`` values are local times in it."""

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
_EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
_C14N = CanonicalizationMethod.CANONICAL_XML_1_0.value
_EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0.value
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_SIGNATURE_PROPERTIES_TYPE = "http://www.w3.org/2000/09/xmldsig#SignatureProperties"

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    SignatureMethod.RSA_SHA256.value: hashes.SHA256,
    SignatureMethod.ECDSA_SHA256.value: hashes.SHA256,
    SignatureMethod.RSA_SHA1.value: hashes.SHA1,
    DigestAlgorithm.SHA256.value: hashes.SHA256,
    DigestAlgorithm.SHA1.value: hashes.SHA1,
}
_SIGNATURE_METHODS = frozenset({SignatureMethod.RSA_SHA256.value, SignatureMethod.ECDSA_SHA256.value})
_DIGESTS = frozenset({DigestAlgorithm.SHA256.value})
_LEGACY_SIGNATURE_METHODS = frozenset({SignatureMethod.RSA_SHA1.value})
_LEGACY_DIGESTS = frozenset({DigestAlgorithm.SHA1.value})

_ID_VALUE = re.compile(r"[^\W\d][\w.-]*")
# Any attribute whose local name is Id counts, prefixed or not: an attacker's wsu:Id="DLHDon-1" is a
# second element with that Id as far as any verifier is concerned.
_ELEMENTS_WITH_ID = etree.XPath("//*[@*[local-name()='Id']]")
# lxml accepts None as the default-namespace key; lxml-stubs type nsmap keys as str only.
_DEFAULT_DS_NSMAP = cast("dict[str, str]", {None: DS_NS})


def _ds(local_name: str) -> str:
    return f"{{{DS_NS}}}{local_name}"


@dataclass(frozen=True)
class VerifiedSignature:
    """The outcome of a successful :func:`verify`: who signed, what, and when.

    Attributes:
        certificate: The certificate embedded in the signature (the first ``X509Certificate``),
            whose key verified it. Not judged: pass it to :func:`signing.check_certificate`.
        signed_ids: The ``Id`` of each reference, in ``SignedInfo`` order (e.g.
            ``("DLHDon-1", "seller-SigningTime")``).
        signing_time: The ``SigningTime`` signed by this signature (inside one of its own signed
            ``Object`` elements), read as Vietnam local time: aware, UTC+7; an explicit offset in
            the document is honoured. ``None`` when the signature signs no ``SigningTime``.
        signed_elements: The elements of the verified document that the references point to, in
            the order of ``signed_ids``. Read invoice data from these elements only.
        signature_algorithm: The ``SignatureMethod`` algorithm URI, e.g.
            ``http://www.w3.org/2001/04/xmldsig-more#rsa-sha256``.
    """

    certificate: x509.Certificate
    signed_ids: tuple[str, ...]
    signing_time: datetime | None
    signed_elements: tuple[etree._Element, ...]
    signature_algorithm: str


def sign(
    *,
    root: etree._Element,
    signer: Signer,
    reference_ids: Sequence[str],
    into: etree._Element,
    signing_time: datetime,
    signature_id: str,
) -> etree._Element:
    """Sign elements of a document and append the ``Signature`` to a container in it.

    Parameters:
        root: The document element (``HDon``). Ids are looked up in the whole document.
        signer: The key and certificate to sign with. RSA keys sign with RSA-SHA256
            (PKCS#1 v1.5), EC keys with ECDSA-SHA256.
        reference_ids: The ``Id`` values of the elements to sign, e.g. ``["DLHDon-1"]`` for the
            seller or ``["DLHDon-1", "MCCQT-1"]`` for the tax authority. Each must occur exactly
            once in the document and none may contain ``into``.
        into: The element that receives the signature as its last child, e.g. ``DSCKS/NBan``.
        signing_time: When the document is signed; timezone-aware. Written as Vietnam local time
            without offset and without fractions (``2026-03-15T10:00:00``), as the tax
            authority's samples do.
        signature_id: The ``Id`` of the new ``Signature``. The signing-time ``Object`` gets
            ``<signature_id>-SigningTime``. Neither may already occur in the document, so two
            signatures with different ids never collide.

    Returns:
        The new ``Signature`` element, already in the tree under ``into``. It is written in the
        **default xmldsig namespace** (no ``ds:`` prefix), like the tax authority's own
        signatures, so ``SigningTime`` is in the xmldsig namespace too.

        The references are, in order: the first id in ``reference_ids``, the signing-time object
        (``Type=".../xmldsig#SignatureProperties"``), then the remaining ids, which is the order of
        the authority's coded invoices. ``SignedInfo`` and every reference use inclusive C14N 1.0
        (``http://www.w3.org/TR/2001/REC-xml-c14n-20010315``, also written as an explicit
        transform) and SHA-256 digests; element references also carry the
        ``enveloped-signature`` transform as vendors do (a no-op, since a signature never sits
        inside what it signs). ``KeyInfo/X509Data`` holds the ``X509SubjectName`` (RFC 4514) and
        the signer's ``X509Certificate``, not its chain.

    Raises:
        InvalidXML: if an id in ``reference_ids`` is missing or occurs more than once, if
            ``signature_id`` or the derived object id already occurs, if ``into`` is not inside
            ``root``, or if ``into`` lies inside an element being signed.
        SigningError: if ``signing_time`` is naive, ``reference_ids`` is empty, a string, or repeats
            an id, or an id is not a valid XML name.

    Security:
        Every check runs before the document is touched; then one ``Signature`` is appended to
        ``into``. Digests and the signature value are computed on the elements where they stand
        in the final document, so namespace declarations in scope there are canonicalised exactly
        as a verifier will see them.
    """
    if signing_time.tzinfo is None:
        raise SigningError("signing_time must be a timezone-aware datetime")
    if isinstance(reference_ids, str):
        raise SigningError("reference_ids must be a sequence of ids, not a single string")
    ids = tuple(reference_ids)
    if not ids:
        raise SigningError("reference_ids must name at least one element to sign")
    if len(set(ids)) != len(ids):
        raise SigningError(f"reference_ids repeats an id: {list(ids)}")
    for value in (*ids, signature_id):
        if not isinstance(value, str) or _ID_VALUE.fullmatch(value) is None:
            raise SigningError(f"{value!r} is not a valid XML Id value")
    object_id = f"{signature_id}-SigningTime"
    if not _is_within(into, root):
        raise InvalidXML("the signature container 'into' is not inside the document 'root'")

    index = _index_ids(root)
    targets: list[etree._Element] = []
    for value in ids:
        found = index.get(value, [])
        if len(found) != 1:
            raise InvalidXML(f"Id {value!r} occurs {len(found)} times in the document, not exactly once")
        if _is_within(into, found[0]):
            raise InvalidXML(f"the signature container is inside the element it would sign (Id {value!r})")
        targets.append(found[0])
    for value in (signature_id, object_id):
        if value in index:
            raise InvalidXML(f"Id {value!r} is already used in the document; choose another signature_id")

    key = signer.private_key
    method = (
        SignatureMethod.RSA_SHA256 if isinstance(key, rsa.RSAPrivateKey) else SignatureMethod.ECDSA_SHA256
    )
    digests = [_digest(canonicalize(target), hashes.SHA256) for target in targets]

    signature = etree.SubElement(into, _ds("Signature"), nsmap=_DEFAULT_DS_NSMAP, Id=signature_id)
    signed_info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=_C14N)
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=method.value)
    signature_value = etree.SubElement(signature, _ds("SignatureValue"))
    x509_data = etree.SubElement(etree.SubElement(signature, _ds("KeyInfo")), _ds("X509Data"))
    etree.SubElement(x509_data, _ds("X509SubjectName")).text = signer.certificate.subject.rfc4514_string()
    certificate_der = signer.certificate.public_bytes(Encoding.DER)
    etree.SubElement(x509_data, _ds("X509Certificate")).text = b64encode(certificate_der).decode("ascii")
    signing_object = etree.SubElement(signature, _ds("Object"), Id=object_id)
    properties = etree.SubElement(signing_object, _ds("SignatureProperties"))
    signature_property = etree.SubElement(properties, _ds("SignatureProperty"), Target=f"#{signature_id}")
    etree.SubElement(signature_property, _ds("SigningTime")).text = _local_time(signing_time)

    references = [
        (ids[0], digests[0], False),
        (object_id, _digest(canonicalize(signing_object), hashes.SHA256), True),
        *((value, digest, False) for value, digest in zip(ids[1:], digests[1:], strict=True)),
    ]
    for value, digest, is_signing_time in references:
        reference = etree.SubElement(signed_info, _ds("Reference"), URI=f"#{value}")
        if is_signing_time:
            reference.set("Type", _SIGNATURE_PROPERTIES_TYPE)
        transforms = etree.SubElement(reference, _ds("Transforms"))
        if not is_signing_time:
            etree.SubElement(transforms, _ds("Transform"), Algorithm=_ENVELOPED)
        etree.SubElement(transforms, _ds("Transform"), Algorithm=_C14N)
        etree.SubElement(reference, _ds("DigestMethod"), Algorithm=DigestAlgorithm.SHA256.value)
        etree.SubElement(reference, _ds("DigestValue")).text = b64encode(digest).decode("ascii")

    signature_value.text = b64encode(_sign_bytes(key, canonicalize(signed_info))).decode("ascii")
    return signature


def _digest(data: bytes, algorithm: type[hashes.HashAlgorithm]) -> bytes:
    hasher = hashes.Hash(algorithm())
    hasher.update(data)
    return hasher.finalize()


def _sign_bytes(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    # XMLDSig wants ECDSA values as fixed-width r || s, not the DER sequence cryptography returns.
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    width = (key.curve.key_size + 7) // 8
    return r.to_bytes(width, "big") + s.to_bytes(width, "big")


def _local_time(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).replace(tzinfo=None, microsecond=0).isoformat()


def _is_within(element: etree._Element, ancestor: etree._Element) -> bool:
    return element is ancestor or any(node is ancestor for node in element.iterancestors())


def _index_ids(root: etree._Element) -> dict[str, list[etree._Element]]:
    index: dict[str, list[etree._Element]] = {}
    found = _ELEMENTS_WITH_ID(root)
    assert isinstance(found, list)
    for element in found:
        assert isinstance(element, etree._Element)
        for name, value in element.attrib.items():
            if etree.QName(name).localname == "Id":
                index.setdefault(str(value), []).append(element)
    return index


def verify(
    *,
    root: etree._Element,
    signature: etree._Element,
    expected_certificate: x509.Certificate | None = None,
    allow_legacy_sha1: bool = False,
) -> VerifiedSignature:
    """Verify one XML signature of a document and say exactly what it signed.

    Parameters:
        root: The document the signature belongs to (normally the element returned by
            :func:`signing.parse_xml`).
        signature: The ``Signature`` element to verify, somewhere inside ``root`` (e.g. the child
            of ``DSCKS/NBan``). A document may hold several; each is verified on its own. Either
            the default xmldsig namespace or a prefix may be used.
        expected_certificate: When given, the embedded certificate must be this one, byte for byte
            (the certificate a business registered, the tax authority's published one).
        allow_legacy_sha1: Also accept RSA-SHA1 signatures and SHA-1 digests. Only for documents
            older than the platform (legacy import), never for documents it issues.

    Returns:
        A :class:`VerifiedSignature`.

    Raises:
        InvalidSignature: for every failure, with a message naming it: malformed structure; a
            refused algorithm (accepted: RSA-SHA256 and ECDSA-SHA256 signatures, SHA-256 digests,
            inclusive or exclusive C14N 1.0 without comments; RSA-SHA1 and SHA-1 only with
            ``allow_legacy_sha1``); a reference that is not ``#<Id>``; a transform other than
            ``enveloped-signature`` followed by one of those canonicalisations; a referenced Id that
            does not occur exactly once in the whole document; an unreadable or unexpected
            certificate; a signature value or digest that does not match. No other exception
            escapes for bad input.

    Security:
        Algorithms, reference forms and Id uniqueness are checked before any cryptography, then
        the signature value over the canonical ``SignedInfo``, then each digest. Only what is
        returned in ``signed_elements`` is covered. A referenced Id that occurs twice (in any
        attribute named ``Id``, prefixed or not) is refused outright, which defeats signature
        wrapping: the element digested is the element returned. Callers should still check that
        the element they read (``HDon/DLHDon``) *is* one of ``signed_elements``. The certificate is
        not judged here: validity at the signing time, key usage, issuer and the seller's MST are
        :func:`signing.check_certificate`'s job. No schema validation is done (the tax authority's
        ``SigningTime`` directly inside ``SignatureProperty`` is not schema-valid XMLDSig); the
        structural checks above replace it.
    """
    try:
        return _verify(
            root=root,
            signature=signature,
            expected_certificate=expected_certificate,
            allow_legacy_sha1=allow_legacy_sha1,
        )
    except cryptography.exceptions.InvalidSignature:
        raise InvalidSignature(
            "the signature value does not match SignedInfo and the certificate's key"
        ) from None
    except (ValueError, TypeError, etree.LxmlError, cryptography.exceptions.UnsupportedAlgorithm) as exc:
        raise InvalidSignature(f"the signature cannot be verified: {exc}") from None


def _verify(
    *,
    root: etree._Element,
    signature: etree._Element,
    expected_certificate: x509.Certificate | None,
    allow_legacy_sha1: bool,
) -> VerifiedSignature:
    if not isinstance(root, etree._Element) or not isinstance(signature, etree._Element):
        raise InvalidSignature("root and signature must be lxml elements")
    if signature.tag != _ds("Signature"):
        raise InvalidSignature(f"expected an xmldsig Signature element, got {signature.tag!r}")
    if not _is_within(signature, root):
        raise InvalidSignature("the signature is not inside the document")
    signature_methods, digests = _SIGNATURE_METHODS, _DIGESTS
    if allow_legacy_sha1:
        signature_methods, digests = signature_methods | _LEGACY_SIGNATURE_METHODS, digests | _LEGACY_DIGESTS

    signed_info = _only_child(signature, "SignedInfo")
    exclusive, prefixes = _c14n_method(_only_child(signed_info, "CanonicalizationMethod"))
    method = _only_child(signed_info, "SignatureMethod").get("Algorithm")
    if method is None or method not in signature_methods:
        raise InvalidSignature(f"signature method {method!r} is not accepted{_sha1_hint(method)}")
    # References are read from the very SignedInfo element whose canonical form is verified below,
    # so policy checks and cryptography look at the same content.
    references = [_parse_reference(reference, digests) for reference in signed_info.findall(_ds("Reference"))]
    if not references:
        raise InvalidSignature("the signature has no Reference")
    ids = [reference.id for reference in references]
    if len(set(ids)) != len(ids):
        raise InvalidSignature(f"the signature references the same Id twice: {ids}")
    index = _index_ids(root)
    targets: list[etree._Element] = []
    for reference in references:
        found = index.get(reference.id, [])
        if len(found) != 1:
            raise InvalidSignature(
                f"referenced Id {reference.id!r} occurs {len(found)} times in the document; it must occur "
                "exactly once (a duplicate is how signature-wrapping attacks hide forged data)"
            )
        if not _is_within(found[0], root):
            raise InvalidSignature(f"referenced Id {reference.id!r} is outside the verified document")
        if found[0] is signature:
            raise InvalidSignature(f"reference #{reference.id} points at the signature itself")
        targets.append(found[0])

    certificate = _embedded_certificate(signature)
    if expected_certificate is not None and certificate != expected_certificate:
        raise InvalidSignature(
            f"the document is signed by {certificate.subject.rfc4514_string()}, not by the expected "
            f"certificate {expected_certificate.subject.rfc4514_string()}"
        )
    signed_info_c14n = canonicalize(signed_info, exclusive=exclusive, inclusive_ns_prefixes=prefixes)
    signature_value = _base64(_only_child(signature, "SignatureValue"))
    _check_signature_value(certificate, method, signature_value, signed_info_c14n)

    for reference, element in zip(references, targets, strict=True):
        enveloped = signature if reference.enveloped and _is_within(signature, element) else None
        data = canonicalize(
            element,
            exclusive=reference.exclusive,
            inclusive_ns_prefixes=reference.prefixes,
            without=enveloped,
        )
        if not hmac.compare_digest(_digest(data, _HASHES[reference.digest_method]), reference.digest_value):
            raise InvalidSignature(f"digest mismatch for #{reference.id}: the signed content was changed")

    return VerifiedSignature(
        certificate=certificate,
        signed_ids=tuple(ids),
        signing_time=_signed_signing_time(signature, targets),
        signed_elements=tuple(targets),
        signature_algorithm=method,
    )


@dataclass(frozen=True)
class _Reference:
    id: str
    enveloped: bool
    exclusive: bool
    prefixes: tuple[str, ...] | None
    digest_method: str
    digest_value: bytes


def _sha1_hint(algorithm: str | None) -> str:
    legacy = _LEGACY_SIGNATURE_METHODS | _LEGACY_DIGESTS
    return " (SHA-1 is accepted only for legacy documents)" if algorithm in legacy else ""


def _only_child(parent: etree._Element, local_name: str) -> etree._Element:
    found = parent.findall(_ds(local_name))
    if len(found) != 1:
        parent_name = etree.QName(parent).localname
        raise InvalidSignature(f"{parent_name} must hold exactly one {local_name}, found {len(found)}")
    return found[0]


def _c14n_method(node: etree._Element) -> tuple[bool, tuple[str, ...] | None]:
    algorithm = node.get("Algorithm")
    if algorithm == _C14N:
        return False, None
    if algorithm == _EXC_C14N:
        inclusive = node.find(f"{{{_EXC_C14N_NS}}}InclusiveNamespaces")
        prefixes = None if inclusive is None else tuple((inclusive.get("PrefixList") or "").split())
        return True, prefixes
    raise InvalidSignature(
        f"canonicalization {algorithm!r} is not accepted; use C14N 1.0 or exclusive C14N 1.0"
    )


def _parse_reference(reference: etree._Element, digests: frozenset[str]) -> _Reference:
    uri = reference.get("URI") or ""
    if not uri.startswith("#") or _ID_VALUE.fullmatch(uri[1:]) is None:
        raise InvalidSignature(
            f"reference URI {uri!r} refused; only same-document '#Id' references are accepted"
        )
    transforms = reference.findall(f"{_ds('Transforms')}/{_ds('Transform')}")
    algorithms = [transform.get("Algorithm") for transform in transforms]
    for algorithm in algorithms:
        if algorithm not in (_ENVELOPED, _C14N, _EXC_C14N):
            raise InvalidSignature(f"transform {algorithm!r} in reference {uri} is not accepted")
    enveloped = algorithms[:1] == [_ENVELOPED]
    canonicalizations = transforms[1:] if enveloped else transforms
    if len(canonicalizations) > 1:
        raise InvalidSignature(f"reference {uri} has unsupported transforms {algorithms}")
    exclusive, prefixes = _c14n_method(canonicalizations[0]) if canonicalizations else (False, None)
    digest_method = _only_child(reference, "DigestMethod").get("Algorithm") or ""
    if digest_method not in digests:
        raise InvalidSignature(
            f"digest method {digest_method!r} in reference {uri} is not accepted{_sha1_hint(digest_method)}"
        )
    return _Reference(
        id=uri[1:],
        enveloped=enveloped,
        exclusive=exclusive,
        prefixes=prefixes,
        digest_method=digest_method,
        digest_value=_base64(_only_child(reference, "DigestValue")),
    )


def _base64(node: etree._Element) -> bytes:
    try:
        return b64decode("".join((node.text or "").split()), validate=True)
    except Base64Error:
        raise InvalidSignature(f"{etree.QName(node).localname} is not valid base64") from None


def _embedded_certificate(signature: etree._Element) -> x509.Certificate:
    node = signature.find(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}")
    if node is None:
        raise InvalidSignature("the signature carries no KeyInfo/X509Data/X509Certificate")
    try:
        return x509.load_der_x509_certificate(_base64(node))
    except ValueError:
        raise InvalidSignature("the embedded X509Certificate cannot be read") from None


def _check_signature_value(certificate: x509.Certificate, method: str, value: bytes, signed: bytes) -> None:
    public_key = certificate.public_key()
    algorithm = _HASHES[method]()
    if method == SignatureMethod.ECDSA_SHA256.value:
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise InvalidSignature("an ECDSA signature needs an EC certificate")
        width = (public_key.curve.key_size + 7) // 8
        if len(value) != 2 * width:
            raise InvalidSignature(f"ECDSA SignatureValue must be {2 * width} bytes, found {len(value)}")
        der = encode_dss_signature(int.from_bytes(value[:width], "big"), int.from_bytes(value[width:], "big"))
        public_key.verify(der, signed, ec.ECDSA(algorithm))
        return
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidSignature("an RSA signature needs an RSA certificate")
    public_key.verify(value, signed, padding.PKCS1v15(), algorithm)


def _signed_signing_time(signature: etree._Element, signed_elements: list[etree._Element]) -> datetime | None:
    values = [
        (found.text or "").strip()
        for element in signed_elements
        if _is_within(element, signature)
        for found in element.iter("{*}SigningTime")
    ]
    if not values:
        return None
    if len(values) > 1:
        raise InvalidSignature(f"the signature signs {len(values)} SigningTime values; expected one")
    try:
        moment = datetime.fromisoformat(values[0])
    except ValueError:
        raise InvalidSignature(f"SigningTime {values[0]!r} is not a date-time") from None
    return moment.replace(tzinfo=VN_TZ) if moment.tzinfo is None else moment.astimezone(VN_TZ)
