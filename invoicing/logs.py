"""Log redaction: no bearer secret or private key reaches a log line.

Tokens travel in headers, so hoadon never logs them on purpose; they reach logs by accident: a
client that puts its API key in the query string (the access log prints the full path), an
exception whose message echoes its input, a header dump while debugging. ``RedactSecrets`` masks
``hd_sk_`` / ``hd_ot_`` / ``hd_ct_`` secrets (keeping the public prefix, which identifies the key),
``Authorization`` and ``X-Claim-Token`` values and PEM private keys, in the message, its arguments,
string ``extra`` fields and the formatted traceback.

A filter on a logger does not see records propagated from its children, and a filter on a handler
misses handlers added later (uvicorn's logging config, a test's capture), so :func:`install_redaction`
applies the filter where every record is made: the log record factory. (``extra`` fields are
attached after the factory runs; hoadon's own extras carry ids and paths, never secrets, and the
filter redacts them too where it is also added to a handler.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

MASK = "[REDACTED]"

# hd_<kind>_<12 hex prefix>_<secret>; a malformed or truncated token is masked whole.
_TOKEN = re.compile(r"(hd_(?:sk|ot|ct)_)(?:([0-9a-f]{12})_)?[A-Za-z0-9_\-]+")
# Authorization: Bearer x / 'authorization': 'Bearer x' / (b'x-claim-token', b'x') / authorization=x
_HEADER = re.compile(
    r"(?i)(authorization|x-claim-token)(['\"]?\s*[:=,]\s*(?:b(?=['\"]))?['\"]?)((?:bearer|basic|token)\s+)?"
    r"[^\s'\",;)\]}]+"
)
_PEM_KEY = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.DOTALL
)

_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


def _token(match: re.Match[str]) -> str:
    prefix = match.group(2)
    return f"{match.group(1)}{prefix}_{MASK}" if prefix else f"{match.group(1)}{MASK}"


def _pem(match: re.Match[str]) -> str:
    return f"-----BEGIN {match.group(1)}PRIVATE KEY----- {MASK} -----END {match.group(1)}PRIVATE KEY-----"


def redact(text: str) -> str:
    """``text`` with every bearer secret, secret header value and PEM private key masked."""
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{MASK}", text)
    if "hd_" in text:
        text = _TOKEN.sub(_token, text)
    if "PRIVATE KEY-----" in text:
        text = _PEM_KEY.sub(_pem, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        decoded = value.decode("utf-8", errors="replace")
        cleaned = redact(decoded)
        return value if cleaned == decoded else cleaned.encode()
    if value is None or isinstance(value, int | float):
        return value
    # An object whose str() carries a secret (an exception, a request) is replaced by the masked
    # text; any other object keeps its own formatting (%r, %d).
    try:
        text = str(value)
    except Exception:
        return value
    cleaned = redact(text)
    return value if cleaned == text else cleaned


class RedactSecrets(logging.Filter):
    """Masks secrets in a record in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        else:
            record.msg = _redact_value(record.msg)
        if isinstance(record.args, tuple):
            # Kept a tuple of the same length: uvicorn's access formatter unpacks it.
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_value(arg) for key, arg in record.args.items()}
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str | bytes | dict | list | tuple):
                record.__dict__[name] = _redact_nested(value)
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            formatted = logging.Formatter().formatException(record.exc_info)
            cleaned = redact(formatted)
            if cleaned != formatted:
                # Formatters print exc_text when set; the exception object itself, which still
                # holds the secret, is dropped from the record.
                record.exc_text = cleaned
                record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _redact_nested(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _redact_nested(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_nested(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_redact_nested(item) for item in value)
    if isinstance(value, str | bytes):
        return _redact_value(value)
    return value


_installed: RedactSecrets | None = None


def install_redaction() -> None:
    """Redact every log record this process makes, whatever its logger or handler. Idempotent."""
    global _installed
    if _installed is not None:
        return
    redactor = RedactSecrets()
    make_record: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        redactor.filter(record)
        return record

    logging.setLogRecordFactory(redacted_record)
    _installed = redactor
