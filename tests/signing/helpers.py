"""Constants and the xmlsec1 wrapper shared by the signing tests."""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from signing import Signer, certificate_pem, parse_xml, private_key_pem, serialize

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
NOW = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)
"""The fixed moment of every test: 10:00 in Vietnam."""
SELLER_TAX_CODE = "0100233488"
OTHER_TAX_CODE = "0106324653"

INVOICE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="DLHDon-1">
    <TTChung><PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon>\
<KHHDon>C26TAA</KHHDon><SHDon>1</SHDon><NLap>2026-03-15</NLap><DVTTe>VND</DVTTe></TTChung>
    <NDHDon>
      <NBan><Ten>CÔNG TY TNHH VÍ DỤ BÁN</Ten><MST>0100233488</MST>\
<DChi>Số 1 Phố Ví Dụ, Phường Ba Đình, Thành phố Hà Nội</DChi></NBan>
      <NMua><Ten>CÔNG TY CỔ PHẦN VÍ DỤ MUA</Ten><HVTNMHang>Nguyễn Văn A</HVTNMHang></NMua>
      <DSHHDVu><HHDVu><TChat>1</TChat><THHDVu>Máy in laser</THHDVu><DVTinh>Cái</DVTinh>\
<SLuong>2</SLuong><DGia>1500000</DGia><ThTien>3000000</ThTien><TSuat>10%</TSuat></HHDVu></DSHHDVu>
      <TToan><TgTCThue>3000000</TgTCThue><TgTThue>300000</TgTThue><TgTTTBSo>3300000</TgTTTBSo>\
<TgTTTBChu>Ba triệu ba trăm nghìn đồng</TgTTTBChu></TToan>
    </NDHDon>
  </DLHDon>
  <MCCQT Id="MCCQT-1">00474597512BE94B7BAB367996EF464828</MCCQT>
  <DSCKS><NBan/><NMua/><CQT/><CCKSKhac/></DSCKS>
</HDon>
""".encode()


@dataclass(frozen=True)
class Xmlsec1:
    """The xmlsec1 command line, working in a temporary directory, trusting the test CA."""

    directory: Path
    ca_pem: Path

    def verify(self, root: etree._Element, container: str) -> subprocess.CompletedProcess[str]:
        """Verify the signature in ``HDon/DSCKS/<container>`` of the serialised document."""
        document = self.directory / "verify.xml"
        document.write_bytes(serialize(root))
        command = [
            "xmlsec1",
            "--verify",
            *self._ids(),
            "--node-xpath",
            f"/HDon/DSCKS/{container}/*[local-name()='Signature']",
            "--enabled-key-data",
            "x509",
            "--trusted-pem",
            str(self.ca_pem),
            "--verification-gmt-time",
            NOW.strftime("%Y-%m-%d %H:%M:%S"),
            str(document),
        ]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)

    def sign(self, template: bytes, signer: Signer) -> etree._Element:
        """Let xmlsec1 fill in a signature template (digests, value, certificate)."""
        key, certificate = self.directory / "key.pem", self.directory / "certificate.pem"
        key.write_bytes(private_key_pem(signer, password=None))
        certificate.write_bytes(certificate_pem(signer.certificate))
        source, signed = self.directory / "template.xml", self.directory / "signed.xml"
        source.write_bytes(template)
        command = [
            "xmlsec1",
            "--sign",
            *self._ids(),
            "--privkey-pem",
            f"{key},{certificate}",
            "--output",
            str(signed),
            str(source),
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
        assert completed.returncode == 0, completed.stderr
        return parse_xml(signed.read_bytes())

    @staticmethod
    def _ids() -> list[str]:
        return ["--id-attr:Id", "DLHDon", "--id-attr:Id", "MCCQT", "--id-attr:Id", f"{DS_NS}:Object"]


RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


def tax_authority_layout(
    *,
    signature_method: str = RSA_SHA256,
    digest_method: str = SHA256,
    canonicalization: str = C14N,
    signing_time: str = "2021-11-05T14:48:47",
) -> bytes:
    """An unsigned template of the seller signature the tax authority accepted and coded (DOMAIN.md §4).

    Default xmldsig namespace, ``Object Id="TimeStamp"``, ``SignatureProperty Id="proid"``, and no
    explicit canonicalisation transform, so C14N 1.0 applies by default.
    """
    signature = f"""<Signature xmlns="{DS_NS}" Id="NBan"><SignedInfo>\
