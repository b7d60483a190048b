"""The load generator: autocannon (the project's node_modules) on LOAD_CPU, one kind of request as it
sends it, the figures read from its JSON output, and the same request sent once from Python."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from typing import Any

import httpx

from bench.http_reads.processes import LOAD_CPU, PROJECT, pinned
from bench.http_reads.provenance import npm_version
from bench.workloads import NONCE

AUTOCANNON = PROJECT / "node_modules" / "autocannon" / "autocannon.js"
CONNECTIONS = 32
CLIENT_TIMEOUT_S = 30


def version() -> str:
    return npm_version(AUTOCANNON.parent / "package.json")


@dataclass(frozen=True)
class Load:
    """One kind of request, as autocannon sends it."""

    method: str
    path: str
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    nonce: bool = False  # replace [<id>] in the body per request
    expect: int = 200


def graphql_post(body: str, *, nonce: bool = False, fresh: bool = False) -> Load:
    """A POST of a GraphQL request body (JSON); ``fresh`` asks accord not to answer from its cache
    (``Cache-Control: no-cache``), so that every request runs the document."""
    headers = [("content-type", "application/json")]
    if fresh:
        headers.append(("cache-control", "no-cache"))
    return Load("POST", "/graphql", body, tuple(headers), nonce=nonce)


def autocannon(url: str, load: Load, seconds: int) -> dict[str, Any]:
    # -t: a slow server (baseline (c) at 32 connections) is measured rather than cut off at autocannon's
    # 10 s default; accord stops its own operations at 5 s (504), which counts as an error.
    command = [
        "node",
        str(AUTOCANNON),
        "-c",
        str(CONNECTIONS),
        "-d",
        str(seconds),
        "-t",
        str(CLIENT_TIMEOUT_S),
    ]
    command += ["-j", "-n"]
    if load.method != "GET":
        command += ["-m", load.method]
    for name, value in load.headers:
        command += ["-H", f"{name}={value}"]
    if load.body is not None:
        command += ["-b", load.body]
    if load.nonce:
        command.append("-I")
    command.append(url + load.path)
    result = subprocess.run(
        pinned(LOAD_CPU, command), cwd=PROJECT, capture_output=True, text=True, timeout=seconds + 60
    )
    if result.returncode != 0:
        raise RuntimeError(f"autocannon failed ({result.returncode}): {result.stderr[-1000:]}")
    raw: dict[str, Any] = json.loads(result.stdout)
    return raw


def run_figures(raw: dict[str, Any], expect: int) -> dict[str, Any]:
    """The figures of one autocannon run kept in http.json (any status but ``expect`` is a problem)."""
    latency, requests = raw["latency"], raw["requests"]
    codes = {str(code): int(value["count"]) for code, value in (raw.get("statusCodeStats") or {}).items()}
    unexpected = sum(count for code, count in codes.items() if int(code) != expect)
    return {
        "req_per_s": float(requests["average"]),
        "requests": int(requests["total"]),
        "sent": int(requests.get("sent", requests["total"])),
        "p50_ms": float(latency["p50"]),
        "p90_ms": float(latency.get("p90", math.nan)),
        "p99_ms": float(latency["p99"]),
        "max_ms": float(latency["max"]),
        "mean_ms": float(latency["average"]),
        "errors": int(raw.get("errors", 0)),
        "timeouts": int(raw.get("timeouts", 0)),
        "status_codes": codes,
        "unexpected_status": unexpected,
        "bytes_per_s": float(raw["throughput"]["average"]),
        "duration_s": float(raw.get("duration", 0)),
    }


def send_once(client: httpx.Client, load: Load, nonce: str = "check") -> httpx.Response:
    """The request autocannon sends, once, with ``nonce`` where autocannon puts a fresh id."""
    headers = dict(load.headers)
    if load.method == "GET":
        return client.get(load.path.replace(NONCE, nonce) if load.nonce else load.path, headers=headers)
    body = (load.body or "").replace(NONCE, nonce) if load.nonce else load.body
    return client.request(load.method, load.path, content=body, headers=headers)
