"""accord.observability.tracing: whether tracing is on, and where spans go."""

from __future__ import annotations

import pytest

from accord.observability.tracing import start_tracing, traces_endpoint


def test_off_unless_an_endpoint_is_set() -> None:
    assert traces_endpoint(None, {}) == (False, None)
    assert traces_endpoint(None, {"OTEL_SERVICE_NAME": "accord", "OTEL_EXPORTER_OTLP_ENDPOINT": " "}) == (
        False,
        None,
    )
    assert start_tracing(None, {}) is None


def test_accords_endpoint_is_a_base_url_with_v1_traces_under_it() -> None:
    assert traces_endpoint("http://collector:4318", {}) == (True, "http://collector:4318/v1/traces")
    assert traces_endpoint("https://otel.example/base", {}) == (True, "https://otel.example/base/v1/traces")


def test_accords_endpoint_wins_over_the_standard_variables() -> None:
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:4318"}
    assert traces_endpoint("http://collector:4318", environ) == (True, "http://collector:4318/v1/traces")


@pytest.mark.parametrize("variable", ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
def test_the_standard_variables_turn_it_on_and_the_exporter_reads_them(variable: str) -> None:
    assert traces_endpoint(None, {variable: "http://collector:4318"}) == (True, None)


@pytest.mark.parametrize("value", ["true", "TRUE", " true "])
def test_the_sdk_switch_turns_it_off_whatever_is_set(value: str) -> None:
    environ = {"OTEL_SDK_DISABLED": value, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert traces_endpoint("http://collector:4318", environ) == (False, None)
    assert traces_endpoint("http://collector:4318", {"OTEL_SDK_DISABLED": "false"})[0] is True
