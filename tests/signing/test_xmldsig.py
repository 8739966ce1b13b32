"""sign and verify, checked against each other and against xmlsec1 in both directions."""

from __future__ import annotations

import copy
import random
import subprocess
from base64 import b64encode
from collections import Counter
from collections.abc import Callable
from datetime import timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from signing import (
    VN_TZ,
    InvalidSignature,
    InvalidXML,
    Signer,
    SigningError,
    parse_xml,
    serialize,
    sign,
    verify,
)
from signing.c14n import canonicalize
from tests.signing.helpers import (
    DS_NS,
    ECDSA_SHA256,
    EXC_C14N,
    INVOICE_XML,
    NOW,
    RSA_SHA1,
    RSA_SHA256,
    SHA1,
    Xmlsec1,
    enveloped_layout,
    random_namespace_layout,
    tax_authority_layout,
)

DS = f"{{{DS_NS}}}"
AUTHORITY_TIME = NOW + timedelta(minutes=5)


def sign_as_seller(root: etree._Element, signer: Signer, signature_id: str = "seller") -> etree._Element:
    into = root.find("DSCKS/NBan")
    assert into is not None
    return sign(
        root=root,
        signer=signer,
        reference_ids=["DLHDon-1"],
        into=into,
        signing_time=NOW,
        signature_id=signature_id,
    )


def countersign(root: etree._Element, authority: Signer) -> etree._Element:
    into = root.find("DSCKS/CQT")
    assert into is not None
    return sign(
        root=root,
        signer=authority,
        reference_ids=["DLHDon-1", "MCCQT-1"],
        into=into,
        signing_time=AUTHORITY_TIME,
        signature_id="authority",
    )


def signature_in(root: etree._Element, container: str) -> etree._Element:
    found = root.find(f"DSCKS/{container}/{DS}Signature")
    assert found is not None
    return found


def reloaded(root: etree._Element) -> etree._Element:
    return parse_xml(serialize(root))


def resign(signature: etree._Element, signer: Signer) -> None:
    """Recompute SignatureValue after editing SignedInfo, so only policy can refuse the edit."""
    assert isinstance(signer.private_key, rsa.RSAPrivateKey)
    signed_info = signature.find(f"{DS}SignedInfo")
    value = signature.find(f"{DS}SignatureValue")
    assert signed_info is not None
    assert value is not None
    raw = signer.private_key.sign(canonicalize(signed_info), padding.PKCS1v15(), hashes.SHA256())
    value.text = b64encode(raw).decode()


def xmlsec1_accepts(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode == 0 and "OK" in result.stderr.splitlines()


@pytest.fixture(params=["seller", "ec_seller"])
def any_seller(request: pytest.FixtureRequest) -> Signer:
    signer: Signer = request.getfixturevalue(request.param)
    return signer


def test_seller_signature_verifies(invoice: etree._Element, any_seller: Signer) -> None:
    sign_as_seller(invoice, any_seller)
    root = reloaded(invoice)

    result = verify(
        root=root, signature=signature_in(root, "NBan"), expected_certificate=any_seller.certificate
    )

    assert result.signed_ids == ("DLHDon-1", "seller-SigningTime")
    assert result.signed_elements[0] is root.find("DLHDon")
    assert result.signed_elements[1] is signature_in(root, "NBan").find(f"{DS}Object")
    assert result.certificate == any_seller.certificate
    assert result.signing_time == NOW
    assert result.signing_time is not None
    assert result.signing_time.utcoffset() == timedelta(hours=7)
    is_rsa = isinstance(any_seller.private_key, rsa.RSAPrivateKey)
    assert result.signature_algorithm == (RSA_SHA256 if is_rsa else ECDSA_SHA256)


def test_seller_signature_verifies_with_xmlsec1(
    invoice: etree._Element, any_seller: Signer, xmlsec1: Xmlsec1
) -> None:
    sign_as_seller(invoice, any_seller)
    result = xmlsec1.verify(invoice, "NBan")
    assert xmlsec1_accepts(result), result.stderr
    assert "SignedInfo References (ok/all): 2/2" in result.stderr


def test_signature_layout(invoice: etree._Element, seller: Signer) -> None:
    signature = sign_as_seller(invoice, seller)

    assert signature.getparent() is invoice.find("DSCKS/NBan")
    assert signature.prefix is None
    assert signature.get("Id") == "seller"
    method = signature.find(f"{DS}SignedInfo/{DS}CanonicalizationMethod")
    assert method is not None
    assert method.get("Algorithm") == "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    subject = signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509SubjectName")
    assert subject == "UID=MST:0100233488,CN=CÔNG TY TNHH VÍ DỤ BÁN"
    signing_object = signature.find(f"{DS}Object")
    assert signing_object is not None
    assert signing_object.get("Id") == "seller-SigningTime"
    signature_property = signing_object.find(f"{DS}SignatureProperties/{DS}SignatureProperty")
    assert signature_property is not None
    assert signature_property.get("Target") == "#seller"
    references = signature.findall(f"{DS}SignedInfo/{DS}Reference")
    assert [reference.get("URI") for reference in references] == ["#DLHDon-1", "#seller-SigningTime"]
    assert references[1].get("Type") == "http://www.w3.org/2000/09/xmldsig#SignatureProperties"


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(NOW, id="utc"),
        pytest.param(NOW.astimezone(timezone(timedelta(hours=-5))), id="utc-5"),
        pytest.param(NOW.astimezone(VN_TZ).replace(microsecond=999_999), id="vn-with-microseconds"),
    ],
)
def test_signing_time_is_vietnam_local_time_without_offset(
    invoice: etree._Element, seller: Signer, moment: object
) -> None:
    into = invoice.find("DSCKS/NBan")
    assert into is not None
    signature = sign(
        root=invoice,
        signer=seller,
        reference_ids=["DLHDon-1"],
        into=into,
        signing_time=moment,  # type: ignore[arg-type]
        signature_id="seller",
    )
    assert signature.findtext(f".//{DS}SigningTime") == "2026-03-15T10:00:00"


