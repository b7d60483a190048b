"""Logging: JSON lines (python-json-logger) with the request id and operation name, or plain text."""

from __future__ import annotations

import logging
from typing import Any

from accord.observability.request_id import OPERATION, REQUEST_ID


class RequestContext(logging.Filter):
    """Adds ``request_id`` and ``operation`` to every record written while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        record.request_id = request_id
        record.operation = OPERATION.get()
        record.request_tag = f" [{request_id}]" if request_id else ""
        return True


def log_config(level: str, fmt: str) -> dict[str, Any]:
    """A logging.config dict for uvicorn and accord alike."""
    formatter: dict[str, Any]
    if fmt == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(operation)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        }
    else:
        formatter = {"format": "%(asctime)s %(levelname)-7s %(name)s %(message)s%(request_tag)s"}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "filters": ["request"],
        "stream": "ext://sys.stderr",
    }
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": "accord.observability.logs.RequestContext"}},
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {
            "accord": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            # accord writes its own access lines (with request id, operation and duration).
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }
