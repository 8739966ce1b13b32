"""invoicing.logs: bearer secrets, secret headers and private keys are masked in every log record."""

from __future__ import annotations

import logging
import sys

import pytest
from uvicorn.logging import AccessFormatter

from invoicing.auth.tokens import TokenKind, issue_token
from invoicing.logs import MASK, RedactSecrets, install_redaction, redact

KEY = issue_token(TokenKind.BUSINESS_KEY).token
PREFIX = KEY.split("_")[2]
SECRET = KEY.split("_", 3)[3]
OFFICIAL = issue_token(TokenKind.OFFICIAL).token


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"GET /v1/invoices?api_key={KEY} HTTP/1.1", f"api_key=hd_sk_{PREFIX}_{MASK}"),
        (f"token {OFFICIAL} refused", f"token hd_ot_{OFFICIAL.split('_')[2]}_{MASK} refused"),
        ("claim hd_ct_short", f"claim hd_ct_{MASK}"),
        (f"Authorization: Bearer {KEY}", f"Authorization: Bearer {MASK}"),
        ("{'authorization': 'Bearer eyJhbGciOi.x.y', 'x-claim-token': 'abc'}", f"'x-claim-token': '{MASK}'"),
        ("(b'authorization', b'Basic dXNlcjpwYXNz')", f"b'Basic {MASK}'"),
        ("X-Claim-Token=opaque-value", f"X-Claim-Token={MASK}"),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----",
            f"-----BEGIN PRIVATE KEY----- {MASK} -----END PRIVATE KEY-----",
        ),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI (cut off", f"-----BEGIN EC PRIVATE KEY----- {MASK}"),
    ],
    ids=["query", "official", "truncated", "header", "dict", "bytes-tuple", "form", "pem", "pem-cut"],
)
def test_redact_masks_the_secret_and_keeps_the_context(text: str, kept: str) -> None:
    cleaned = redact(text)
    assert kept in cleaned
    assert SECRET not in cleaned
    assert OFFICIAL.split("_", 3)[3] not in cleaned
    for fragment in ("eyJhbGciOi", "abc'", "dXNlcjpwYXNz", "opaque-value", "MIIE", "MHcC"):
        assert fragment not in cleaned


def test_text_without_secrets_is_left_alone() -> None:
    text = "POST /v1/invoices 201: invoice 1C26TAA/42 for 0100233488, authorization header missing"
    assert redact(text) == text


def _record(msg: object, args: object = None, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("test", logging.INFO, __file__, 1, msg, args, exc_info)  # type: ignore[arg-type]


def test_access_log_arguments_stay_a_tuple_uvicorn_can_format() -> None:
    record = _record(
        '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", f"/v1/invoices?api_key={KEY}", "1.1", 200)
    )
    RedactSecrets().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(
        record
    )
    assert line == f'127.0.0.1:5000 - "GET /v1/invoices?api_key=hd_sk_{PREFIX}_{MASK} HTTP/1.1" 200 OK'


def test_arguments_that_are_objects_are_masked_only_when_they_carry_a_secret() -> None:
    record = _record("%s / %r / %d / %s", (ValueError(f"bad {KEY}"), {"n": 1}, 7, {"auth": KEY}))
    RedactSecrets().filter(record)
    message = record.getMessage()
    assert SECRET not in message
    assert f"bad hd_sk_{PREFIX}_{MASK} / {{'n': 1}} / 7 / " in message


def test_a_traceback_that_carries_a_secret_is_masked_and_the_exception_dropped() -> None:
    try:
        raise RuntimeError(f"upstream refused Authorization: Bearer {KEY}")
    except RuntimeError:
        record = _record("unhandled error", exc_info=sys.exc_info())
    RedactSecrets().filter(record)
    assert record.exc_info is None
    assert record.exc_text is not None
    assert "RuntimeError: upstream refused Authorization: Bearer [REDACTED]" in record.exc_text
    formatted = logging.Formatter().format(record)
    assert SECRET not in formatted
    assert "Traceback (most recent call last)" in formatted


def test_a_traceback_without_secrets_is_untouched() -> None:
    try:
        raise RuntimeError("nothing secret")
    except RuntimeError:
        info = sys.exc_info()
    record = _record("failed", exc_info=info)
    RedactSecrets().filter(record)
    assert record.exc_info == info
    assert record.exc_text is None


def test_installed_every_logger_and_handler_gets_redacted_records(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction()
    install_redaction()  # idempotent: one redaction, not two wrappers
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("some.library.deep.inside").debug("headers %s", {"authorization": f"Bearer {KEY}"})
        logging.getLogger("uvicorn.error").error("boom", exc_info=RuntimeError(f"claim {KEY}"))
    assert SECRET not in caplog.text
    assert caplog.text.count(MASK) == 2