def test_authority_countersignature_verifies(
    invoice: etree._Element, seller: Signer, authority: Signer
) -> None:
    sign_as_seller(invoice, seller)
    countersign(invoice, authority)
    root = reloaded(invoice)

    by_seller = verify(
        root=root, signature=signature_in(root, "NBan"), expected_certificate=seller.certificate
    )
    by_authority = verify(
        root=root, signature=signature_in(root, "CQT"), expected_certificate=authority.certificate
    )

    assert by_seller.signed_ids == ("DLHDon-1", "seller-SigningTime")
    assert by_authority.signed_ids == ("DLHDon-1", "authority-SigningTime", "MCCQT-1")
    assert by_authority.signed_elements[0] is root.find("DLHDon")
    assert by_authority.signed_elements[2] is root.find("MCCQT")
    assert by_seller.signing_time == NOW
    assert by_authority.signing_time == AUTHORITY_TIME
    ids = Counter(str(element.get("Id")) for element in root.iter() if element.get("Id") is not None)
    assert max(ids.values()) == 1
    assert "prop" not in ids


def test_both_signatures_verify_with_xmlsec1(
    invoice: etree._Element, any_seller: Signer, authority: Signer, xmlsec1: Xmlsec1
) -> None:
    sign_as_seller(invoice, any_seller)
    countersign(invoice, authority)

    seller_result = xmlsec1.verify(invoice, "NBan")
    authority_result = xmlsec1.verify(invoice, "CQT")

    assert xmlsec1_accepts(seller_result), seller_result.stderr
    assert xmlsec1_accepts(authority_result), authority_result.stderr
    assert "SignedInfo References (ok/all): 3/3" in authority_result.stderr


def test_context_namespaces_xml_lang_and_comments_are_canonicalised_like_xmlsec1(
    seller: Signer, xmlsec1: Xmlsec1
) -> None:
    document = INVOICE_XML.replace(
        b"<HDon>", b'<HDon xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xml:lang="vi">'
    ).replace(
        b"<TTChung>",
        b'<TTChung><!-- ghi chu --><TTKhac xmlns="urn:vendor"><TTin><DLieu>x</DLieu></TTin></TTKhac>',
    )
    root = parse_xml(document)
    sign_as_seller(root, seller)

    assert xmlsec1_accepts(xmlsec1.verify(root, "NBan"))
    reparsed = reloaded(root)
    assert verify(root=reparsed, signature=signature_in(reparsed, "NBan")).signed_ids[0] == "DLHDon-1"


