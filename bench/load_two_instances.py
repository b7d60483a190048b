"""Two accord instances on one PostgreSQL database and one Redis, under mixed load: no errors, no lost write.

`.venv/bin/python -m bench.load_two_instances [--seconds 60] [--quick] [--clients 50]`
(not part of `make test`; --quick runs 10 s).

The set-up is the production topology of docs/operations.md on one machine: a throw-away PostgreSQL
cluster and Redis server (tests/harness), a database migrated and seeded with the bundled fixtures,
and two `accord serve` processes (one worker each) on it with ACCORD_REDIS_URL (so fan-out goes
through Redis) and ACCORD_RATE_LIMIT=false (every client is 127.0.0.1); other settings are the
defaults. An editor token is made with `accord token create`.

The load, for --seconds: --clients concurrent clients (asyncio + httpx, closed loop: each sends its
next request when the last is answered), each alternating between the two instances, picking at
random (seeded) among: the events page, an event by slug (half of the time one that this run
created), a partner page, a search, the milestones Atom feed and the JSON feed. Beside them, one
write per second on a fixed schedule, alternating instances: createEvent with a unique slug,
isMilestone true, status PUBLISHED. One graphql-transport-ws subscriber per instance listens to
milestoneAdded throughout.

An error is any status other than 200, any GraphQL error, an answer without the expected data (an
event or partner that is not found, a feed that is not a feed) or a transport failure. Latency is
from sending the request to reading the whole answer, in the client process. The clients drop idle
keep-alive connections after 2 s, before uvicorn does (5 s), as a load balancer in front of accord
must (docs/operations.md): with httpx's default of 5 s, a request now and then goes out on a
connection the server is closing and fails with a reset.

Afterwards, no lost write: every created slug is readable on both instances, the change log and
the revisions grew by exactly the number of writes (and as many published milestones), the
events' totalCount grew by the same on both instances, and each instance's subscriber received
every created milestone exactly once.

Writes bench/results/load_two_instances.json (every figure, error samples, the machine) and .md.
Acceptance: 0 errors and no lost write (the checks marked "write"). The subscribers' deliveries are
reported beside it (checks marked "live"); the exit status is 1 when any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from tests.harness.databases import seed
from tests.harness.postgres import postgres_bin, running_postgres
from tests.harness.redis import running_redis
from tests.harness.server import LiveServer, live_server
from tests.harness.tokens import bearer, create_token
from tests.harness.ws import WSClient, ws_client

from bench.machine import cpu_model, git_commit, package_versions, src_modified

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
NAME = "load_two_instances"

EVENTS_PAGE = """query EventsPage($first: Int!) {
  events(first: $first, orderBy: DATE_DESC) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { slug title isMilestone date { label } partners { slug shortName } } }
  }
}"""
EVENT_PAGE = """query EventPage($slug: String!) {
  event(slug: $slug) {
    id slug title summary kind isMilestone status
    date { iso precision label } endDate { iso label } places tags publishedAt updatedAt
    partners { id slug name shortName kind country }
    agreements { id slug title kind signedOn { iso label } parties { slug name } }
    exhibits { id slug title kind imageUrl }
  }
}"""
PARTNER_PAGE = """query PartnerPage($slug: String!, $first: Int!) {
  partner(slug: $slug) {
    id slug name shortName kind country website
    agreements { slug title kind signedOn { iso label } }
    events(first: $first, orderBy: DATE_DESC) {
      totalCount
      edges { node { slug title date { label } isMilestone } }
    }
  }
}"""
SEARCH = """query Search($query: String!, $first: Int!) {
  search(query: $query, first: $first) {
    __typename
    ... on Event { slug title date { label } }
    ... on Partner { slug name shortName }
    ... on Agreement { slug title }
    ... on Exhibit { slug title }
  }
}"""
CREATE = """mutation CreateMilestone($input: EventInput!) {
  createEvent(input: $input) { id slug status isMilestone }
}"""
CHECK = "query Check($slug: String!) { event(slug: $slug) { slug status isMilestone } }"
TOTAL = "query Total { events { totalCount } }"
SUBSCRIPTION = "subscription Milestones { milestoneAdded { slug } }"
SEARCH_TERMS = ["customs", "APEC", "AEO", "WCO", "single window", "trade facilitation", "海關", "Korea"]

# The mix of reads, by weight.
READS = {
    "events page": 25,
    "event by slug": 25,
    "partner page": 15,
    "search": 15,
    "feed atom": 10,
    "feed json": 10,
}
KINDS = [*READS, "write"]
SAMPLES_PER_KIND = 5
KEEPALIVE_EXPIRY = 2.0  # seconds: below uvicorn's 5 s keep-alive timeout (see measure())


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0  # transport failures: no latency to record
    errors: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def error(self, sample: dict[str, Any]) -> None:
        self.errors += 1
        if len(self.samples) < SAMPLES_PER_KIND:
            self.samples.append(sample)


@dataclass
class Run:
    servers: list[LiveServer]
    clients: list[httpx.AsyncClient]
    token: dict[str, str]
    event_slugs: list[str]
    partner_slugs: list[str]
    prefix: str
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    by_instance: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    async def timed(
        self, kind: str, index: int, send: Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]
    ) -> httpx.Response | None:
        """Send one request to instance `index`; record its latency, or the failure."""
        server, client = self.servers[index], self.clients[index]
        started = time.perf_counter()
        try:
            response = await send(client, server.url)
        except httpx.HTTPError as exc:
            self.tallies[kind].unanswered += 1
            self.tallies[kind].error(
                {
                    "instance": index + 1,
                    "at_s": round(time.perf_counter() - self.started, 2),
                    "transport": f"{type(exc).__name__}: {exc}",
                }
            )
            return None
        self.tallies[kind].latencies.append(time.perf_counter() - started)
        instance = response.headers.get("x-accord-instance", "?")
        self.by_instance[instance] = self.by_instance.get(instance, 0) + 1
        if response.status_code != 200:
            self.tallies[kind].error(
                {"instance": index + 1, "status": response.status_code, "body": response.text[:300]}
            )
            return None
        return response


def graphql_data(response: httpx.Response) -> tuple[dict[str, Any] | None, str | None]:
    """The answer's data, or why it is not a good answer."""
    try:
        body = response.json()
    except ValueError:
        return None, f"not JSON: {response.text[:200]}"
    if body.get("errors"):
        return None, json.dumps(body["errors"])[:300]
    data = body.get("data")
    if not isinstance(data, dict):
        return None, f"no data: {response.text[:200]}"
    return data, None


