"""The tax authority's part of a coded invoice (Decree 123 Art. 17): the MCCQT and its signature.

hoadon plays the authority itself here; a deployment that talks to the real CQT replaces this
module's two calls with the message-200/202 exchange (DOMAIN.md §9.4).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from lxml import etree

import signing
from invoicing.invoices.xml import add_authority_code, authority_signature_slot
from invoicing.keyring import Keyring

AUTHORITY_CODE_PREFIX = "00"


def assign_code(keyring: Keyring, *, seller_tax_code: str, data_sha256: bytes) -> str:
    """MCCQT per decision 5: ``00`` + 32 hex from a random component and the seller's data hash.

    The random part makes the code unguessable from the number; the data hash ties it to the
    invoice it was issued for. Uniqueness is enforced by the database as well.
    """
    nonce = secrets.token_bytes(16)
    mac = hmac.new(keyring.code_key(), nonce + data_sha256 + seller_tax_code.encode(), hashlib.sha256)
    return AUTHORITY_CODE_PREFIX + mac.hexdigest()[:32].upper()


def code_and_countersign(
    keyring: Keyring, *, root: etree._Element, data_id: str, seller_tax_code: str, signing_time: datetime
) -> str:
    """Add ``MCCQT`` and the authority's signature over the invoice data, its code and its time."""
    data = root.find("DLHDon")
    if data is None:
        raise ValueError("the document has no DLHDon")
    data_sha256 = hashlib.sha256(etree.tostring(data, method="c14n")).digest()
    code = assign_code(keyring, seller_tax_code=seller_tax_code, data_sha256=data_sha256)
    code_id = f"MCCQT-{code}"
    add_authority_code(root, code=code, element_id=code_id)
    signing.sign(
        root=root,
        signer=keyring.authority,
        reference_ids=[data_id, code_id],
        into=authority_signature_slot(root),
        signing_time=signing_time,
        signature_id=f"CQT-{code}",
    )
    return code