<CanonicalizationMethod Algorithm="{canonicalization}"/><SignatureMethod Algorithm="{signature_method}"/>\
<Reference URI="#DLHDon-1"><Transforms><Transform Algorithm="{ENVELOPED}"/></Transforms>\
<DigestMethod Algorithm="{digest_method}"/><DigestValue/></Reference>\
<Reference Type="http://www.w3.org/2000/09/xmldsig#SignatureProperties" URI="#TimeStamp">\
<DigestMethod Algorithm="{digest_method}"/><DigestValue/></Reference></SignedInfo><SignatureValue/>\
<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo><Object Id="TimeStamp"><SignatureProperties>\
<SignatureProperty Id="proid" Target="#NBan"><SigningTime>{signing_time}</SigningTime></SignatureProperty>\
</SignatureProperties></Object></Signature>"""
    return INVOICE_XML.replace(b"<DSCKS><NBan/>", b"<DSCKS><NBan>" + signature.encode() + b"</NBan>")


def enveloped_layout() -> bytes:
    """An unsigned template of a signature enveloped inside the DLHDon it signs (a ``ds:`` prefix)."""
    signature = f"""<ds:Signature xmlns:ds="{DS_NS}"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm="{C14N}"/><ds:SignatureMethod Algorithm="{RSA_SHA256}"/>\
<ds:Reference URI="#DLHDon-1"><ds:Transforms><ds:Transform Algorithm="{ENVELOPED}"/>\
<ds:Transform Algorithm="{C14N}"/></ds:Transforms><ds:DigestMethod Algorithm="{SHA256}"/><ds:DigestValue/>\
</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/>\
</ds:X509Data></ds:KeyInfo></ds:Signature>"""
    return INVOICE_XML.replace(
        b"</NDHDon>\n  </DLHDon>", b"</NDHDon>\n    " + signature.encode() + b"\n  </DLHDon>"
    )


def random_namespace_layout(rng: random.Random) -> bytes:
    """An invoice-shaped document whose DLHDon holds a random mix of the namespace shapes that
    canonicalisation gets wrong most easily: default namespaces declared and undeclared at any depth,
    prefixes redeclared to the same or another URI, namespaced attributes, ``xml:lang`` and
    ``xml:space``, comments, processing instructions, CDATA, carriage returns and Vietnamese text.
    """

    def children(depth: int, prefixes: frozenset[str]) -> str:
        parts = []
        for _ in range(rng.randint(0, 3) if depth < 6 else 0):
            declarations, in_scope = "", set(prefixes)
            if rng.random() < 0.25:
                prefix = rng.choice(["p", "q"])
                declarations += f' xmlns:{prefix}="urn:{prefix}{rng.randint(0, 1)}"'
                in_scope.add(prefix)
            if rng.random() < 0.15:
                declarations += rng.choice([' xmlns="urn:default"', ' xmlns=""', ' xmlns="urn:other"'])
            if rng.random() < 0.1:
                declarations += rng.choice([' xml:lang="en"', ' xml:space="preserve"'])
            prefix = rng.choice(["", "p", "q"])
            tag = f"{prefix}:e{depth}" if prefix in in_scope else f"e{depth}"
            if in_scope and rng.random() < 0.3:
                declarations += f' {rng.choice(sorted(in_scope))}:a="v&amp;&#9;"'
            content = rng.choice(
                ["t", " &lt;&gt;&amp; ", "\r\n", "Hóa đơn", "<!--c-->", "<![CDATA[<x>]]>", "<?pi x?>"]
            )
            parts.append(
                f"<{tag}{declarations}>{content}{children(depth + 1, frozenset(in_scope))}</{tag}>\n "
            )
        return "".join(parts)

    top = rng.choice(["", ' xmlns:p="urn:p"', ' xmlns:xsi="urn:xsi" xml:lang="vi"'])
    body = children(2, frozenset({"p"}) if "xmlns:p" in top else frozenset())
    return f'<HDon{top}><DLHDon Id="DLHDon-1">{body}</DLHDon><DSCKS><NBan/></DSCKS></HDon>'.encode()