async def read(run: Run, kind: str, index: int, rng: random.Random) -> None:
    tally = run.tallies[kind]
    if kind in ("feed atom", "feed json"):
        path = "/feeds/milestones.atom" if kind == "feed atom" else "/feeds/milestones.json"
        response = await run.timed(kind, index, lambda client, url: client.get(url + path))
        if response is None:
            return
        if kind == "feed atom":
            good = "<feed" in response.text[:500]
        else:
            try:
                good = isinstance(response.json().get("items"), list)
            except ValueError:
                good = False
        if not good:
            tally.error({"instance": index + 1, "body": response.text[:200]})
        return
    variables: dict[str, Any]
    if kind == "events page":
        document, variables, expect = EVENTS_PAGE, {"first": 20}, "events"
    elif kind == "event by slug":
        mine = run.created and rng.random() < 0.5
        slug = rng.choice(run.created) if mine else rng.choice(run.event_slugs)
        document, variables, expect = EVENT_PAGE, {"slug": slug}, "event"
    elif kind == "partner page":
        document, variables = PARTNER_PAGE, {"slug": rng.choice(run.partner_slugs), "first": 10}
        expect = "partner"
    else:
        document, variables, expect = SEARCH, {"query": rng.choice(SEARCH_TERMS), "first": 10}, "search"
    body = {"query": document, "variables": variables}
    response = await run.timed(kind, index, lambda client, url: client.post(url + "/graphql", json=body))
    if response is None:
        return
    data, problem = graphql_data(response)
    if problem is None and data is not None and data.get(expect) is None:
        problem = f"{expect} is null for {json.dumps(variables)}"
    if problem is not None:
        tally.error({"instance": index + 1, "graphql": problem})


