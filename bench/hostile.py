"""Hostile documents: what the checks before execution cost, whether other clients wait meanwhile,
and whether memory levels off under documents built to fill caches.

`python -m bench hostile [--quick]` (or `make bench BENCH_ARGS=hostile`) measures, in one run:

1. In process, for each family of tests/hostile_documents.py at the largest size that fits the
   token limit (and a 95 KB comment-padded document at the body limit): the CPU time of preparing it
   (tokens, parse, limits, validation), each time a new text (a unique comment) so no cache helps.
   Baseline in the same run: the same for `{ __typename }` and for the documented front-page query.
2. Over HTTP against `accord serve` (SQLite, the seed fixtures, default settings but for the rate
   limit): the slowest answer to each family (five distinct copies), and the latency of `/healthz`
   polled throughout, beside `/healthz` with no attack.
3. RSS before and after 1,000 distinct documents of 95 KB, read every 100 documents.

Targets: every document under 50 ms of CPU; `/healthz` under 100 ms throughout; RSS levelling off
(the last 300 documents add under 8 MiB). Writes bench/results/hostile.json and hostile.md.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
from tests import hostile_documents as hostile
from tests.harness.databases import seed, sqlite_url
from tests.harness.ports import free_port

from accord.operation.prepare import Limits, Preparer, count_tokens
from accord.schema import build_schema
from bench.machine import cpu_model, git_commit, package_versions

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
ACCORD = str(Path(sys.executable).with_name("accord"))
MAX_TOKENS = 2000
PADDING = "#" + "x" * 95_000 + "\n"
FRONT_PAGE = (PROJECT / "docs" / "queries" / "timeline.graphql").read_text()


def largest(make: Callable[[int], str], low: int = 1, high: int = 5000) -> str:
    """``make(n)`` for the largest n whose document still fits the token limit."""
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(make(middle), MAX_TOKENS + 1) <= MAX_TOKENS:
            low = middle
        else:
            high = middle - 1
    return make(low)


def worst_nested() -> str:
    shapes = [(levels, copies) for levels in range(1, 8) for copies in range(2, 40)]
    fitting = [
        hostile.nested_duplicates(levels, copies)
        for levels, copies in shapes
        if copies**levels <= 2000
        and count_tokens(hostile.nested_duplicates(levels, copies), MAX_TOKENS + 1) <= MAX_TOKENS
    ]
    return max(fitting, key=len)


def families() -> dict[str, str]:
    return {
        "fragment bomb (fan-out 2)": largest(hostile.fragment_bomb),
        "fragment bomb (fan-out 4)": largest(lambda n: hostile.fragment_bomb(n, 4)),
        "same-named fields": largest(hostile.same_named_fields),
        "nested repeats": worst_nested(),
        "deep inline fragments": largest(hostile.deep_inline_fragments),
        "long argument list": largest(hostile.long_argument_list),
        "many directives": largest(hostile.many_directives),
        "deep list argument": largest(hostile.deep_list_argument),
        "many aliases": largest(hostile.many_aliases),
        "fragment chain": largest(hostile.fragment_chain),
        "many variables": largest(hostile.many_variables),
        "95 KB of comment": PADDING + "{ __typename }",
    }


def unique(document: str) -> str:
    """The same document under a new text: no cache can answer it."""
    return f"# {uuid.uuid4().hex}\n{document}"


def prepare_cpu(document: str, repeats: int) -> list[float]:
    """CPU milliseconds of preparing ``document``, each time as a new text (this process's CPU clock:
    other processes on a shared machine do not count, as they would in the wall clock)."""
    preparer = Preparer(build_schema()._schema, Limits())
    # As a running server is: its first request has warmed what warms (lazy imports, compiled
    # patterns), and what it built at startup is out of the cyclic collector's reach (accord.app
    # freezes it once the server has started), so a collection scans only what requests made.
    preparer.prepare(unique(document))
    gc.freeze()
    times = []
    for _ in range(repeats):
        text = unique(document)
        started = time.process_time()
        preparer.prepare(text)
        times.append((time.process_time() - started) * 1000)
    return times


class Server:
    def __init__(self, directory: Path) -> None:
        url = sqlite_url(directory)
        seed(url)
        self.port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
        env |= {"ACCORD_DATABASE_URL": url, "ACCORD_RATE_LIMIT": "false", "ACCORD_LOG_LEVEL": "warning"}
        self.log = (directory / "accord.log").open("wb")
        self.process = subprocess.Popen(
            [ACCORD, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("accord serve did not start")

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def poll_health(url: str, stop: threading.Event, waits: list[float]) -> None:
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(f"{url}/healthz")
            waits.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)


def under_attack(server: Server, documents: dict[str, str], copies: int) -> dict[str, Any]:
    idle: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=poll_health, args=(server.url, stop, idle))
    poller.start()
    time.sleep(2)
    stop.set()
    poller.join()
    busy: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=poll_health, args=(server.url, stop, busy))
    poller.start()
    answers: dict[str, Any] = {}
    with httpx.Client(timeout=60) as client:
        for name, document in documents.items():
            slowest, statuses = 0.0, set()
            for _ in range(copies):
                started = time.perf_counter()
                response = client.post(f"{server.url}/graphql", json={"query": unique(document)})
                slowest = max(slowest, (time.perf_counter() - started) * 1000)
                statuses.add(response.status_code)
            answers[name] = {"slowest_ms": round(slowest, 2), "statuses": sorted(statuses)}
    stop.set()
    poller.join()
    return {
        "answers": answers,
        "healthz_idle_ms": {"p50": round(statistics.median(idle), 2), "max": round(max(idle), 2)},
        "healthz_under_attack_ms": {
            "p50": round(statistics.median(busy), 2),
            "p99": round(sorted(busy)[int(len(busy) * 0.99) - 1], 2),
            "max": round(max(busy), 2),
            "polls": len(busy),
        },
    }


def memory(server: Server, documents: int) -> list[dict[str, int]]:
    readings = [{"documents": 0, "rss_mib": server.rss() // 2**20}]
    with httpx.Client(timeout=60) as client:
        for sent in range(1, documents + 1):
            document = f"{PADDING}query Q{uuid.uuid4().hex} {{ events(first: 1) {{ totalCount }} }}"
            client.post(f"{server.url}/graphql", json={"query": document})
            if sent % 100 == 0:
                readings.append({"documents": sent, "rss_mib": server.rss() // 2**20})
    return readings


def report(data: dict[str, Any]) -> str:
    lines = [
        "# Hostile documents",
        "",
        f"{data['date']}, commit {data['commit'][:12]}, {data['machine']['cpu']}. "
        "CPU of preparing a new text of each document in process (median / max of "
        f"{data['repeats']}), and the slowest of {data['copies']} answers over HTTP.",
        "",
        "| document | bytes | prepare CPU ms (median / max) | slowest answer ms | status |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, row in data["documents"].items():
        over_http = data["attack"]["answers"].get(name, {})
        lines.append(
            f"| {name} | {row['bytes']:,} | {row['cpu_ms_median']:.2f} / {row['cpu_ms_max']:.2f} | "
            f"{over_http.get('slowest_ms', '–')} | {', '.join(map(str, over_http.get('statuses', [])))} |"
        )
    idle, busy = data["attack"]["healthz_idle_ms"], data["attack"]["healthz_under_attack_ms"]
    lines += [
        "",
        f"`/healthz` with no attack: p50 {idle['p50']} ms, max {idle['max']} ms; during the attack "
        f"({busy['polls']} polls): p50 {busy['p50']} ms, p99 {busy['p99']} ms, max {busy['max']} ms.",
        "",
        "RSS (MiB) after N distinct documents of 95 KB: "
        + ", ".join(f"{r['documents']}: {r['rss_mib']}" for r in data["memory"])
        + ".",
        "",
        "| target | pass | measured |",
        "| --- | --- | --- |",
    ]
    lines += [
        f"| {t['target']} | {'PASS' if t['pass'] else 'FAIL'} | {t['measured']} |" for t in data["targets"]
    ]
    return "\n".join(lines) + "\n"


def main(quick: bool = False) -> int:
    repeats, copies, documents_sent = (5, 2, 400) if quick else (20, 5, 1000)
    documents = families()
    baselines = {"baseline: { __typename }": "{ __typename }", "baseline: front page": FRONT_PAGE}
    measured: dict[str, Any] = {}
    for name, document in {**baselines, **documents}.items():
        times = prepare_cpu(document, repeats)
        measured[name] = {
            "bytes": len(document.encode()),
            "tokens": count_tokens(document, 10**9),
            "cpu_ms_median": statistics.median(times),
            "cpu_ms_max": max(times),
        }
    with tempfile.TemporaryDirectory(prefix="accord-hostile-") as directory:
        server = Server(Path(directory))
        try:
            attack = under_attack(server, {**baselines, **documents}, copies)
            readings = memory(server, documents_sent)
        finally:
            server.stop()
    worst = max(row["cpu_ms_max"] for name, row in measured.items() if name in documents)
    front = measured["baseline: front page"]["cpu_ms_median"]
    health = attack["healthz_under_attack_ms"]["max"]
    tail = readings[-1]["rss_mib"] - readings[-4]["rss_mib"]
    server_errors = [
        name for name, row in attack["answers"].items() if any(s >= 500 for s in row["statuses"])
    ]
    targets = [
        {
            "target": "every document under 50 ms of CPU",
            "pass": worst < 50,
            "measured": f"worst {worst:.2f} ms ({worst / front:.1f}x the front page's {front:.2f} ms)",
        },
        {"target": "/healthz under 100 ms throughout", "pass": health < 100, "measured": f"max {health} ms"},
        {
            "target": "RSS levels off (last 300 documents add < 8 MiB)",
            "pass": tail < 8,
            "measured": (
                f"{tail} MiB over the last 300 ({readings[0]['rss_mib']} → {readings[-1]['rss_mib']} MiB)"
            ),
        },
        {"target": "no 5xx", "pass": not server_errors, "measured": ", ".join(server_errors) or "none"},
    ]
    data = {
        "suite": "hostile",
        "quick": quick,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "packages": package_versions(["strawberry-graphql", "graphql-core", "uvicorn", "starlette"]),
        },
        "repeats": repeats,
        "copies": copies,
        "documents": {name: row for name, row in measured.items()},
        "attack": attack,
        "memory": readings,
        "targets": targets,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hostile.json").write_text(json.dumps(data, indent=2) + "\n")
    markdown = report(data)
    (RESULTS / "hostile.md").write_text(markdown)
    print(markdown, flush=True)
    return 0 if all(target["pass"] for target in targets) else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
