"""Push delivery: webhooks from publish to receipt, `python -m bench push [--quick]`.

One `accord serve` (SQLite, default settings but ACCORD_WEBHOOK_ALLOW_PRIVATE=true and no rate
limits) and one receiver process (bench/push_receiver.py, 200 OK to everything) on 127.0.0.1.
Phases, each publishing M milestones through GraphQL with an admin token:

- baseline: no endpoint registered: how long the publish mutation takes on its own;
- paced: E endpoints wanting `milestone.published`, one publish every 500 ms; the latency of every
  delivery, from the moment its publish request was sent to its arrival at the receiver;
- burst: the same E endpoints, M publishes back to back: deliveries per second, from the first
  publish request to the last arrival.

Every (milestone, endpoint) pair must arrive exactly once: a lost or repeated delivery fails the
run. Baselines of the same run, against the same receiver at the deliverer's concurrency: plain
aiohttp (the client library accord's deliverer uses) and plain httpx, POSTing without a database,
signing or address check. Writes bench/results/push.json and bench/results/push.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench.machine import cpu_model, git_commit, src_modified

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
ACCORD = str(Path(sys.executable).with_name("accord"))
CREATE = "mutation($input: EventInput!) { createEvent(input: $input) { id } }"
P99_TARGET_MS = 1000.0
CONCURRENCY = 32  # ACCORD_WEBHOOK_CONCURRENCY's default: the raw baselines send as many at once


@dataclass(frozen=True)
class Sizes:
    endpoints: int
    milestones: int
    interval: float = 0.5


FULL = Sizes(endpoints=200, milestones=20)
QUICK = Sizes(endpoints=50, milestones=5)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {within}s")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _publish(client: httpx.Client, url: str, token: str, slug: str) -> tuple[float, float]:
    """(when the request was sent, how long the mutation took), in seconds."""
    variables = {
        "input": {
            "slug": slug,
            "title": {"en": f"Bench milestone {slug}", "zhTw": "基準里程碑"},
            "date": {"year": 2016, "month": 5},
            "kind": "CONFERENCE",
            "isMilestone": True,
            "status": "PUBLISHED",
        }
    }
    sent = time.time()
    started = time.perf_counter()
    response = client.post(
        f"{url}/graphql",
        json={"query": CREATE, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    took = time.perf_counter() - started
    body = response.json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return sent, took


async def _register(database_url: str, receiver: str, endpoints: int) -> None:
    from accord.core.auth import Role, Viewer
    from accord.db import create_async_db_engine
    from accord.push.admin import PushAdmin, create_webhook
    from accord.settings import Settings

    engine = create_async_db_engine(database_url)
    admin = PushAdmin(engine, Settings(database_url=database_url, webhook_allow_private=True))
    try:
        for n in range(endpoints):
            await create_webhook(
                admin, Viewer("bench", Role.ADMIN), url=f"{receiver}/r/{n}", events=["milestone.published"]
            )
    finally:
        await engine.dispose()


RAW_BODY = b'{"slug": "raw-baseline"}'


async def _raw_rate_httpx(receiver: str, requests: int, concurrency: int) -> float:
    """A baseline sender: plain httpx, POSTs to the same receiver at the same concurrency as
    accord's deliverer (no database, no signing, no address check): requests per second."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> None:
            async with gate:
                (await client.post(f"{receiver}/r/{n % 200}", content=RAW_BODY)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(requests)))
        return requests / (time.perf_counter() - started)


