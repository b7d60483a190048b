"""accord.settings: the checks of values that need more than a type."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accord.settings import Settings


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("http://collector:4318", "http://collector:4318"),
        ("http://127.0.0.1:4318/", "http://127.0.0.1:4318"),
        ("https://otel.example/base", "https://otel.example/base"),
        ("", None),
    ],
)
def test_an_otel_endpoint_is_a_collectors_base_url(value: str, kept: str | None) -> None:
    assert Settings(otel_endpoint=value).otel_endpoint == kept


@pytest.mark.parametrize(
    "value",
    [
        "collector:4318",
        "grpc://collector:4317",
        "http://",
        "http://collector:99999",
        "http://collector:port",
        "http://collector:4318/?tenant=a",
        "http://collector:4318/#x",
        "http://collector:4318/\x00",
        "http://collector :4318",
    ],
)
def test_anything_else_stops_the_process_with_the_settings_name(value: str) -> None:
    with pytest.raises(ValidationError, match="otel_endpoint"):
        Settings(otel_endpoint=value)