@pytest.mark.parametrize("seed", range(12))
def test_random_namespace_layouts_verify_here_and_in_xmlsec1(
    seed: int, seller: Signer, xmlsec1: Xmlsec1
) -> None:
    root = parse_xml(random_namespace_layout(random.Random(seed)))
    sign_as_seller(root, seller)

    result = xmlsec1.verify(root, "NBan")

    assert xmlsec1_accepts(result), result.stderr
    reparsed = reloaded(root)
    assert verify(root=reparsed, signature=signature_in(reparsed, "NBan")).signed_ids[0] == "DLHDon-1"


def test_exclusive_canonicalization_signed_by_xmlsec1_verifies(seller: Signer, xmlsec1: Xmlsec1) -> None:
    root = xmlsec1.sign(tax_authority_layout(canonicalization=EXC_C14N), seller)
    assert verify(root=root, signature=signature_in(root, "NBan")).signed_ids == ("DLHDon-1", "TimeStamp")


def test_signing_time_comes_from_the_signature_not_the_signed_data(
    invoice: etree._Element, seller: Signer
) -> None:
    ttchung = invoice.find("DLHDon/TTChung")
    assert ttchung is not None
    etree.SubElement(etree.SubElement(ttchung, "TTKhac"), "SigningTime").text = "1999-01-01T00:00:00"
    sign_as_seller(invoice, seller)
    root = reloaded(invoice)

    assert verify(root=root, signature=signature_in(root, "NBan")).signing_time == NOW


def test_tax_authority_layout_signed_by_xmlsec1_verifies(seller: Signer, xmlsec1: Xmlsec1) -> None:
    root = xmlsec1.sign(tax_authority_layout(), seller)

    result = verify(root=root, signature=signature_in(root, "NBan"), expected_certificate=seller.certificate)

    assert result.signed_ids == ("DLHDon-1", "TimeStamp")
    assert result.signing_time is not None
    assert result.signing_time.isoformat() == "2021-11-05T14:48:47+07:00"


def test_enveloped_signature_signed_by_xmlsec1_verifies(seller: Signer, xmlsec1: Xmlsec1) -> None:
    root = xmlsec1.sign(enveloped_layout(), seller)
    dlhdon = root.find("DLHDon")
    assert dlhdon is not None
    signature = dlhdon.find(f"{DS}Signature")
    assert signature is not None

    result = verify(root=root, signature=signature)

    assert result.signed_elements == (dlhdon,)
    assert result.signing_time is None
    thdon = root.find("DLHDon/TTChung/THDon")
    assert thdon is not None
    thdon.text = "Hóa đơn bán hàng"
    with pytest.raises(InvalidSignature, match="digest mismatch"):
        verify(root=root, signature=signature)


def test_sha1_is_refused_unless_legacy_is_allowed(seller: Signer, xmlsec1: Xmlsec1) -> None:
    root = xmlsec1.sign(tax_authority_layout(signature_method=RSA_SHA1, digest_method=SHA1), seller)
    signature = signature_in(root, "NBan")

    with pytest.raises(InvalidSignature, match="SHA-1 is accepted only for legacy documents"):
        verify(root=root, signature=signature)
    result = verify(root=root, signature=signature, allow_legacy_sha1=True)

    assert result.signature_algorithm == RSA_SHA1
    assert result.signed_ids == ("DLHDon-1", "TimeStamp")


def test_sha1_digests_under_sha256_signature_are_refused(seller: Signer, xmlsec1: Xmlsec1) -> None:
    root = xmlsec1.sign(tax_authority_layout(digest_method=SHA1), seller)
    with pytest.raises(
        InvalidSignature, match=r"digest method .*sha1.*\(SHA-1 is accepted only for legacy documents\)"
    ):
        verify(root=root, signature=signature_in(root, "NBan"))


def test_unparseable_signing_time_is_refused(seller: Signer, xmlsec1: Xmlsec1) -> None:
    root = xmlsec1.sign(tax_authority_layout(signing_time="hôm qua"), seller)
    with pytest.raises(InvalidSignature, match="SigningTime"):
        verify(root=root, signature=signature_in(root, "NBan"))


def _change_invoice_text(root: etree._Element) -> None:
    thdon = root.find("DLHDon/TTChung/THDon")
    assert thdon is not None
    assert thdon.text == "Hóa đơn giá trị gia tăng"
    thdon.text = "Hóa đơn giá trị gia tănG"


def _change_signing_time(root: etree._Element) -> None:
    signing_time = root.find(f"DSCKS/NBan/{DS}Signature/{DS}Object//{DS}SigningTime")
    assert signing_time is not None
    signing_time.text = "2026-03-15T10:00:01"


