"""Request ids: ``X-Request-ID`` honoured when it looks like one, made up otherwise, returned on the
response, and put on every log line written while the request is served."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("accord_request_id", default=None)
OPERATION: ContextVar[str | None] = ContextVar("accord_operation", default=None)
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_from(header: str | None) -> str:
    """The client's id when it is a plain token (so it cannot forge log lines), else a new one."""
    if header is not None and _ACCEPTABLE.match(header):
        return header
    return secrets.token_hex(16)  # as many hex digits as a UUID, for less than half its cost
