"""Secrets and signatures: Standard Webhooks (``webhook-signature: v1,<base64>``) and WebSub
(``X-Hub-Signature: sha256=<hex>``).

A Standard Webhooks secret is ``whsec_`` and the base64 of 24 to 64 random bytes; the signature is
the HMAC-SHA256, keyed by those bytes, of ``{webhook-id}.{webhook-timestamp}.{body}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105  (the spec's prefix, not a secret)
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
MAX_SECRET_LENGTH = len(SECRET_PREFIX) + 4 * MAX_SECRET_BYTES // 3 + 4
MESSAGE_ID_PREFIX = "msg_"


class SecretError(ValueError):
    """A secret that is not ``whsec_`` + base64 of 24 to 64 bytes; the message says which rule."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; checks the form (linear in its length, bounded first)."""
    if len(secret) > MAX_SECRET_LENGTH:
        raise SecretError(f"is longer than {MAX_SECRET_LENGTH} characters (at most {MAX_SECRET_BYTES} bytes)")
    if not secret.startswith(SECRET_PREFIX):
        raise SecretError(f"must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise SecretError(f"must be {SECRET_PREFIX} followed by standard base64") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise SecretError(f"must encode {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes (got {len(key)})")
    return key


def new_message_id() -> str:
    """A ``webhook-id``: unique per delivery, kept across its retries."""
    return MESSAGE_ID_PREFIX + secrets.token_urlsafe(18)


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def hub_signature(secret: str, body: bytes) -> str:
    """WebSub's ``X-Hub-Signature`` value: the HMAC-SHA256 of the body keyed by the hub.secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