def _change_signature_value(root: etree._Element) -> None:
    value = root.find(f"DSCKS/NBan/{DS}Signature/{DS}SignatureValue")
    assert value is not None
    assert value.text is not None
    value.text = ("B" if value.text[0] == "A" else "A") + value.text[1:]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        pytest.param(_change_invoice_text, "digest mismatch for #DLHDon-1", id="one-character-in-DLHDon"),
        pytest.param(_change_signing_time, "digest mismatch for #seller-SigningTime", id="signing-time"),
        pytest.param(_change_signature_value, "signature value does not match", id="signature-value"),
    ],
)
def test_tampering_fails_here_and_in_xmlsec1(
    invoice: etree._Element,
    seller: Signer,
    xmlsec1: Xmlsec1,
    tamper: Callable[[etree._Element], None],
    message: str,
) -> None:
    sign_as_seller(invoice, seller)
    root = reloaded(invoice)
    tamper(root)

    with pytest.raises(InvalidSignature, match=message):
        verify(root=root, signature=signature_in(root, "NBan"))
    assert not xmlsec1_accepts(xmlsec1.verify(root, "NBan"))


def test_signature_wrapping_with_a_duplicate_id_is_refused(invoice: etree._Element, seller: Signer) -> None:
    sign_as_seller(invoice, seller)
    root = reloaded(invoice)
    original = root.find("DLHDon")
    assert original is not None
    forged = copy.deepcopy(original)
    forged_name = forged.find("TTChung/THDon")
    assert forged_name is not None
    forged_name.text = "Hóa đơn đã bị sửa"
    hidden = root.find("DSCKS/CCKSKhac")
    assert hidden is not None
    root.replace(original, forged)
    hidden.append(original)

    with pytest.raises(InvalidSignature, match="'DLHDon-1' occurs 2 times"):
        verify(root=root, signature=signature_in(root, "NBan"))


def test_duplicate_id_in_a_prefixed_attribute_is_refused(invoice: etree._Element, seller: Signer) -> None:
    sign_as_seller(invoice, seller)
    root = reloaded(invoice)
    decoy = etree.SubElement(root, "DLHDon", nsmap={"wsu": "urn:x"})
    decoy.set("{urn:x}Id", "DLHDon-1")

    with pytest.raises(InvalidSignature, match="occurs 2 times"):
        verify(root=root, signature=signature_in(root, "NBan"))


def test_moved_signed_element_is_reported_where_it_is(invoice: etree._Element, seller: Signer) -> None:
    sign_as_seller(invoice, seller)
    root = reloaded(invoice)
    original = root.find("DLHDon")
    assert original is not None
    forged = copy.deepcopy(original)
    forged.set("Id", "DLHDon-forged")
    hidden = root.find("DSCKS/CCKSKhac")
    assert hidden is not None
    root.replace(original, forged)
    hidden.append(original)

    result = verify(root=root, signature=signature_in(root, "NBan"))

    assert result.signed_elements[0] is original
    assert result.signed_elements[0] is not root.find("DLHDon")


def test_expected_certificate_must_be_the_signer(
    invoice: etree._Element, seller: Signer, other_business: Signer
) -> None:
    sign_as_seller(invoice, seller)
    root = reloaded(invoice)
    with pytest.raises(InvalidSignature, match="not by the expected certificate"):
        verify(
            root=root, signature=signature_in(root, "NBan"), expected_certificate=other_business.certificate
        )


