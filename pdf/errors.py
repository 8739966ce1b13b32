"""The one exception raised by :mod:`pdf` when a document cannot be produced."""

__all__ = ["RenderError"]


class RenderError(Exception):
    """A page could not be turned into a PDF.

    Raised by :func:`pdf.render_invoice` and :func:`pdf.render_receipt` when the template fails, when
    WeasyPrint raises or logs a warning or an error (a missing glyph, an unreadable resource, an
    unsupported CSS rule), or when the page asks for a resource outside the ``pdf`` package.
    The original exception, when there is one, is chained as ``__cause__``.
    """
