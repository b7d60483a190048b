"""Live fan-out: accord's subscription groups against plain strawberry with a per-subscriber queue.

`python -m bench fanout [--quick]` runs, in one go and one after the other on the same machine:

- baseline: bench/baselines/strawberry_broadcast.py (strawberry ASGI on Starlette under uvicorn,
  one process, an asyncio.Queue per subscriber; the selection runs once per subscriber per event);
- accord: `accord serve` on a fresh SQLite database (one process, default settings but for
  ACCORD_RATE_LIMIT=false: the thousand clients all come from 127.0.0.1).

For each: N graphql-transport-ws subscribers (at most 100 handshakes in flight), idle memory per
subscription from the server's RSS, P publishes on a fixed open-loop schedule (one every 100 ms,
from a separate process, never waiting for replies), the latency of every delivery measured from
the moment its publish request was written; then the same at 30 publishes/s ("fast": more than
the baseline can take, so deliveries/s shows capacity rather than the offered rate) and all at once
("burst"); then C cycles of N abrupt connects/disconnects with the RSS after each; last, the paced
publishes with nobody subscribed, whose CPU is taken off the paced phase's to give the fan-out's
own CPU per delivery. The server runs on CPU 0 and the clients on CPU 1 when the machine has both.

Writes bench/results/fanout.json (every figure, the machine) and bench/results/fanout.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.fanout_clients import Publish, PublishPlan, Subscriber, abort_all, open_subscribers, run
from bench.machine import cpu_model, git_commit, package_versions, src_modified

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
ACCORD = str(Path(sys.executable).with_name("accord"))
QUERY = "subscription { milestoneAdded { id slug title publishedAt } }"
CREATE_EVENT = "mutation($input: EventInput!) { createEvent(input: $input) { id } }"
PUBLISH = "mutation($title: String!) { publish(title: $title) { id } }"
SERVER_CPU, CLIENT_CPU = 0, 1
KIB = 1024


@dataclass(frozen=True)
class Sizes:
    subscribers: int
    publishes: int
    cycles: int
    interval: float = 0.1
    fast_interval: float = 1 / 30
    in_flight: int = 100  # handshakes at once

    def phases(self) -> list[tuple[str, float]]:
        """paced: the measurement the targets are about. fast: three times the rate, more than the
        baseline can take, for capacity. burst: every publish at once (writers queue on SQLite)."""
        return [("paced", self.interval), ("fast", self.fast_interval), ("burst", 0.0)]


FULL = Sizes(subscribers=1000, publishes=20, cycles=10)
QUICK = Sizes(subscribers=200, publishes=5, cycles=3)

# Targets (accord, measured against the baseline of the same run)
P99_MS = 250.0
THROUGHPUT_RATIO = 5.0
IDLE_KIB = 50.0
LEVEL_FRACTION, LEVEL_KIB = 0.10, 5 * 1024
LEVEL_FROM_CYCLE = 3


# The server processes


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    body: Callable[[str, str], str]  # (slug, title) -> the JSON body of one publish request
    headers: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        # /proc/PID/stat: utime and stime (fields 14 and 15) in clock ticks, all threads included.
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pin_to(cpu: int | None) -> Callable[[], None] | None:
    if cpu is None:
        return None

    def pin() -> None:
        os.sched_setaffinity(0, {cpu})

    return pin


def _spawn(
    command: list[str], env: dict[str, str], log_path: Path, cpu: int | None
) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_pin_to(cpu),
        )


def _clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}


def start_baseline(workdir: Path, cpu: int | None) -> Server:
    port = free_port()
    log_path = workdir / "baseline.log"
    command = [sys.executable, "-m", "bench.baselines.strawberry_broadcast", "--port", str(port)]
    process = _spawn(command, _clean_env(), log_path, cpu)

    def body(slug: str, title: str) -> str:
        return json.dumps({"query": PUBLISH, "variables": {"title": title}})

    return Server("baseline", process, port, log_path, body)


def start_accord(workdir: Path, cpu: int | None) -> Server:
    port = free_port()
    log_path = workdir / "accord.log"
    settings = {
        "ACCORD_DATABASE_URL": f"sqlite:///{workdir / 'accord.db'}",
        "ACCORD_LOG_LEVEL": "warning",
        # Every simulated client comes from 127.0.0.1: the per-address limits (2 WebSocket
        # handshakes/s, 2 writes/s) would refuse them. Real clients each have their own address.
        "ACCORD_RATE_LIMIT": "false",
    }
    env = _clean_env() | settings
    command = [ACCORD, "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = _spawn(command, env, log_path, cpu)

    def body(slug: str, title: str) -> str:
        event = {
            "slug": slug,
            "title": {"en": title},
            "date": {"year": 2026},
            "kind": "OTHER",
            "isMilestone": True,
            "status": "PUBLISHED",
        }
        return json.dumps({"query": CREATE_EVENT, "variables": {"input": event}})

    return Server("accord", process, port, log_path, body, settings=settings)


async def create_accord_token(server: Server) -> None:
    env = _clean_env() | server.settings
    process = await asyncio.create_subprocess_exec(
        ACCORD,
        "token",
        "create",
        "--name",
        "bench-fanout",
        "--role",
        "editor",
        env=env,
        cwd=PROJECT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    if process.returncode != 0:
        raise RuntimeError(f"accord token create failed: {err.decode()}")
    server.headers["Authorization"] = f"Bearer {out.decode().strip().splitlines()[-1]}"


async def stop(server: Server) -> int | None:
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        for _ in range(150):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.1)
        else:
            process.kill()
            for _ in range(50):
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
    return process.returncode


# Talking to a running server


async def wait_ready(server: Server, http: httpx.AsyncClient, within: float = 90) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if (await http.get(f"{server.url}/readyz", timeout=2)).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{server.name} not ready after {within}s:\n{server.log_tail()}")


async def live_counts(server: Server, http: httpx.AsyncClient) -> dict[str, int]:
    response = await http.get(f"{server.url}/readyz", timeout=10)
    live: dict[str, int] = response.json()["live"]
    return live


async def wait_live(
    server: Server, http: httpx.AsyncClient, *, subscriptions: int, connections: int, within: float = 60
) -> tuple[float, dict[str, int]]:
    """Poll /readyz until the server reports exactly these counts; (seconds waited, last counts)."""
    start = time.monotonic()
    counts: dict[str, int] = {}
    while time.monotonic() - start < within:
        counts = await live_counts(server, http)
        if counts.get("subscriptions") == subscriptions and counts.get("connections") == connections:
            return time.monotonic() - start, counts
        await asyncio.sleep(0.05)
    raise TimeoutError(
        f"{server.name}: wanted {subscriptions} subscriptions on {connections} connections "
        f"after {within}s, /readyz says {counts}"
    )


async def publish(server: Server, titles: list[tuple[str, str]], interval: float) -> list[Publish]:
    """Run the publisher process: one request per (slug, title), ``interval`` apart, open loop."""
    plan = PublishPlan(
        host="127.0.0.1",
        port=server.port,
        path="/graphql",
        bodies=[server.body(slug, title) for slug, title in titles],
        interval=interval,
        headers=server.headers,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.fanout_clients",
        cwd=PROJECT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(json.dumps(asdict(plan)).encode() + b"\n")
        await process.stdin.drain()
        ready = await asyncio.wait_for(process.stdout.readline(), 60)
        if ready.strip() != b"ready":
            raise RuntimeError(f"publisher did not start: {ready!r}")
        process.stdin.write(b"go\n")
        await process.stdin.drain()
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return [Publish(**item) for item in json.loads(line)]


def take_arrivals(subscribers: list[Subscriber]) -> list[list[tuple[float, bytes]]]:
    taken = []
    for subscriber in subscribers:
        taken.append(list(subscriber.arrivals))
        subscriber.arrivals.clear()
    return taken


def delivered(subscribers: list[Subscriber]) -> int:
    return sum(len(subscriber.arrivals) for subscriber in subscribers)


async def publish_and_collect(
    server: Server,
    subscribers: list[Subscriber],
    titles: list[tuple[str, str]],
    interval: float,
    *,
    idle_timeout: float = 15,
    overall_timeout: float = 120,
) -> tuple[list[Publish], list[list[tuple[float, bytes]]], float]:
    """Publish, wait until every subscriber has every message (or nothing comes for a while);
    returns the publishes, each subscriber's stamped frames and the server CPU seconds used."""
    expected = len(subscribers) * len(titles)
    cpu_before = server.cpu_seconds()
    publisher = asyncio.create_task(publish(server, titles, interval))
    start = last_progress = time.monotonic()
    seen = 0
    while time.monotonic() - start < overall_timeout:
        await asyncio.sleep(0.02)
        now_seen = delivered(subscribers)
        if now_seen != seen:
            seen, last_progress = now_seen, time.monotonic()
        if publisher.done() and (seen >= expected or time.monotonic() - last_progress > idle_timeout):
            break
    if not publisher.done():
        publisher.cancel()
    publishes = await publisher
    await asyncio.sleep(0.2)  # anything still arriving beyond the expected count is seen as extra
    cpu = server.cpu_seconds() - cpu_before
    return publishes, take_arrivals(subscribers), cpu


