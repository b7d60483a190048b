"""What tracing costs a cached answer: W1 (the front page) over GET, answered from the response cache,
timed in process through the whole ASGI application (middleware, endpoint, cache lookup).

`python -m bench tracing [--quick]` (or `make bench BENCH_ARGS=tracing`) measures each variant in a
Python process of its own, so that with tracing off not one OpenTelemetry module is loaded:

- ``off``: the default, no endpoint set;
- ``on``: ``ACCORD_OTEL_ENDPOINT`` set, every request traced and its spans sent over OTLP/HTTP (in
  batches, from the SDK's thread) to a receiver in the benchmark's own process, which decodes them;
- ``before`` (with ``--baseline-src DIR``, a copy of another revision's ``src``, e.g.
  ``git archive REV src | tar -x -C DIR``): that code, tracing off, for a before/after comparison.

The variants take turns, round after round, so a slower minute of a shared machine falls on each of
them; each process answers a warm-up, then several batches of requests, and reports its fastest
batch. The figure is the median over rounds, in microseconds per answer, and its ratio to ``off``
in the same run. Writes bench/results/tracing.json and tracing.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.machine import cpu_model, git_commit
from bench.workloads import W1

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
PATH_AND_QUERY = urlencode({"query": W1}).encode()


async def _time_answers(database_url: str, batches: int, per_batch: int) -> float:
    """Microseconds per cached W1 answer, the fastest of ``batches`` batches."""
    from accord.app import create_app
    from accord.settings import Settings

    app = create_app(Settings(database_url=database_url, rate_limit=False, load_fixtures_on_empty=False))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": PATH_AND_QUERY,
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"accept", b"application/graphql-response+json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    statuses: list[int] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async with app.router.lifespan_context(app) as state:
        scope["state"] = dict(state or {})
        for _ in range(200):  # the first fills the cache; the rest warm what warms
            await app(dict(scope), receive, send)
        fastest = float("inf")
        for _ in range(batches):
            started = time.perf_counter()
            for _ in range(per_batch):
                await app(dict(scope), receive, send)
            fastest = min(fastest, (time.perf_counter() - started) / per_batch)
    if set(statuses) != {200}:
        raise RuntimeError(f"a cached W1 answered {sorted(set(statuses))}")
    return fastest * 1e6


def _worker(database_url: str, batches: int, per_batch: int) -> None:
    microseconds = asyncio.run(_time_answers(database_url, batches, per_batch))
    tracing_loaded = any(name == "opentelemetry" or name.startswith("opentelemetry.") for name in sys.modules)
    print(json.dumps({"us": microseconds, "opentelemetry_loaded": tracing_loaded}))


def _run_variant(
    variant: str, database_url: str, batches: int, per_batch: int, receiver_url: str, baseline: Path | None
) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ACCORD_", "OTEL_"))}
    env["ACCORD_LOG_LEVEL"] = "warning"
    if variant == "on":
        env["ACCORD_OTEL_ENDPOINT"] = receiver_url
    if variant == "before":
        assert baseline is not None
        env["PYTHONPATH"] = str(baseline / "src")  # ahead of the installed (editable) accord
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-m", "bench.tracing", "--worker", database_url, str(batches), str(per_batch)]
    done = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{variant}: {done.stderr[-3000:]}")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def main(quick: bool = False, baseline: Path | None = None) -> int:
    from tests.harness.databases import seed, sqlite_url
    from tests.harness.otlp import otlp_receiver

    rounds, batches, per_batch = (3, 3, 500) if quick else (7, 5, 2000)
    variants = ["off", "on", *(["before"] if baseline is not None else [])]
    times: dict[str, list[float]] = {variant: [] for variant in variants}
    loaded: dict[str, bool] = {}
    with (
        tempfile.TemporaryDirectory(prefix="accord-bench-tracing-") as directory,
        otlp_receiver() as receiver,
    ):
        database_url = sqlite_url(Path(directory))
        seed(database_url)
        for number in range(rounds):
            for variant in variants if number % 2 == 0 else reversed(variants):
                measured = _run_variant(variant, database_url, batches, per_batch, receiver.url, baseline)
                times[variant].append(measured["us"])
                loaded[variant] = measured["opentelemetry_loaded"]
                print(f"  round {number + 1} {variant}: {measured['us']:.1f} µs", flush=True)
        spans_received = len(receiver.received())
    off = statistics.median(times["off"])
    rows = {
        variant: {
            "median_us": round(statistics.median(values), 2),
            "runs_us": [round(value, 2) for value in values],
            "ratio_to_off": round(statistics.median(values) / off, 3),
            "opentelemetry_loaded": loaded[variant],
        }
        for variant, values in times.items()
    }
    result = {
        "suite": "tracing",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpu": cpu_model(),
        "quick": quick,
        "workload": "W1 over GET, answered from the response cache, in process (ASGI)",
        "rounds": rounds,
        "batches": batches,
        "requests_per_batch": per_batch,
        "spans_received_with_tracing_on": spans_received,
        "variants": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tracing.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Tracing: what a cached answer costs",
        "",
        f"{result['workload']}; {rounds} rounds, each variant in its own process, fastest of {batches} "
        f"batches of {per_batch} requests; median over rounds. {result['cpu']}, commit {result['commit']}.",
        "",
        "| variant | µs per answer | ratio to off | OpenTelemetry loaded |",
        "| --- | --- | --- | --- |",
    ]
    for variant, row in rows.items():
        lines.append(
            f"| {variant} | {row['median_us']} | {row['ratio_to_off']} | {row['opentelemetry_loaded']} |"
        )
    (RESULTS / "tracing.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    failures = [variant for variant in ("off", "before") if rows.get(variant, {}).get("opentelemetry_loaded")]
    if spans_received == 0:
        failures.append("on: no span reached the receiver")
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.tracing", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--baseline-src", type=Path, help="another revision's source tree (holding src/)")
    parser.add_argument(
        "--worker", nargs=3, metavar=("DATABASE_URL", "BATCHES", "PER_BATCH"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
    else:
        sys.exit(main(quick=args.quick, baseline=args.baseline_src))
