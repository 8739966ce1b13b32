from __future__ import annotations

import signing
from invoicing.errors import ValidationFailed
from invoicing.models.base import utcnow


def certificate_on_form(*, pem: str, tax_code: str) -> signing.CertificateInfo:
    """The certificate a registration lists: parseable, valid now, for signing, and for this MST."""
    try:
        certificate = signing.load_certificate(pem.encode())
        return signing.check_certificate(certificate, at=utcnow(), tax_code=tax_code)
    except signing.CertificateError as error:
        raise ValidationFailed(str(error), field="certificate_pem") from None
    except signing.SigningError as error:
        raise ValidationFailed(f"not an X.509 certificate in PEM: {error}", field="certificate_pem") from None