# Analysis


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank over an ascending list."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def analyse(
    publishes: list[Publish], slugs: list[str], arrivals: list[list[tuple[float, bytes]]]
) -> dict[str, Any]:
    sent = {slug: publish.sent for slug, publish in zip(slugs, publishes, strict=True)}
    order = {slug: i for i, slug in enumerate(slugs)}
    per_publish: dict[str, list[float]] = {slug: [] for slug in slugs}
    latencies: list[float] = []
    complete = in_order = duplicates = unexpected = 0
    orders: set[tuple[str, ...]] = set()
    other_messages: dict[str, int] = {}
    example_other = ""
    last_arrival = 0.0
    for frames in arrivals:
        got: list[str] = []
        for at, raw in frames:
            message = json.loads(raw)
            slug = None
            if message.get("type") == "next":
                data = (message.get("payload") or {}).get("data") or {}
                slug = (data.get("milestoneAdded") or {}).get("slug")
            if slug not in sent:
                kind = str(message.get("type"))
                other_messages[kind] = other_messages.get(kind, 0) + 1
                example_other = example_other or raw.decode(errors="replace")[:500]
                unexpected += 1
                continue
            assert slug is not None
            got.append(slug)
            latency = at - sent[slug]
            latencies.append(latency)
            per_publish[slug].append(latency)
            last_arrival = max(last_arrival, at)
        duplicates += len(got) - len(set(got))
        orders.add(tuple(got))
        complete += set(got) == set(slugs) and len(got) == len(slugs)
        in_order += [order[slug] for slug in got] == sorted(order[slug] for slug in got)
    latencies.sort()
    first_sent = min((publish.sent for publish in publishes), default=0.0)
    span = last_arrival - first_sent if latencies else math.nan
    expected = len(arrivals) * len(slugs)
    publish_rows = []
    for slug, publish in zip(slugs, publishes, strict=True):
        own = sorted(per_publish[slug])
        publish_rows.append(
            {
                "slug": slug,
                "sent_s": round(publish.sent - first_sent, 4),
                "schedule_lag_ms": round((publish.sent - publish.scheduled) * 1000, 2),
                "reply_ms": round((publish.replied - publish.sent) * 1000, 2) if publish.replied else None,
                "status": publish.status,
                "error": publish.error or _graphql_error(publish.body),
                "deliveries": len(own),
                "first_ms": round(own[0] * 1000, 2) if own else None,
                "p50_ms": round(percentile(own, 50) * 1000, 2) if own else None,
                "last_ms": round(own[-1] * 1000, 2) if own else None,
            }
        )
    return {
        "expected": expected,
        "received": len(latencies),
        "subscribers": len(arrivals),
        "subscribers_complete": complete,
        "subscribers_in_order": in_order,  # in the order the requests were sent
        "distinct_orders": len(orders),  # 1: every subscriber saw the same sequence
        "duplicates": duplicates,
        "unexpected_messages": unexpected,
        "unexpected_by_type": other_messages,
        "unexpected_example": example_other,
        "latency_ms": {
            name: round(percentile(latencies, p) * 1000, 2)
            for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
        },
        "latency_mean_ms": round(sum(latencies) / len(latencies) * 1000, 2) if latencies else None,
        "latency_histogram_ms": histogram(latencies),
        "span_s": round(span, 4),
        "deliveries_per_s": round(len(latencies) / span, 1) if latencies and span > 0 else 0.0,
        "publish_span_s": round(max(p.sent for p in publishes) - first_sent, 4) if publishes else 0.0,
        "publishes_failed": sum(1 for row in publish_rows if row["status"] != 200 or row["error"]),
        "publishes": publish_rows,
    }