def test_swapped_embedded_certificate_fails(
    invoice: etree._Element, seller: Signer, other_business: Signer
) -> None:
    sign_as_seller(invoice, seller)
    root = reloaded(invoice)
    embedded = root.find(f"DSCKS/NBan/{DS}Signature/{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
    assert embedded is not None
    embedded.text = b64encode(other_business.certificate.public_bytes(Encoding.DER)).decode()

    with pytest.raises(InvalidSignature, match="signature value does not match"):
        verify(root=root, signature=signature_in(root, "NBan"))


def _set_attribute(path: str, name: str, value: str) -> Callable[[etree._Element], None]:
    def edit(signature: etree._Element) -> None:
        node = signature.find(path)
        assert node is not None
        node.set(name, value)

    return edit


def _add_transform(algorithm: str) -> Callable[[etree._Element], None]:
    def edit(signature: etree._Element) -> None:
        transforms = signature.find(f"{DS}SignedInfo/{DS}Reference/{DS}Transforms")
        assert transforms is not None
        etree.SubElement(transforms, f"{DS}Transform", Algorithm=algorithm)

    return edit


def _reference_everything(signature: etree._Element) -> None:
    reference = signature.find(f"{DS}SignedInfo/{DS}Reference")
    assert reference is not None
    reference.set("URI", "")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(_reference_everything, "only same-document '#Id' references", id="whole-document-uri"),
        pytest.param(
            _set_attribute(f"{DS}SignedInfo/{DS}Reference", "URI", "http://127.0.0.1:9/x"),
            "only same-document",
            id="remote-uri",
        ),
        pytest.param(
            _set_attribute(f"{DS}SignedInfo/{DS}Reference", "URI", "#xpointer(/HDon)"),
            "only same-document",
            id="xpointer",
        ),
        pytest.param(
            _add_transform("http://www.w3.org/TR/1999/REC-xpath-19991116"),
            "not accepted",
            id="xpath-transform",
        ),
        pytest.param(
            _add_transform("http://www.w3.org/TR/1999/REC-xslt-19991116"), "not accepted", id="xslt-transform"
        ),
        pytest.param(
            _set_attribute(
                f"{DS}SignedInfo/{DS}CanonicalizationMethod",
                "Algorithm",
                "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
            ),
            "canonicalization",
            id="c14n-with-comments",
        ),
        pytest.param(
            _set_attribute(
                f"{DS}SignedInfo/{DS}SignatureMethod",
                "Algorithm",
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            ),
            "signature method",
            id="unpinned-signature-method",
        ),
        pytest.param(
            _set_attribute(f"{DS}SignedInfo/{DS}Reference", "URI", "#MCCQT-1"),
            "digest mismatch",
            id="reference-retargeted",
        ),
    ],
)
def test_validly_signed_but_refused_signed_info(
    invoice: etree._Element, seller: Signer, edit: Callable[[etree._Element], None], message: str
) -> None:
    sign_as_seller(invoice, seller)
    root = reloaded(invoice)
    signature = signature_in(root, "NBan")
    edit(signature)
    resign(signature, seller)

    with pytest.raises(InvalidSignature, match=message):
        verify(root=root, signature=signature)


def _remove(path: str) -> Callable[[etree._Element], None]:
    def edit(signature: etree._Element) -> None:
        node = signature.find(path)
        assert node is not None
        parent = node.getparent()
        assert parent is not None
        parent.remove(node)

    return edit


def _set_text(path: str, text: str) -> Callable[[etree._Element], None]:
    def edit(signature: etree._Element) -> None:
        node = signature.find(path)
        assert node is not None
        node.text = text

    return edit


def _duplicate(path: str) -> Callable[[etree._Element], None]:
    def edit(signature: etree._Element) -> None:
        node = signature.find(path)
        assert node is not None
        node.addnext(copy.deepcopy(node))

    return edit


def _unsign_dlhdon(signature: etree._Element) -> None:
    dlhdon = signature.getroottree().getroot().find("DLHDon")
    assert dlhdon is not None
    del dlhdon.attrib["Id"]


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(_remove(f"{DS}SignedInfo"), id="no-signed-info"),
        pytest.param(_duplicate(f"{DS}SignedInfo"), id="two-signed-info"),
        pytest.param(_remove(f"{DS}SignatureValue"), id="no-signature-value"),
        pytest.param(_set_text(f"{DS}SignatureValue", "!!not base64!!"), id="signature-value-not-base64"),
        pytest.param(_set_text(f"{DS}SignatureValue", ""), id="empty-signature-value"),
        pytest.param(_remove(f"{DS}KeyInfo"), id="no-key-info"),
        pytest.param(
            _set_text(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate", "AAAA"), id="certificate-garbage"
        ),
        pytest.param(_remove(f"{DS}SignedInfo/{DS}SignatureMethod"), id="no-signature-method"),
        pytest.param(_remove(f"{DS}SignedInfo/{DS}CanonicalizationMethod"), id="no-c14n-method"),
        pytest.param(
            _set_text(f"{DS}SignedInfo/{DS}Reference/{DS}DigestValue", "%%%"), id="digest-not-base64"
        ),
        pytest.param(_remove(f"{DS}SignedInfo/{DS}Reference/{DS}DigestMethod"), id="no-digest-method"),
        pytest.param(_remove(f"{DS}SignedInfo/{DS}Reference"), id="reference-removed"),
        pytest.param(_unsign_dlhdon, id="referenced-id-missing"),
    ],
)
def test_mangled_signatures_raise_invalid_signature_only(
    invoice: etree._Element, any_seller: Signer, mangle: Callable[[etree._Element], None]
) -> None:
    sign_as_seller(invoice, any_seller)
    root = reloaded(invoice)
    signature = signature_in(root, "NBan")
    mangle(signature)
    with pytest.raises(InvalidSignature):
        verify(root=root, signature=signature)


