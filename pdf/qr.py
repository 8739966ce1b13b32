"""QR codes as inline SVG, for embedding in a page."""

import segno

__all__ = ["qr_svg"]

_MAX_DATA_CHARS = 512


def qr_svg(*, data: str, scale: int = 2) -> str:
    """Make a QR code as inline SVG markup (no XML declaration, no namespace declaration needed).

    Error correction is level M (about 15 % of the symbol may be damaged), which survives a
    printed and re-scanned invoice while keeping the symbol small. The page sets the printed size
    of the code, so ``scale`` only changes the SVG's intrinsic size.

    :param data: The payload, e.g. the lookup URL or ``DLQRCode`` content; at most 512 characters
        (``DLQRCode`` is str(512)).
    :param scale: Size of one module in SVG user units; at least 1.
    :returns: An ``<svg …>…</svg>`` string, safe to place in an :class:`~pdf.InvoicePage` or
        :class:`~pdf.ReceiptPage` as ``qr_svg``. Only the code's own path is in it: ``data`` is
        encoded in the symbol, never written into the markup.
    :raises ValueError: if ``data`` is empty or too long, or ``scale`` is below 1.
    """
    if not data:
        raise ValueError("QR data must not be empty")
    if len(data) > _MAX_DATA_CHARS:
        raise ValueError(f"QR data is {len(data)} characters; at most {_MAX_DATA_CHARS} are allowed")
    if scale < 1:
        raise ValueError("scale must be at least 1")
    code = segno.make(data, error="m", micro=False, boost_error=False)
    markup: str = code.svg_inline(scale=scale, border=2, omitsize=True)
    return markup