async def reader(run: Run, number: int, deadline: float) -> None:
    rng = random.Random(number)
    kinds, weights = list(READS), list(READS.values())
    sent = 0
    while time.perf_counter() < deadline:
        kind = rng.choices(kinds, weights)[0]
        await read(run, kind, (number + sent) % 2, rng)
        sent += 1


async def write(run: Run, n: int) -> None:
    slug = f"{run.prefix}-{n:04d}"
    variables = {
        "input": {
            "slug": slug,
            "title": {"en": f"Load test milestone {n}", "zhTw": f"負載測試里程碑 {n}"},
            "date": {"year": 2026, "month": 1 + n % 12},
            "kind": "OTHER",
            "isMilestone": True,
            "status": "PUBLISHED",
            "tags": ["load-test"],
        }
    }
    body = {"query": CREATE, "variables": variables}
    response = await run.timed(
        "write",
        n % 2,
        lambda client, url: client.post(url + "/graphql", json=body, headers=run.token),
    )
    if response is None:
        return
    data, problem = graphql_data(response)
    created = (data or {}).get("createEvent") or {}
    if problem is None and created.get("slug") != slug:
        problem = f"unexpected answer {json.dumps(data)[:200]}"
    if problem is not None:
        run.tallies["write"].error({"instance": n % 2 + 1, "slug": slug, "graphql": problem})
        return
    run.created.append(slug)


async def writer(run: Run, started: float, seconds: float) -> int:
    """One write per second on a fixed schedule (a slow write does not delay the next)."""
    tasks: list[asyncio.Task[None]] = []
    n = 0
    while n < seconds:
        await asyncio.sleep(max(0.0, started + n - time.perf_counter()))
        tasks.append(asyncio.create_task(write(run, n)))
        n += 1
    await asyncio.gather(*tasks)
    return n


async def listen(client: WSClient, received: list[str], changed: asyncio.Event) -> None:
    while True:
        payload = await client.next_payload("1", timeout=3600)
        received.append(payload["data"]["milestoneAdded"]["slug"])
        changed.set()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of `values` (seconds), in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """CPU time of a process (user + system), with its waited-for children's when asked."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    times = [int(value) for value in fields[11:15]]  # utime stime cutime cstime
    return sum(times if reaped_children else times[:2]) / TICKS


def postgres_cpu_seconds(data_dir: Path) -> float:
    """The cluster's CPU time: the postmaster, its live children and the ones that have exited."""
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    total = cpu_seconds(postmaster, reaped_children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == postmaster:
                    total += cpu_seconds(int(entry.name))
    return total


def database_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM change_log), "
            "(SELECT count(*) FROM change_log WHERE milestone_published), "
            "(SELECT count(*) FROM revision), (SELECT count(*) FROM event)"
        ).fetchone()
    assert row is not None
    return dict(zip(("changes", "milestones_published", "revisions", "events"), map(int, row), strict=True))