HISTOGRAM_EDGES_MS = (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def histogram(latencies: list[float]) -> dict[str, int]:
    """Deliveries per latency band: {"<5": n, "5-10": n, ..., ">=5000": n}."""
    bands = {f"<{HISTOGRAM_EDGES_MS[0]}": 0}
    bands |= {f"{low}-{high}": 0 for low, high in itertools.pairwise(HISTOGRAM_EDGES_MS)}
    bands[f">={HISTOGRAM_EDGES_MS[-1]}"] = 0
    names = list(bands)
    for latency in latencies:
        ms = latency * 1000
        band = next((i for i, edge in enumerate(HISTOGRAM_EDGES_MS) if ms < edge), len(HISTOGRAM_EDGES_MS))
        bands[names[band]] += 1
    return bands


def _graphql_error(body: str) -> str:
    with contextlib.suppress(ValueError):
        errors = json.loads(body).get("errors")
        if errors:
            return json.dumps(errors)[:300]
    return ""


# One server, start to finish


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(
    server: Server, sizes: Sizes, http: httpx.AsyncClient, held: list[Subscriber]
) -> dict[str, Any]:
    """Everything for one server. ``held``: the sockets open right now, for the caller to abort
    if this fails half-way (one batch at a time is open)."""
    n = sizes.subscribers

    async def connect(count: int) -> list[Subscriber]:
        batch = await open_subscribers(server.ws_url, QUERY, count, sizes.in_flight)
        held.extend(batch)
        return batch

    def drop() -> None:
        abort_all(held)
        held.clear()

    result: dict[str, Any] = {"server": server.name, "pid": server.process.pid}
    await wait_ready(server, http)
    if server.name == "accord":
        await create_accord_token(server)
    result["rss_started_kib"] = server.rss_kib()

    # Warm-up: a few subscribers and one publish, so "before" is not paying for first-use costs.
    warm = await connect(10)
    await wait_live(server, http, subscriptions=10, connections=10)
    publishes, arrivals, _ = await publish_and_collect(
        server, warm, [("warm-up", "Warm up")], 0, idle_timeout=5
    )
    result["warm_up"] = {
        k: v for k, v in analyse(publishes, ["warm-up"], arrivals).items() if k != "publishes"
    }
    drop()
    await wait_live(server, http, subscriptions=0, connections=0)
    await asyncio.sleep(1.0)

    # Idle memory per subscription
    rss_before = server.rss_kib()
    cpu_before, client_before = server.cpu_seconds(), client_cpu_seconds()
    started = time.monotonic()
    subscribers = await connect(n)
    opened = time.monotonic() - started
    waited, counts = await wait_live(server, http, subscriptions=n, connections=n)
    result["connect"] = {
        "seconds_to_open": round(opened, 3),
        "seconds_until_server_holds_all": round(opened + waited, 3),
        "server_cpu_s": round(server.cpu_seconds() - cpu_before, 3),
        "client_cpu_s": round(client_cpu_seconds() - client_before, 3),
        "live": counts,
    }
    await asyncio.sleep(1.0)
    rss_after = server.rss_kib()
    result["idle"] = {
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "subscriptions": n,
        "kib_per_subscription": round((rss_after - rss_before) / n, 2),
    }

    try:
        for phase, interval in sizes.phases():
            slugs = [f"{phase}-{i + 1}" for i in range(sizes.publishes)]
            titles = [(slug, f"{phase.title()} {i + 1}") for i, slug in enumerate(slugs)]
            client_before = client_cpu_seconds()
            publishes, arrivals, cpu = await publish_and_collect(server, subscribers, titles, interval)
            figures = analyse(publishes, slugs, arrivals)
            figures["interval_s"] = interval
            figures["offered_deliveries_per_s"] = round(n / interval, 1) if interval else None
            figures["server_cpu_s"] = round(cpu, 3)
            figures["client_cpu_s"] = round(client_cpu_seconds() - client_before, 3)
            figures["server_cpu_us_per_delivery"] = (
                round(cpu / figures["received"] * 1e6, 2) if figures["received"] else None
            )
            result[phase] = figures
    finally:
        drop()
    settle, counts = await wait_live(server, http, subscriptions=0, connections=0)
    await asyncio.sleep(0.5)
    result["after_measurement"] = {"settle_s": round(settle, 3), "live": counts, "rss_kib": server.rss_kib()}

    # Connect/disconnect cycles: N subscribers, then every TCP connection dropped without a close
    cycles: list[dict[str, Any]] = []
    for cycle in range(1, sizes.cycles + 1):
        started = time.monotonic()
        await connect(n)
        await wait_live(server, http, subscriptions=n, connections=n)
        connected = time.monotonic() - started
        drop()
        settle, counts = await wait_live(server, http, subscriptions=0, connections=0)
        await asyncio.sleep(0.5)
        rss = server.rss_kib()
        cycles.append(
            {
                "cycle": cycle,
                "connect_s": round(connected, 3),
                "settle_s": round(settle, 3),
                "rss_kib": rss,
                "live_after": counts,
            }
        )
        print(f"   {server.name} cycle {cycle}: RSS {rss / KIB:.1f} MiB", flush=True)
    await asyncio.sleep(1.0)
    result["cycles"] = cycles
    result["final_live"] = await live_counts(server, http)
    result["final_rss_kib"] = server.rss_kib()

    # The publish path alone: the same paced publishes with nobody subscribed. Its CPU, taken from
    # the paced phase's, leaves what the fan-out itself cost per delivery.
    slugs = [f"alone-{i + 1}" for i in range(sizes.publishes)]
    titles = [(slug, f"Alone {i + 1}") for i, slug in enumerate(slugs)]
    publishes, _, cpu = await publish_and_collect(server, [], titles, sizes.interval, idle_timeout=0)
    alone = analyse(publishes, slugs, [])
    paced = result["paced"]
    fanout_cpu = paced["server_cpu_s"] - cpu
    result["publish_alone"] = {
        "server_cpu_s": round(cpu, 3),
        "publishes_failed": alone["publishes_failed"],
        "reply_ms": [row["reply_ms"] for row in alone["publishes"]],
    }
    # /proc counts CPU in clock ticks (10 ms): a difference of a few ticks says nothing.
    resolvable = fanout_cpu >= 5 / os.sysconf("SC_CLK_TCK")
    paced["fanout_cpu_us_per_delivery"] = (
        round(fanout_cpu / paced["received"] * 1e6, 2) if paced["received"] and resolvable else None
    )
    return result


# The whole run


@contextlib.contextmanager
def pinned_clients() -> Iterator[int | None]:
    """Put this process (the clients) on CPU 1 and hand out CPU 0 for servers, when both exist."""
    original = os.sched_getaffinity(0)
    if not {SERVER_CPU, CLIENT_CPU} <= original:
        yield None
        return
    os.sched_setaffinity(0, {CLIENT_CPU})
    try:
        yield SERVER_CPU
    finally:
        os.sched_setaffinity(0, original)


def raise_file_limit() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def machine() -> dict[str, Any]:
    packages = package_versions(
        (
            "accord",
            "strawberry-graphql",
            "graphql-core",
            "starlette",
            "uvicorn",
            "uvloop",
            "httptools",
            "websockets",
            "sqlalchemy",
            "aiosqlite",
            "orjson",
            "httpx",
        )
    )
    commit = git_commit()
    modified = src_modified()
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split()
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cpus_available": sorted(os.sched_getaffinity(0)),
        "memory_mib": int(meminfo[1]) // 1024,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "packages": packages,
        "accord_commit": commit,
        "accord_src_uncommitted_changes": modified,
    }


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