def test_ecdsa_signature_value_of_the_wrong_length_is_refused(
    invoice: etree._Element, ec_seller: Signer
) -> None:
    sign_as_seller(invoice, ec_seller)
    root = reloaded(invoice)
    value = root.find(f"DSCKS/NBan/{DS}Signature/{DS}SignatureValue")
    assert value is not None
    value.text = b64encode(b"\x01" * 63).decode()
    with pytest.raises(InvalidSignature, match="64 bytes"):
        verify(root=root, signature=signature_in(root, "NBan"))


def test_verify_refuses_what_is_not_a_signature_of_the_document(
    invoice: etree._Element, seller: Signer
) -> None:
    signature = sign_as_seller(invoice, seller)
    with pytest.raises(InvalidSignature, match="Signature element"):
        verify(root=invoice, signature=invoice)
    with pytest.raises(InvalidSignature, match="not inside the document"):
        verify(root=parse_xml(INVOICE_XML), signature=signature)
    with pytest.raises(InvalidSignature, match="lxml elements"):
        verify(root=invoice, signature="<Signature/>")  # type: ignore[arg-type]


def test_sign_refuses_an_id_that_is_missing_or_duplicated(invoice: etree._Element, seller: Signer) -> None:
    into = invoice.find("DSCKS/NBan")
    assert into is not None
    with pytest.raises(InvalidXML, match="'DLHDon-2' occurs 0 times"):
        sign(
            root=invoice,
            signer=seller,
            reference_ids=["DLHDon-2"],
            into=into,
            signing_time=NOW,
            signature_id="s",
        )
    etree.SubElement(invoice, "Extra", Id="DLHDon-1")
    with pytest.raises(InvalidXML, match="'DLHDon-1' occurs 2 times"):
        sign(
            root=invoice,
            signer=seller,
            reference_ids=["DLHDon-1"],
            into=into,
            signing_time=NOW,
            signature_id="s",
        )
    assert into.find(f"{DS}Signature") is None


def test_sign_refuses_a_signature_id_already_in_use(invoice: etree._Element, seller: Signer) -> None:
    sign_as_seller(invoice, seller, signature_id="same")
    with pytest.raises(InvalidXML, match="'same' is already used"):
        sign_as_seller(invoice, seller, signature_id="same")
    with pytest.raises(InvalidXML, match="'DLHDon-1' is already used"):
        sign_as_seller(invoice, seller, signature_id="DLHDon-1")


def test_sign_refuses_a_container_outside_or_inside_the_signed_data(
    invoice: etree._Element, seller: Signer
) -> None:
    outside = etree.Element("NBan")
    inside = invoice.find("DLHDon/TTChung")
    assert inside is not None
    for into, message in ((outside, "not inside the document"), (inside, "inside the element it would sign")):
        with pytest.raises(InvalidXML, match=message):
            sign(
                root=invoice,
                signer=seller,
                reference_ids=["DLHDon-1"],
                into=into,
                signing_time=NOW,
                signature_id="s",
            )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"signing_time": NOW.replace(tzinfo=None)}, "timezone-aware", id="naive-time"),
        pytest.param({"reference_ids": []}, "at least one", id="no-references"),
        pytest.param({"reference_ids": "DLHDon-1"}, "not a single string", id="string-ids"),
        pytest.param({"reference_ids": ["DLHDon-1", "DLHDon-1"]}, "repeats", id="repeated-id"),
        pytest.param({"signature_id": "1-starts-with-digit"}, "not a valid XML Id", id="bad-signature-id"),
    ],
)
def test_sign_refuses_bad_arguments(
    invoice: etree._Element, seller: Signer, changes: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "root": invoice,
        "signer": seller,
        "reference_ids": ["DLHDon-1"],
        "into": invoice.find("DSCKS/NBan"),
        "signing_time": NOW,
        "signature_id": "seller",
        **changes,
    }
    with pytest.raises(SigningError, match=message):
        sign(**arguments)  # type: ignore[arg-type]