def published_slugs(url: str, table: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT slug FROM {table} WHERE status = 'PUBLISHED' ORDER BY slug").fetchall()
    return [str(row[0]) for row in rows]


async def total_events(client: httpx.AsyncClient, server: LiveServer) -> int:
    response = await client.post(server.graphql_url, json={"query": TOTAL})
    data, problem = graphql_data(response)
    assert data is not None, problem
    return int(data["events"]["totalCount"])


async def readable_everywhere(run: Run) -> dict[str, list[str]]:
    """The created slugs that some instance does not serve as a published milestone."""
    missing: dict[str, list[str]] = {}
    for index, (server, client) in enumerate(zip(run.servers, run.clients, strict=True)):
        lost = []
        for slug in run.created:
            response = await client.post(
                server.graphql_url, json={"query": CHECK, "variables": {"slug": slug}}
            )
            data, _ = graphql_data(response)
            event = (data or {}).get("event") or {}
            if event.get("status") != "PUBLISHED" or event.get("isMilestone") is not True:
                lost.append(slug)
        missing[f"accord-{index + 1}"] = lost
    return missing


async def measure(seconds: float, clients: int, log_dir: Path) -> dict[str, Any]:
    with running_postgres() as pg, running_redis() as redis:
        url = pg.url(pg.create_database("accord_load"))
        seed(url)
        env = {"ACCORD_REDIS_URL": redis.url, "ACCORD_RATE_LIMIT": "false"}
        with (
            live_server(url, log_dir, extra_env=env) as first,
            live_server(url, log_dir, extra_env=env) as second,
        ):
            token = bearer(create_token(first.env, "load-test"))
            # uvicorn closes a keep-alive connection after 5 s idle; httpx also keeps them 5 s by default,
            # so now and then it sends a request on a connection the server is closing (a reset). A
            # client, like a load balancer, must give up idle connections before the server does.
            limits = httpx.Limits(
                max_connections=clients + 10,
                max_keepalive_connections=clients + 10,
                keepalive_expiry=KEEPALIVE_EXPIRY,
            )
            async with (
                httpx.AsyncClient(timeout=30, limits=limits) as one,
                httpx.AsyncClient(timeout=30, limits=limits) as two,
            ):
                run = Run(
                    servers=[first, second],
                    clients=[one, two],
                    token=token,
                    event_slugs=published_slugs(url, "event"),
                    partner_slugs=published_slugs(url, "partner"),
                    prefix=f"load-{uuid.uuid4().hex[:8]}",
                )
                totals_before = [await total_events(one, first), await total_events(two, second)]
                counts_before = database_counts(url)
                received: list[list[str]] = [[], []]
                changed = asyncio.Event()
                async with ws_client(first.ws_url) as sub_one, ws_client(second.ws_url) as sub_two:
                    instances = {sub_one.ack.get("instance"), sub_two.ack.get("instance")}
                    listeners = []
                    for sub, into in ((sub_one, received[0]), (sub_two, received[1])):
                        await sub.subscribe("1", SUBSCRIPTION)
                        listeners.append(asyncio.create_task(listen(sub, into, changed)))
                    await asyncio.sleep(0.5)
                    load_before = os.getloadavg()
                    pids = [first.process.pid, second.process.pid]
                    cpu_before = [cpu_seconds(pid) for pid in pids] + [postgres_cpu_seconds(pg.data_dir)]
                    started = run.started = time.perf_counter()
                    deadline = started + seconds
                    writes = asyncio.create_task(writer(run, started, seconds))
                    await asyncio.gather(*(reader(run, n, deadline) for n in range(clients)))
                    attempted = await writes
                    elapsed = time.perf_counter() - started
                    load_after = os.getloadavg()
                    cpu_after = [cpu_seconds(pid) for pid in pids] + [postgres_cpu_seconds(pg.data_dir)]
                    # Deliveries: the signal goes through Redis; the safety poll (5 s) backs it up.
                    wait_until = time.perf_counter() + 20
                    while True:
                        changed.clear()  # before looking, so that no delivery goes unnoticed
                        remaining = wait_until - time.perf_counter()
                        if remaining <= 0 or all(len(set(got)) >= len(run.created) for got in received):
                            break
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(changed.wait(), remaining)
                    await asyncio.sleep(0.5)  # room for a duplicate to show up
                    for task in listeners:
                        task.cancel()
                    await asyncio.gather(*listeners, return_exceptions=True)
                missing = await readable_everywhere(run)
                totals_after = [await total_events(one, first), await total_events(two, second)]
                counts_after = database_counts(url)
    ok_writes = len(run.created)
    growth = {key: counts_after[key] - counts_before[key] for key in counts_before}
    deliveries: dict[str, dict[str, Any]] = {
        f"accord-{n + 1}": {
            "received": len(got),
            "distinct": len(set(got)),
            "missing": sorted(set(run.created) - set(got)),
            "unexpected": sorted(set(got) - set(run.created)),
        }
        for n, got in enumerate(received)
    }
    checks = [
        check("writes attempted = writes succeeded", attempted, ok_writes),
        check("subscribers on two distinct instances", 2, len(instances - {None})),
        check("requests answered by two distinct instances", 2, len(run.by_instance)),
        *(
            check(f"created slugs not readable on {name}", 0, len(lost), detail=lost[:10])
            for name, lost in missing.items()
        ),
        check("change_log rows added", ok_writes, growth["changes"]),
        check("change_log rows that published a milestone", ok_writes, growth["milestones_published"]),
        check("revisions added", ok_writes, growth["revisions"]),
        check("event rows added", ok_writes, growth["events"]),
        *(
            check(f"events totalCount growth on accord-{n + 1}", ok_writes, after - before)
            for n, (before, after) in enumerate(zip(totals_before, totals_after, strict=True))
        ),
        *(
            check(
                f"milestones delivered once to the subscriber on {name}",
                ok_writes,
                d["distinct"] if d["received"] == d["distinct"] and not d["unexpected"] else -1,
                detail={"missing": d["missing"][:10], "received": d["received"]},
                group="live",
            )
            for name, d in deliveries.items()
        ),
    ]
    kinds: dict[str, dict[str, Any]] = {}
    for kind, tally in run.tallies.items():
        kinds[kind] = {
            "requests": len(tally.latencies) + tally.unanswered,
            "errors": tally.errors,
            "per_second": round(len(tally.latencies) / elapsed, 1),
            "p50_ms": round(percentile(tally.latencies, 0.50), 1),
            "p99_ms": round(percentile(tally.latencies, 0.99), 1),
            "max_ms": round(max(tally.latencies, default=float("nan")) * 1000, 1),
            "error_samples": tally.samples,
        }
    all_latencies = [value for tally in run.tallies.values() for value in tally.latencies]
    total = {
        "requests": sum(k["requests"] for k in kinds.values()),
        "errors": sum(k["errors"] for k in kinds.values()),
        "per_second": round(len(all_latencies) / elapsed, 1),
        "p50_ms": round(percentile(all_latencies, 0.50), 1),
        "p99_ms": round(percentile(all_latencies, 0.99), 1),
        "max_ms": round(max(all_latencies, default=float("nan")) * 1000, 1),
    }
    return {
        "seconds": round(elapsed, 2),
        "clients": clients,
        "client_keepalive_expiry_s": KEEPALIVE_EXPIRY,
        "writes": {"attempted": attempted, "succeeded": ok_writes},
        "kinds": kinds,
        "total": total,
        "by_instance": run.by_instance,
        "deliveries": deliveries,
        "database_growth": growth,
        "checks": checks,
        "load_average": {"before": list(load_before), "after": list(load_after)},
        "cpu_seconds": cpu_use(cpu_before, cpu_after, len(all_latencies)),
    }


def cpu_use(before: list[float], after: list[float], answered: int) -> dict[str, float]:
    """CPU time used during the load by each accord instance and by PostgreSQL, and per request:
    less sensitive than requests/s to whatever else the machine is doing."""
    used = [round(b - a, 2) for a, b in zip(before, after, strict=True)]
    servers = used[0] + used[1]
    return {
        "accord-1": used[0],
        "accord-2": used[1],
        "postgresql": used[2],
        "accord_ms_per_request": round(servers * 1000 / max(answered, 1), 2),
        "postgresql_ms_per_request": round(used[2] * 1000 / max(answered, 1), 2),
    }


def check(name: str, expected: Any, got: Any, detail: Any = None, group: str = "write") -> dict[str, Any]:
    """One verdict: group "write" is the acceptance (no lost write), "live" the subscribers'."""
    ok = expected == got
    return {"check": name, "group": group, "expected": expected, "got": got, "ok": ok, "detail": detail}


def machine() -> dict[str, Any]:
    packages = package_versions(
        ("accord", "strawberry-graphql", "starlette", "uvicorn", "sqlalchemy", "psycopg", "redis")
    )
    commit = git_commit(short=True)
    dirty = src_modified()
    redis_version = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError, IndexError):
        redis_version = (
            subprocess.run(["redis-server", "--version"], capture_output=True, text=True, check=False)
            .stdout.split(" v=")[1]
            .split()[0]
        )
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "redis_server": redis_version,
        "postgresql": postgres_bin().parent.name,
        "accord_commit": commit,
        "accord_src_uncommitted_changes": dirty,
    }