async def _raw_rate_aiohttp(receiver: str, requests: int, concurrency: int) -> float:
    """The same with plain aiohttp, the client library accord's deliverer is built on."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> None:
            async with gate, session.post(f"{receiver}/r/{n % 200}", data=RAW_BODY) as response:
                await response.read()
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(requests)))
        return requests / (time.perf_counter() - started)


def _phase(
    name: str, client: httpx.Client, url: str, token: str, sizes: Sizes, interval: float
) -> dict[str, tuple[float, float]]:
    sent: dict[str, tuple[float, float]] = {}
    for n in range(sizes.milestones):
        slug = f"bench-{name}-{n}"
        sent[slug] = _publish(client, url, token, slug)
        if interval:
            time.sleep(interval)
    return sent


def _arrivals(receiver: str, slugs: set[str], expected: int, within: float = 120) -> list[list[Any]]:
    deadline = time.monotonic() + within
    while True:
        got = [r for r in httpx.get(f"{receiver}/results", timeout=30).json() if r[2] in slugs]
        if len(got) >= expected or time.monotonic() > deadline:
            time.sleep(1.0)  # late duplicates would show up now
            return [r for r in httpx.get(f"{receiver}/results", timeout=30).json() if r[2] in slugs]
        time.sleep(0.2)


def _figures(
    sent: dict[str, tuple[float, float]], arrivals: list[list[Any]], endpoints: int
) -> dict[str, Any]:
    latencies = [(at - sent[slug][0]) * 1000 for _path, _id, slug, at in arrivals]
    pairs = Counter((path, slug) for path, _id, slug, _at in arrivals)
    expected = len(sent) * endpoints
    first = min(s for s, _took in sent.values())
    last = max(at for *_rest, at in arrivals) if arrivals else first
    return {
        "deliveries": len(arrivals),
        "expected": expected,
        "lost": expected - len(pairs),
        "duplicated": sum(n - 1 for n in pairs.values())
        + sum(n - 1 for n in Counter(webhook_id for _p, webhook_id, _s, _a in arrivals).values()),
        "latency_p50_ms": round(_percentile(latencies, 0.50), 1) if latencies else None,
        "latency_p99_ms": round(_percentile(latencies, 0.99), 1) if latencies else None,
        "latency_max_ms": round(max(latencies), 1) if latencies else None,
        "deliveries_per_second": round(len(arrivals) / max(last - first, 1e-6), 1),
        "publish_ms_p50": round(statistics.median(took * 1000 for _s, took in sent.values()), 1),
    }


def main(quick: bool = False) -> int:
    sizes = QUICK if quick else FULL
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="accord-bench-push-"))
    database_url = f"sqlite:///{workdir / 'accord.db'}"
    port, receiver_port = _free_port(), _free_port()
    url, receiver = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{receiver_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env |= {
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_PUBLIC_URL": url,
        "ACCORD_RATE_LIMIT": "false",
        "ACCORD_LOG_LEVEL": "warning",
        "ACCORD_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    log = (workdir / "accord.log").open("wb")
    receiving = subprocess.Popen(
        [sys.executable, "-m", "bench.push_receiver", str(receiver_port)], cwd=PROJECT
    )
    server = subprocess.Popen(
        [ACCORD, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(f"{url}/readyz")
        _wait(f"{receiver}/results")
        made = subprocess.run(
            [ACCORD, "token", "create", "--name", "bench", "--role", "admin"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        token = made.stdout.strip().splitlines()[-1]
        with httpx.Client(timeout=30) as client:
            for n in range(3):  # warm up the write path
                _publish(client, url, token, f"bench-warm-{n}")
            baseline = _phase("baseline", client, url, token, sizes, sizes.interval)
            asyncio.run(_register(database_url, receiver, sizes.endpoints))
            paced = _phase("paced", client, url, token, sizes, sizes.interval)
            paced_arrivals = _arrivals(receiver, set(paced), sizes.milestones * sizes.endpoints)
            burst = _phase("burst", client, url, token, sizes, 0.0)
            burst_arrivals = _arrivals(receiver, set(burst), sizes.milestones * sizes.endpoints)
            raw_requests = sizes.milestones * sizes.endpoints
            raw_aiohttp = asyncio.run(_raw_rate_aiohttp(receiver, raw_requests, CONCURRENCY))
            raw_httpx = asyncio.run(_raw_rate_httpx(receiver, raw_requests, CONCURRENCY))
    finally:
        for process in (server, receiving):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
    baseline_publish = round(statistics.median(took * 1000 for _s, took in baseline.values()), 1)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(short=True),
        "src_modified": src_modified(),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "sizes": asdict(sizes),
        "baseline_publish_ms_p50": baseline_publish,
        "baseline_raw_aiohttp_per_second": round(raw_aiohttp, 1),
        "baseline_raw_httpx_per_second": round(raw_httpx, 1),
        "load_average": os.getloadavg(),
        "paced": _figures(paced, paced_arrivals, sizes.endpoints),
        "burst": _figures(burst, burst_arrivals, sizes.endpoints),
    }
    for phase in ("paced", "burst"):
        result[phase]["publish_vs_baseline"] = round(result[phase]["publish_ms_p50"] / baseline_publish, 2)
        rate = result[phase]["deliveries_per_second"]
        result[phase]["rate_vs_raw_aiohttp"] = round(rate / raw_aiohttp, 2)
        result[phase]["rate_vs_raw_httpx"] = round(rate / raw_httpx, 2)
    ok = (
        all(result[p]["lost"] == 0 and result[p]["duplicated"] == 0 for p in ("paced", "burst"))
        and (result["paced"]["latency_p99_ms"] or 1e9) < P99_TARGET_MS
    )
    result["targets_met"] = ok
    (RESULTS / "push.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "push.md").write_text(_markdown(result))
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


def _markdown(r: dict[str, Any]) -> str:
    s = r["sizes"]
    rows = []
    for phase in ("paced", "burst"):
        f = r[phase]
        rows.append(
            f"| {phase} | {f['deliveries']} / {f['expected']} | {f['lost']} | {f['duplicated']} | "
            f"{f['latency_p50_ms']} | {f['latency_p99_ms']} | {f['latency_max_ms']} | "
            f"{f['deliveries_per_second']} ({f['rate_vs_raw_aiohttp']}x / {f['rate_vs_raw_httpx']}x) | "
            f"{f['publish_ms_p50']} ({f['publish_vs_baseline']}x) |"
        )
    return "\n".join(
        [
            "# Push delivery benchmark",
            "",
            f"{r['when']}, commit {r['commit']}, {r['machine']['cpu']} ({r['machine']['cores']} cores), "
            f"Python {r['machine']['python']}. SQLite, one `accord serve`, {s['endpoints']} endpoints, "
            f"{s['milestones']} milestones per phase "
            f"(paced: one every {s['interval']} s; burst: back to back).",
            "",
            f"Baselines of the same run: the publish mutation with no endpoint takes "
            f"{r['baseline_publish_ms_p50']} ms (p50). Plain aiohttp and plain httpx (no database, no "
            f"signing, no address check) POST {r['baseline_raw_aiohttp_per_second']} and "
            f"{r['baseline_raw_httpx_per_second']} requests/s to the same receiver at the same "
            f"concurrency ({CONCURRENCY}). Load average during the run: {r['load_average']}.",
            "",
            "| phase | received / expected | lost | duplicated | p50 ms | p99 ms | max ms "
            "| deliveries/s (vs raw aiohttp / raw httpx) | publish p50 ms (vs baseline) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            f"Targets (p99 under {P99_TARGET_MS:g} ms in the paced phase, nothing lost or duplicated): "
            f"{'met' if r['targets_met'] else 'NOT met'}.",
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main("--quick" in sys.argv))