async def run_all(sizes: Sizes, server_cpu: int | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with httpx.AsyncClient() as http:
        for name, start in (("baseline", start_baseline), ("accord", start_accord)):
            workdir = Path(tempfile.mkdtemp(prefix=f"bench-fanout-{name}-"))
            server: Server | None = None
            held: list[Subscriber] = []
            print(f"-- {name}", flush=True)
            try:
                server = start(workdir, server_cpu)
                started = time.monotonic()
                results[name] = await measure(server, sizes, http, held)
                results[name]["seconds"] = round(time.monotonic() - started, 1)
                results[name]["settings"] = server.settings
            except Exception as exc:
                results[name] = {"server": name, "failed": f"{type(exc).__name__}: {exc}"}
                print(f"   {name} failed: {exc}", flush=True)
                if server is not None:
                    results[name]["log_tail"] = server.log_tail()
            finally:
                abort_all(held)
                if server is not None:
                    results.setdefault(name, {})["exit_code"] = await stop(server)
                shutil.rmtree(workdir, ignore_errors=True)
    return results


def verdicts(sizes: Sizes, results: dict[str, Any]) -> list[tuple[str, bool, str]]:
    base, acc = results.get("baseline", {}), results.get("accord", {})
    checks: list[tuple[str, bool, str]] = []
    for name, data in (("baseline", base), ("accord", acc)):
        paced = data.get("paced", {})
        ok = bool(paced) and paced["subscribers_complete"] == sizes.subscribers and not paced["duplicates"]
        checks.append(
            (
                f"{name}: every subscriber gets all {sizes.publishes}",
                ok,
                f"{paced.get('received', 0)}/{sizes.subscribers * sizes.publishes} deliveries, "
                f"{paced.get('subscribers_complete', 0)}/{sizes.subscribers} subscribers complete, "
                f"{paced.get('duplicates', 0)} duplicates",
            )
        )
    paced = acc.get("paced", {})
    p99 = paced.get("latency_ms", {}).get("p99", math.inf)
    checks.append((f"accord p99 < {P99_MS:.0f} ms from the publish request", p99 < P99_MS, f"p99 {p99} ms"))
    a_rate = paced.get("deliveries_per_s", 0.0)
    b_rate = base.get("paced", {}).get("deliveries_per_s", 0.0)
    ratio = a_rate / b_rate if b_rate else math.nan
    ceiling = (
        sizes.subscribers * sizes.publishes / (sizes.interval * (sizes.publishes - 1))
        if sizes.publishes > 1
        else 0
    )
    checks.append(
        (
            f"accord deliveries/s >= {THROUGHPUT_RATIO:.0f}x baseline (paced, open loop)",
            ratio >= THROUGHPUT_RATIO,
            f"{a_rate:.0f}/s vs {b_rate:.0f}/s = {ratio:.2f}x (the schedule offers "
            f"{sizes.subscribers / sizes.interval:.0f}/s; no server can score above "
            f"{ceiling:.0f}/s on this measure)",
        )
    )
    idle = acc.get("idle", {}).get("kib_per_subscription", math.inf)
    checks.append((f"accord < {IDLE_KIB:.0f} KiB per idle subscription", idle < IDLE_KIB, f"{idle} KiB"))
    cycles = acc.get("cycles", [])
    if len(cycles) >= LEVEL_FROM_CYCLE:
        level = cycles[LEVEL_FROM_CYCLE - 1]["rss_kib"]
        last = cycles[-1]["rss_kib"]
        allowed = max(level * LEVEL_FRACTION, LEVEL_KIB)
        zero = all(c["live_after"] == {"connections": 0, "subscriptions": 0} for c in cycles) and acc.get(
            "final_live"
        ) == {"connections": 0, "subscriptions": 0}
        checks.append(
            (
                f"accord memory level after cycle {LEVEL_FROM_CYCLE} (cycle {len(cycles)} within "
                f"{LEVEL_FRACTION:.0%} or {LEVEL_KIB // KIB} MiB)",
                last - level <= allowed,
                f"cycle {LEVEL_FROM_CYCLE} {level / KIB:.1f} MiB, cycle {len(cycles)} {last / KIB:.1f} MiB "
                f"({(last - level) / KIB:+.1f} MiB)",
            )
        )
        checks.append(
            (
                "accord: 0 connections and 0 subscriptions left after every cycle",
                zero,
                f"after settling: {acc.get('final_live')}",
            )
        )
    else:
        checks.append(("accord memory level across cycles", False, "no cycle figures"))
    return checks


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ratio(base: Any, acc: Any) -> str:
    if isinstance(base, int | float) and isinstance(acc, int | float) and base:
        return f"{acc / base:.2f}x"
    return "–"


def table(sizes: Sizes, results: dict[str, Any]) -> list[str]:
    base, acc = results.get("baseline", {}), results.get("accord", {})

    def get(data: dict[str, Any], *path: str) -> Any:
        value: Any = data
        for key in path:
            if isinstance(value, list):
                value = value[int(key)] if -len(value) <= int(key) < len(value) else None
            elif isinstance(value, dict):
                value = value.get(key)
            if value is None:
                return None
        return value

    level = str(LEVEL_FROM_CYCLE - 1)
    mib = 1 / KIB
    # (label, path into a server's results, decimals, scale); "*key" takes the largest over a list
    rows: list[tuple[str, tuple[str, ...], int, float]] = [
        (
            f"connect {sizes.subscribers}, until the server holds all (s)",
            ("connect", "seconds_until_server_holds_all"),
            1,
            1,
        ),
        ("server CPU to accept them (s)", ("connect", "server_cpu_s"), 1, 1),
        ("idle RSS per subscription (KiB)", ("idle", "kib_per_subscription"), 1, 1),
        ("paced: latency p50 (ms)", ("paced", "latency_ms", "p50"), 1, 1),
        ("paced: latency p90 (ms)", ("paced", "latency_ms", "p90"), 1, 1),
        ("paced: latency p99 (ms)", ("paced", "latency_ms", "p99"), 1, 1),
        ("paced: latency max (ms)", ("paced", "latency_ms", "max"), 1, 1),
        ("paced: deliveries received", ("paced", "received"), 0, 1),
        ("paced: subscribers with every publish", ("paced", "subscribers_complete"), 0, 1),
        ("paced: orders seen (1 = every subscriber the same)", ("paced", "distinct_orders"), 0, 1),
        ("paced: deliveries/s", ("paced", "deliveries_per_s"), 0, 1),
        ("paced: slowest publish reply (ms)", ("paced", "publishes", "*reply_ms"), 1, 1),
        ("paced: server CPU (s)", ("paced", "server_cpu_s"), 2, 1),
        ("paced: server CPU per delivery (µs)", ("paced", "server_cpu_us_per_delivery"), 1, 1),
        ("paced: the same, less the publishes' own CPU (µs)", ("paced", "fanout_cpu_us_per_delivery"), 1, 1),
        ("fast: latency p99 (ms)", ("fast", "latency_ms", "p99"), 1, 1),
        ("fast: deliveries received", ("fast", "received"), 0, 1),
        ("fast: deliveries/s", ("fast", "deliveries_per_s"), 0, 1),
        ("fast: server CPU per delivery (µs)", ("fast", "server_cpu_us_per_delivery"), 1, 1),
        ("burst: latency p99 (ms)", ("burst", "latency_ms", "p99"), 1, 1),
        ("burst: deliveries received", ("burst", "received"), 0, 1),
        ("burst: orders seen (1 = every subscriber the same)", ("burst", "distinct_orders"), 0, 1),
        ("burst: deliveries/s", ("burst", "deliveries_per_s"), 0, 1),
        ("burst: server CPU per delivery (µs)", ("burst", "server_cpu_us_per_delivery"), 1, 1),
        (f"RSS after cycle {LEVEL_FROM_CYCLE} (MiB)", ("cycles", level, "rss_kib"), 1, mib),
        *(
            [(f"RSS after cycle {sizes.cycles} (MiB)", ("cycles", "-1", "rss_kib"), 1, mib)]
            if sizes.cycles != LEVEL_FROM_CYCLE
            else []
        ),
        ("subscriptions left after the cycles", ("final_live", "subscriptions"), 0, 1),
    ]
    lines = ["| metric | baseline | accord | ratio (accord ÷ baseline) |", "| --- | ---: | ---: | ---: |"]
    for label, path, digits, scale in rows:
        values = []
        for data in (base, acc):
            if path[-1].startswith("*"):
                key = path[-1][1:]
                items = get(data, *path[:-1]) or []
                found = [item[key] for item in items if item.get(key) is not None]
                value: Any = max(found) if found else None
            else:
                value = get(data, *path)
            if isinstance(value, int | float) and scale != 1:
                value = value * scale
            values.append(value)
        lines.append(
            f"| {label} | {_fmt(values[0], digits)} | {_fmt(values[1], digits)} | {_ratio(*values)} |"
        )
    return lines


def notes(results: dict[str, Any]) -> list[str]:
    """Figures beside the targets (no verdict): capacity and the fan-out's own cost."""
    base, acc = results.get("baseline", {}), results.get("accord", {})
    out = []
    b_fast, a_fast = base.get("fast", {}), acc.get("fast", {})
    if b_fast.get("deliveries_per_s") and a_fast.get("deliveries_per_s"):
        out.append(
            f"info: at {b_fast['offered_deliveries_per_s']:.0f} offered deliveries/s (fast) accord delivered "
            f"{a_fast['deliveries_per_s']:.0f}/s, the baseline {b_fast['deliveries_per_s']:.0f}/s "
            f"({a_fast['deliveries_per_s'] / b_fast['deliveries_per_s']:.2f}x)"
        )
    b_cpu = base.get("paced", {}).get("fanout_cpu_us_per_delivery")
    a_cpu = acc.get("paced", {}).get("fanout_cpu_us_per_delivery")
    if b_cpu and a_cpu:
        out.append(
            f"info: fan-out CPU per delivery, publishes' own CPU taken off: accord {a_cpu:.1f} µs, "
            f"baseline {b_cpu:.1f} µs ({b_cpu / a_cpu:.2f}x less for accord)"
        )
    return out


def _accord_settings(results: dict[str, Any]) -> str:
    settings = results.get("accord", {}).get("settings") or {}
    shown = [f"{key}={value}" for key, value in settings.items() if key != "ACCORD_DATABASE_URL"]
    return "SQLite, defaults but " + ", ".join(shown) if shown else "SQLite, defaults"


def report(sizes: Sizes, data: dict[str, Any], checks: list[tuple[str, bool, str]]) -> str:
    info = data["machine"]
    lines = [
        f"# Live fan-out: accord vs plain strawberry ({'quick' if data['quick'] else 'full'} run)",
        "",
        f"{data['date']} on `{info['hostname']}`: {info['cpu_model']}, {info['cores']} cores, "
        f"{info['memory_mib']:,} MiB, Python {info['python']}, {info['platform']}.",
        f"Servers pinned to CPU {SERVER_CPU}, clients to CPU {CLIENT_CPU}: "
        f"{'yes' if data['pinned'] else 'no (fewer than two CPUs available)'}. "
        f"Load average before/after: {data['load_before']} / {data['load_after']}.",
        f"accord settings: {_accord_settings(data['results'])}.",
        "",
        f"{sizes.subscribers} graphql-transport-ws subscribers to "
        f"`{QUERY}`; {sizes.publishes} publishes one every {sizes.interval * 1000:.0f} ms "
        "(open loop, separate process); latency = frame received − publish request written. "
        f"Fast: the same at {1 / sizes.fast_interval:.0f}/s. Burst: all {sizes.publishes} at once. "
        f"Cycles: {sizes.cycles} × {sizes.subscribers} connects, then TCP abort (no close frame). "
        "Ratio = accord ÷ baseline.",
        "",
        *table(sizes, data["results"]),
        "",
    ]
    for name, passed, detail in checks:
        lines.append(f"- **{'PASS' if passed else 'FAIL'}** {name}: {detail}")
    lines.extend(f"- {note}" for note in notes(data["results"]))
    for name in ("baseline", "accord"):
        failed = data["results"].get(name, {}).get("failed")
        if failed:
            lines.append(f"- {name} did not finish: {failed}")
    return "\n".join(lines) + "\n"


def main(quick: bool = False) -> int:
    sizes = QUICK if quick else FULL
    limits = raise_file_limit()
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    started = time.monotonic()
    with pinned_clients() as server_cpu:
        results = run(run_all(sizes, server_cpu))
    checks = verdicts(sizes, results)
    data = {
        "suite": "fanout",
        "quick": quick,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "sizes": asdict(sizes),
        "pinned": server_cpu is not None,
        "cpu": {"servers": SERVER_CPU, "clients": CLIENT_CPU} if server_cpu is not None else None,
        "nofile_limit": list(limits),
        "load_before": load_before,
        "load_after": load_average(),
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine(),
        "query": QUERY,
        "targets": [{"target": name, "pass": passed, "measured": detail} for name, passed, detail in checks],
        "results": results,
    }
    (RESULTS / "fanout.json").write_text(json.dumps(data, indent=2) + "\n")
    markdown = report(sizes, data, checks)
    (RESULTS / "fanout.md").write_text(markdown)
    print(markdown, flush=True)
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