def table(result: dict[str, Any]) -> list[str]:
    rows = [
        "| kind | requests | errors | req/s | p50 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, k in [*result["kinds"].items(), ("**all**", result["total"])]:
        rows.append(
            f"| {kind} | {k['requests']:,} | {k['errors']} | {k['per_second']:,} | {k['p50_ms']:,} "
            f"| {k['p99_ms']:,} | {k['max_ms']:,} |"
        )
    return rows


def checks_table(result: dict[str, Any]) -> list[str]:
    rows = ["| check | group | expected | got | |", "| --- | --- | ---: | ---: | --- |"]
    for c in result["checks"]:
        verdict = "PASS" if c["ok"] else "**FAIL**"
        rows.append(f"| {c['check']} | {c['group']} | {c['expected']} | {c['got']} | {verdict} |")
    failed = [c for c in result["checks"] if not c["ok"] and c["detail"]]
    if failed:
        rows.append("")
        rows += [f"- {c['check']}: {json.dumps(c['detail'], ensure_ascii=False)}" for c in failed]
    return rows


def markdown(result: dict[str, Any]) -> str:
    info = result["machine"]
    verdict = "**PASS**" if result["accepted"] else "**FAIL**"
    live = "**PASS**" if result["live_deliveries_complete"] else "**FAIL**"
    lines = [
        "# Two instances under load",
        "",
        f"`python -m bench.load_two_instances` (see its docstring), {result['started']}, "
        f"{result['seconds']} s, {result['clients']} clients, one write a second.",
        "",
        f"Two `accord serve` processes (one worker each) on one PostgreSQL {info['postgresql']} database, "
        f"fan-out through Redis {info['redis_server']}, on `{info['hostname']}`: {info['cpus']} CPUs "
        f"({info['cpu_model']}), Python {info['python']}; accord at {info['accord_commit']}"
        + (" plus uncommitted changes in src/" if info["accord_src_uncommitted_changes"] else "")
        + ". The load generator runs on the same machine. Load average "
        f"{result['load_average']['before'][0]:.2f} before, "
        f"{result['load_average']['after'][0]:.2f} at the end.",
        "",
        *table(result),
        "",
        "Requests per instance (X-Accord-Instance): "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(result["by_instance"].items())),
        "",
        f"CPU during the load: accord-1 {result['cpu_seconds']['accord-1']} s, accord-2 "
        f"{result['cpu_seconds']['accord-2']} s, PostgreSQL {result['cpu_seconds']['postgresql']} s; "
        f"per request answered: accord {result['cpu_seconds']['accord_ms_per_request']} ms, "
        f"PostgreSQL {result['cpu_seconds']['postgresql_ms_per_request']} ms.",
        "",
        *checks_table(result),
        "",
        f"Acceptance (0 errors, no lost write): {verdict}. "
        f"Live deliveries (each subscriber got every milestone once): {live}.",
        "",
    ]
    return "\n".join(lines)


def main(quick: bool = False, seconds: float | None = None, clients: int = 50) -> int:
    duration = seconds if seconds is not None else (10.0 if quick else 60.0)
    log_dir = Path(tempfile.mkdtemp(prefix="accord-load-"))
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{NAME}: {duration:g} s, {clients} clients, two instances; server logs in {log_dir}", flush=True)
    result = asyncio.run(measure(duration, clients, log_dir))
    errors = result["total"]["errors"]
    result |= {
        "started": started,
        "machine": machine(),
        "accepted": errors == 0 and all(c["ok"] for c in result["checks"] if c["group"] == "write"),
        "live_deliveries_complete": all(c["ok"] for c in result["checks"] if c["group"] == "live"),
        "server_logs": str(log_dir),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{NAME}.md").write_text(markdown(result))
    print("\n".join(table(result)))
    print(f"CPU seconds: {json.dumps(result['cpu_seconds'])}")
    print()
    print("\n".join(checks_table(result)))
    for kind, k in result["kinds"].items():
        for sample in k["error_samples"]:
            print(f"error ({kind}): {json.dumps(sample, ensure_ascii=False)}")
    print(
        f"\naccepted (0 errors, no lost write): {result['accepted']}; "
        f"live deliveries complete: {result['live_deliveries_complete']}; "
        f"wrote bench/results/{NAME}.json and .md"
    )
    return 0 if result["accepted"] and result["live_deliveries_complete"] else 1


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m bench.{NAME}", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=None, help="how long to load (default 60)")
    parser.add_argument("--quick", action="store_true", help="10 s instead of 60 (a smoke run)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent reading clients (default 50)")
    args = parser.parse_args(argv)
    return main(quick=args.quick, seconds=args.seconds, clients=args.clients)


if __name__ == "__main__":
    sys.exit(cli())
