"""HTTP reads: accord's GraphQL and feed reads under load, beside baselines, at four data sizes.

`python -m bench http [--quick]` (or `make bench BENCH_ARGS=http`) runs, one server at a time:

- accord (`accord serve`, one process, defaults but for ACCORD_RATE_LIMIT=false: every request comes
  from 127.0.0.1) on SQLite with the seed fixtures and with `accord fixtures synth --events N
  --seed 20240601` for N = 1k, 10k and 100k; every workload of bench/workloads.py uncached and
  cached; then on PostgreSQL with the same synthetic rows (10k);
- (a) bare Starlette answering accord's own W1 bytes; (b) plain strawberry `{ hello }`;
  (c) W1 the naive way (strawberry + SQLModel, N+1); (d) accord with ACCORD_RESPONSE_CACHE=false;
  (e) PostGraphile 4.14.1 over the PostgreSQL database accord was loaded into.

Load: autocannon (the project's node_modules) with 32 connections on loopback, a 2 s warm-up, then
the median of 3 runs per cell: 10 s at 10k (SQLite and PostgreSQL, where every baseline runs), 5 s at
the seed, 1k and 100k, to stay near 25 minutes (--quick: 1 run of 3 s, smaller sizes). The server runs
on CPU 0 and autocannon on CPU 1 (taskset) when both exist; PostgreSQL is not pinned. Every accord
process imports a copy of src/ taken when the run starts. docs/performance.md explains the figures.

Writes bench/results/http.json (every run, the machine), http.md (tables, targets) and http.png;
`python -m bench.http_reads --report` writes http.md and http.png again from http.json.
Knobs for partial runs while developing (the defaults are the documented run):
BENCH_HTTP_SIZES=seed,1k (SQLite sizes), BENCH_HTTP_POSTGRES=0, BENCH_HTTP_DURATION=S, BENCH_HTTP_RUNS=N.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
from tests.harness.postgres import PostgresServer

from bench import pgcluster
from bench.machine import cpu_model, git_commit, output, package_versions
from bench.workloads import (
    BY_KEY,
    HELLO,
    HELLO_ANSWER,
    NONCE,
    POSTGRAPHILE_W1,
    SEARCH_QUERY,
    WORKLOADS,
    Picks,
    Workload,
    check_postgraphile_w1,
    picks_from_postgres,
    picks_from_sqlite,
    same_rows,
)

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
ACCORD = str(Path(sys.executable).with_name("accord"))
AUTOCANNON = PROJECT / "node_modules" / "autocannon" / "autocannon.js"
POSTGRAPHILE_DIR = PROJECT / "bench" / "postgraphile"
POSTGRAPHILE_CLI = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js"
SEED = 20240601
CONNECTIONS = 32
SERVER_CPU, LOAD_CPU = 0, 1
MB = 1_000_000
MODES = ("uncached", "cached")

# Targets (measured against baselines of the same run)
CACHED_VS_BARE = 0.5
PG_VS_POSTGRAPHILE = 1.0
NAIVE_FACTOR = 3.0
HELLO_FRACTION = 0.4
FLAT_WITHIN = 0.2
RSS_LIMIT_MB = 300
# A cell is not load-tested when one request alone, times the connections, would pass accord's
# execution timeout (ACCORD_EXECUTION_TIMEOUT_SECONDS, 5 s): every request would queue past it (504).
TIMEOUT_MS = 5000
SEQUENTIAL = 5  # requests one after another, on one connection, before the load
CLIENT_TIMEOUT_S = 30


@dataclass(frozen=True)
class Plan:
    duration: int  # seconds per measured run
    runs: int  # per cell; the median is reported
    warmup: int  # seconds, once per cell
    sqlite_sizes: tuple[int | None, ...]  # events; None: the bundled seed fixtures
    postgres_size: int | None
    # (events, seconds): shorter runs for some sizes, to keep the whole run near 25 minutes; 0: the seed
    short_duration: tuple[tuple[int, int], ...] = ()
    # (workload, mode) measured on PostgreSQL (all of them when empty)
    postgres_cells: tuple[tuple[str, str], ...] = ()
    # SQLite sizes (events, 0: the seed) that also run (d), accord without its response cache (all when empty)
    nocache_sizes: tuple[int, ...] = ()

    def duration_for(self, events: int | None) -> int:
        for size, seconds in self.short_duration:
            if (events or 0) == size:
                return min(seconds, self.duration)
        return self.duration

    def on_postgres(self, workload: str, mode: str) -> bool:
        return not self.postgres_cells or (workload, mode) in self.postgres_cells

    def runs_nocache(self, events: int | None) -> bool:
        return not self.nocache_sizes or (events or 0) in self.nocache_sizes


FULL = Plan(
    duration=10,
    runs=3,
    warmup=2,
    sqlite_sizes=(None, 1_000, 10_000, 100_000),
    postgres_size=10_000,
    # 10 s runs where every baseline and PostGraphile run (10k), 5 s elsewhere: about 28 minutes in all.
    short_duration=((0, 5), (1_000, 5), (100_000, 5)),
    postgres_cells=(
        ("W1", "uncached"),
        ("W1", "cached"),
        ("W2", "uncached"),
        ("W3", "uncached"),
        ("W5", "uncached"),
    ),
    nocache_sizes=(10_000, 100_000),
)
QUICK = Plan(duration=3, runs=1, warmup=2, sqlite_sizes=(None, 1_000), postgres_size=1_000)


def size_label(events: int | None) -> str:
    if events is None:
        return "seed"
    return f"{events // 1000}k" if events >= 1000 and events % 1000 == 0 else str(events)


def _parse_size(text: str) -> int | None:
    text = text.strip().lower()
    if text == "seed":
        return None
    return int(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


def plan_from_environment(plan: Plan) -> Plan:
    """The BENCH_HTTP_* knobs (see the module docstring); a partial run says so in its report."""
    sizes = os.environ.get("BENCH_HTTP_SIZES")
    if sizes:
        plan = replace(plan, sqlite_sizes=tuple(_parse_size(s) for s in sizes.split(",") if s.strip()))
    if os.environ.get("BENCH_HTTP_POSTGRES") == "0":
        plan = replace(plan, postgres_size=None)
    if os.environ.get("BENCH_HTTP_DURATION"):
        plan = replace(plan, duration=int(os.environ["BENCH_HTTP_DURATION"]))
    if os.environ.get("BENCH_HTTP_RUNS"):
        plan = replace(plan, runs=int(os.environ["BENCH_HTTP_RUNS"]))
    return plan


# Processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def can_pin() -> bool:
    return {SERVER_CPU, LOAD_CPU} <= os.sched_getaffinity(0) and shutil.which("taskset") is not None


PINNED = False  # set once by main()
CODE: Path | None = None  # the snapshot of src/ the accord processes import (set once by main())


def snapshot_code(workdir: Path) -> Path:
    """Copy accord's source (with the fixtures and docs/queries it reads) into the run's temp dir: every
    accord process of the run imports this copy (PYTHONPATH), so commits landing mid-run do not mix."""
    code = workdir / "code"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PROJECT / "src", code / "src", ignore=ignore)
    shutil.copytree(PROJECT / "fixtures", code / "fixtures", ignore=ignore)
    if (PROJECT / "docs" / "queries").is_dir():
        shutil.copytree(PROJECT / "docs" / "queries", code / "docs" / "queries")
    return code / "src"


def accord_code_env() -> dict[str, str]:
    """The environment of a process that imports accord: ACCORD_* cleared, the snapshot first."""
    env = clean_env()
    if CODE is not None:
        env["PYTHONPATH"] = str(CODE)
    return env


def pinned(cpu: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if PINNED else command


def clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int | None:
        with contextlib.suppress(psutil.Error):
            rss: int = psutil.Process(self.process.pid).memory_info().rss
            return rss
        return None

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_server(
    name: str, command: list[str], env: dict[str, str], workdir: Path, port: int, settings: dict[str, str]
) -> Server:
    log_path = workdir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            pinned(SERVER_CPU, command),
            env=env,
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Server(name, process, port, log_path, settings)


def stop_server(server: Server) -> int | None:
    """SIGTERM, a bounded wait, then SIGKILL: only this process, by its PID."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return process.returncode


def wait_ready(server: Server, probe: Callable[[httpx.Client], bool], within: float = 120) -> None:
    deadline = time.monotonic() + within
    with httpx.Client(base_url=server.url, timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if probe(client):
                    return
            time.sleep(0.2)
    raise TimeoutError(f"{server.name} not ready after {within:.0f}s:\n{server.log_tail()}")


def http_ok(path: str) -> Callable[[httpx.Client], bool]:
    return lambda client: client.get(path).status_code == 200


def run_checked(command: list[str], env: dict[str, str], timeout: float, what: str) -> float:
    started = time.monotonic()
    result = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}): {result.stderr[-2000:] or result.stdout[-2000:]}"
        )
    return time.monotonic() - started


# Load


@dataclass(frozen=True)
class Load:
    """One kind of request, as autocannon sends it."""

    method: str
    path: str
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    nonce: bool = False  # replace [<id>] in the body per request
    expect: int = 200


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
    headers = dict(load.headers)
    if load.method == "GET":
        return client.get(load.path.replace(NONCE, nonce) if load.nonce else load.path, headers=headers)
    body = (load.body or "").replace(NONCE, nonce) if load.nonce else load.body
    return client.request(load.method, load.path, content=body, headers=headers)


@dataclass
class Cell:
    dataset: str
    backend: str
    server: str  # accord, accord-nocache, naive, bare, hello, postgraphile
    workload: str  # W1..W5, hello
    mode: str  # uncached, cached
    method: str
    path: str
    duration_s: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    check: str = ""
    response_bytes: int | None = None
    rss_mb: float | None = None
    statements: int | None = None
    # CPU seconds used during the measured runs, per request: the server process (all its threads)
    # and, on PostgreSQL, the database's processes; less sensitive to a busy machine than req/s.
    server_cpu_ms: float | None = None
    database_cpu_ms: float | None = None
    load_average: float | None = None  # 1-minute load average when the cell ended
    sequential_ms: float | None = None  # median latency of single requests on one idle connection
    skipped: str | None = None  # why the load was not run (then no runs)
    failed: str | None = None

    def median(self, key: str) -> float | None:
        values = [run[key] for run in self.runs if not math.isnan(run[key])]
        return statistics.median(values) if values else None

    @property
    def req_per_s(self) -> float | None:
        return self.median("req_per_s")

    @property
    def problems(self) -> int:
        return sum(run["errors"] + run["timeouts"] + run["unexpected_status"] for run in self.runs)

    @property
    def cpu_ms(self) -> float | None:
        """Server and database CPU per request."""
        if self.server_cpu_ms is None:
            return None
        return self.server_cpu_ms + (self.database_cpu_ms or 0.0)

    @property
    def server_busy(self) -> float | None:
        """The share of its CPU the server used (about 1.0: the server was the bottleneck; well below:
        the load generator, the database or the machine's other load was)."""
        if self.server_cpu_ms is None or self.req_per_s is None:
            return None
        return self.req_per_s * self.server_cpu_ms / 1000

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            req_per_s=_round(self.req_per_s, 1),
            p50_ms=_round(self.median("p50_ms"), 2),
            p99_ms=_round(self.median("p99_ms"), 2),
            errors_non2xx=self.problems,
            server_busy=_round(self.server_busy, 2),
        )
        return data


DERIVED = ("req_per_s", "p50_ms", "p99_ms", "errors_non2xx", "server_busy")


def cell_from(data: dict[str, Any]) -> Cell:
    return Cell(**{key: value for key, value in data.items() if key not in DERIVED})


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    seconds = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            seconds[pid] = times.user + times.system
    return seconds


def cpu_used(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds since ``before`` (processes started since count from zero)."""
    after = cpu_by_pid(pids)
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def wait_idle(pid: int, within: float = 60.0) -> float:
    """Wait until the server has finished what the last autocannon run left in flight (its CPU use falls
    below 10% over 200 ms), so that no run starts with the backlog of the one before; seconds waited."""
    started = time.monotonic()
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        while time.monotonic() - started < within:
            if process.cpu_percent(interval=0.2) < 10:
                break
    return time.monotonic() - started


def measure(
    cell: Cell,
    server: Server,
    load: Load,
    plan: Plan,
    check: Callable[[bytes], str],
    database_pids: Callable[[], list[int]] | None = None,
) -> Cell:
    """Check one answer, warm up, then the measured runs; the server's RSS after them."""
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            response = send_once(client, load)
            if response.status_code != load.expect:
                raise RuntimeError(f"status {response.status_code}: {response.text[:300]}")
            cell.check = check(response.content) if load.expect == 200 else f"{load.expect} as expected"
            cell.response_bytes = len(response.content)
            timings = []
            for attempt in range(SEQUENTIAL):
                started = time.perf_counter()
                answer = send_once(client, load, nonce=f"sequential-{attempt}-{time.time_ns()}")
                timings.append((time.perf_counter() - started) * 1000)
                if answer.status_code != load.expect:
                    raise RuntimeError(f"status {answer.status_code}: {answer.text[:300]}")
            cell.sequential_ms = round(statistics.median(timings), 2)
        if cell.sequential_ms * CONNECTIONS > TIMEOUT_MS:
            cell.skipped = (
                f"one request alone takes {cell.sequential_ms:.0f} ms: {CONNECTIONS} at once would pass "
                f"the {TIMEOUT_MS / 1000:.0f} s execution timeout"
            )
            _print_cell(cell)
            return cell
        if plan.warmup:
            autocannon(server.url, load, plan.warmup)
        server_pids = [server.process.pid]
        server_cpu = database_cpu = 0.0
        for _ in range(plan.runs):
            wait_idle(server.process.pid)
            server_before = cpu_by_pid(server_pids)
            database_before = cpu_by_pid(database_pids()) if database_pids is not None else {}
            cell.runs.append(run_figures(autocannon(server.url, load, cell.duration_s), load.expect))
            # Requests still in flight when autocannon stops are finished (and charged) after it.
            cell.runs[-1]["drain_s"] = round(wait_idle(server.process.pid), 2)
            server_cpu += cpu_used(server_before, server_pids)
            if database_pids is not None:
                database_cpu += cpu_used(database_before, database_pids())
        # Every request sent is processed, those still in flight at the end too (during the drain).
        requests = sum(run["sent"] for run in cell.runs)
        if requests:
            cell.server_cpu_ms = round(server_cpu / requests * 1000, 3)
            if database_pids is not None:
                cell.database_cpu_ms = round(database_cpu / requests * 1000, 3)
        rss = server.rss_bytes()
        cell.rss_mb = None if rss is None else round(rss / MB, 1)
        cell.load_average = load_average()[0]
    except Exception as exc:
        cell.failed = f"{type(exc).__name__}: {exc}"[:1000]
    _print_cell(cell)
    return cell


def _print_cell(cell: Cell) -> None:
    name = f"{cell.dataset:>7} {cell.server:<15} {cell.workload:<5} {cell.mode:<9}"
    if cell.failed:
        print(f"   {name} FAILED: {cell.failed}", flush=True)
        return
    if cell.skipped:
        print(f"   {name} not load-tested: {cell.skipped}", flush=True)
        return
    print(
        f"   {name} {cell.req_per_s or 0:9.1f} req/s  p50 {cell.median('p50_ms') or 0:7.1f} ms  "
        f"p99 {cell.median('p99_ms') or 0:7.1f} ms  errors {cell.problems}  RSS {cell.rss_mb} MB  "
        f"CPU {cell.server_cpu_ms} ms/req"
        + (f" + DB {cell.database_cpu_ms}" if cell.database_cpu_ms else ""),
        flush=True,
    )


# Data sets


@dataclass
class Dataset:
    label: str
    backend: str  # sqlite, postgresql
    events: int | None
    url: str
    path: Path | None
    picks: Picks
    published_events: int
    rows: dict[str, int]
    load_seconds: float
    statements: dict[str, dict[str, int]] = field(default_factory=dict)
    naive_statements: int | None = None

    @property
    def expected_w1(self) -> int:
        return min(50, self.published_events)

    def describe(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = None
        data["url"] = (
            self.url
            if self.backend == "postgresql"
            else "sqlite:///<temp>/" + (self.path.name if self.path else "")
        )
        return data


ROW_COUNTS = {
    "events": "SELECT count(*) FROM event",
    "published_events": "SELECT count(*) FROM event WHERE status = 'PUBLISHED'",
    "partners": "SELECT count(*) FROM partner",
    "agreements": "SELECT count(*) FROM agreement",
    "exhibits": "SELECT count(*) FROM exhibit",
    "event_partner": "SELECT count(*) FROM event_partner",
    "milestones": "SELECT count(*) FROM event WHERE status = 'PUBLISHED' AND is_milestone",
}


def accord_env(url: str, **extra: str) -> dict[str, str]:
    settings = {
        "ACCORD_DATABASE_URL": url,
        "ACCORD_LOG_LEVEL": "warning",
        # Every request comes from 127.0.0.1: the per-address read limit (50/s) would answer 429.
        "ACCORD_RATE_LIMIT": "false",
        "ACCORD_LOAD_FIXTURES_ON_EMPTY": "false",
        **extra,
    }
    return accord_code_env() | settings


def load_content(url: str, events: int | None) -> float:
    env = accord_env(url)
    seconds = run_checked([ACCORD, "db", "upgrade"], env, 300, "accord db upgrade")
    if events is None:
        command = [ACCORD, "fixtures", "load"]
    else:
        command = [ACCORD, "fixtures", "synth", "--events", str(events), "--seed", str(SEED)]
    return seconds + run_checked(command, env, 900, " ".join(command[1:]))


def sqlite_dataset(workdir: Path, events: int | None) -> Dataset:
    label = size_label(events)
    path = workdir / f"accord-{label}.db"
    url = f"sqlite:///{path}"
    seconds = load_content(url, events)
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = {name: int(conn.execute(sql).fetchone()[0]) for name, sql in ROW_COUNTS.items()}
    return Dataset(
        label,
        "sqlite",
        events,
        url,
        path,
        picks_from_sqlite(str(path)),
        rows["published_events"],
        rows,
        round(seconds, 1),
    )


def postgres_dataset(cluster: PostgresServer, events: int) -> Dataset:
    import psycopg

    url = pgcluster.create_database(cluster, "accord_bench")
    seconds = load_content(url, events)
    pgcluster.vacuum_analyze(cluster, "accord_bench")
    with psycopg.connect(url) as conn:
        rows = {}
        for name, sql in ROW_COUNTS.items():
            row = conn.execute(sql).fetchone()
            rows[name] = int(row[0]) if row else 0
    return Dataset(
        f"{size_label(events)} PG",
        "postgresql",
        events,
        url,
        None,
        picks_from_postgres(url),
        rows["published_events"],
        rows,
        round(seconds, 1),
    )


def remove_sqlite(path: Path | None) -> None:
    if path is None:
        return
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink()


def count_statements(dataset: Dataset) -> None:
    """The in-process one-off of bench/statements.py (accord, and baseline (c) on SQLite)."""
    command = [
        sys.executable,
        "-W",
        "ignore::DeprecationWarning",
        "-m",
        "bench.statements",
        "--database-url",
        dataset.url,
        "--picks",
        json.dumps(asdict(dataset.picks)),
    ]
    try:
        result = subprocess.run(
            command, env=accord_code_env(), cwd=PROJECT, capture_output=True, text=True, timeout=300
        )
        if result.returncode == 0:
            dataset.statements = json.loads(result.stdout.strip().splitlines()[-1])
        else:
            print(f"   statement count failed: {result.stderr[-500:]}", flush=True)
        if dataset.path is not None:
            naive = [*command[:5], "--naive", str(dataset.path)]
            result = subprocess.run(
                naive, env=clean_env(), cwd=PROJECT, capture_output=True, text=True, timeout=300
            )
            if result.returncode == 0:
                dataset.naive_statements = json.loads(result.stdout.strip().splitlines()[-1])["W1"][
                    "uncached"
                ]
    except (subprocess.SubprocessError, ValueError, KeyError) as exc:
        print(f"   statement count failed: {exc}", flush=True)


# The servers, one at a time


@dataclass
class Run:
    plan: Plan
    workdir: Path
    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)  # dataset label -> accord's W1 answer
    database_pids: Callable[[], list[int]] | None = None  # PostgreSQL's processes, while it runs

    def cell(self, dataset: Dataset | None, server: str, workload: str, mode: str, load: Load) -> Cell:
        events = dataset.events if dataset is not None else None
        return Cell(
            dataset=dataset.label if dataset is not None else "-",
            backend=dataset.backend if dataset is not None else "-",
            server=server,
            workload=workload,
            mode=mode,
            method=load.method,
            path=load.path.split("?")[0],
            duration_s=self.plan.duration_for(events),
        )

    @contextlib.contextmanager
    def serving(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        ready: Callable[[httpx.Client], bool],
        port: int,
        settings: dict[str, str] | None = None,
    ) -> Iterator[Server]:
        server = start_server(name, command, env, self.workdir, port, settings or {})
        try:
            wait_ready(server, ready)
            yield server
        finally:
            code = stop_server(server)
            if code not in (0, -signal.SIGTERM):
                self.notes.append(f"{name} (port {server.port}) exited with {code}: {server.log_tail(5)}")

    def add(self, cell: Cell, server: Server, load: Load, check: Callable[[bytes], str]) -> Cell:
        self.cells.append(measure(cell, server, load, self.plan, check, self.database_pids))
        return cell


def accord_loads(workload: Workload, picks: Picks) -> dict[str, Load]:
    if workload.is_graphql:
        return {
            "uncached": Load(
                "POST",
                "/graphql",
                workload.post_body(picks, nonce=True),
                (("content-type", "application/json"),),
                nonce=True,
            ),
            "cached": Load("GET", workload.get_path(picks)),
        }
    return {
        "uncached": Load("GET", workload.get_path(picks, nonce=True), nonce=True),
        "cached": Load("GET", workload.get_path(picks)),
    }


def checker(workload: Workload, expected_events: int) -> Callable[[bytes], str]:
    def check(body: bytes) -> str:
        return workload.check(body, expected_events)

    return check


def accord_command(port: int) -> list[str]:
    return [ACCORD, "serve", "--host", "127.0.0.1", "--port", str(port)]


def run_accord(run: Run, dataset: Dataset, *, only: tuple[str, ...] | None = None) -> None:
    """accord with its defaults (response cache on): every workload, uncached and cached."""
    port = free_port()
    env = accord_env(dataset.url)
    settings = {k: v for k, v in env.items() if k.startswith("ACCORD_") and k != "ACCORD_DATABASE_URL"}
    with run.serving("accord", accord_command(port), env, http_ok("/readyz"), port, settings) as server:
        for workload in WORKLOADS:
            if only is not None and workload.key not in only:
                continue
            for mode, load in accord_loads(workload, dataset.picks).items():
                if dataset.backend == "postgresql" and not run.plan.on_postgres(workload.key, mode):
                    continue
                cell = run.cell(dataset, "accord", workload.key, mode, load)
                cell.statements = dataset.statements.get(workload.key, {}).get(mode)
                run.add(cell, server, load, checker(workload, dataset.expected_w1))
                if workload.key == "W1" and mode == "cached" and dataset.label not in run.bodies:
                    run.bodies[dataset.label] = httpx.get(server.url + load.path, timeout=60).content
        with contextlib.suppress(httpx.HTTPError, ValueError):
            cache = httpx.get(server.url + "/readyz", timeout=10).json().get("cache")
            run.notes.append(f"{dataset.label}: accord's response cache after the run: {cache}")


def run_accord_nocache(run: Run, dataset: Dataset) -> None:
    """(d): accord with ACCORD_RESPONSE_CACHE=false, W1 (the same POST as W1 uncached)."""
    port = free_port()
    env = accord_env(dataset.url, ACCORD_RESPONSE_CACHE="false")
    with run.serving("accord-nocache", accord_command(port), env, http_ok("/readyz"), port) as server:
        w1 = BY_KEY["W1"]
        load = accord_loads(w1, dataset.picks)["uncached"]
        cell = run.cell(dataset, "accord-nocache", "W1", "uncached", load)
        cell.statements = dataset.statements.get("W1", {}).get("uncached")
        run.add(cell, server, load, lambda body: w1.check(body, dataset.expected_w1))


def run_naive(run: Run, dataset: Dataset) -> None:
    """(c): W1 with strawberry + SQLModel, N+1, over the same SQLite file."""
    assert dataset.path is not None
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "bench.baselines.naive_w1",
        "--database",
        str(dataset.path),
        "--port",
        str(port),
    ]
    w1 = BY_KEY["W1"]
    reference = run.bodies.get(dataset.label)

    def check(body: bytes) -> str:
        summary = w1.check(body, dataset.expected_w1)
        if reference is not None:
            assert json.loads(body)["data"] == json.loads(reference)["data"], "data differs from accord's W1"
            summary += ", same data as accord"
        return summary

    with run.serving("naive", command, clean_env(), http_ok("/healthz"), port) as server:
        load = accord_loads(w1, dataset.picks)["uncached"]
        cell = run.cell(dataset, "naive", "W1", "uncached", load)
        cell.statements = dataset.naive_statements
        run.add(cell, server, load, check)


def run_bare(run: Run, dataset: Dataset) -> None:
    """(a): bare Starlette answering accord's W1 bytes, to the same GET as W1 cached."""
    body = run.bodies.get(dataset.label)
    if body is None:
        run.notes.append(f"{dataset.label}: no W1 answer from accord, so no bare-Starlette baseline")
        return
    body_file = run.workdir / f"w1-{dataset.label.replace(' ', '-')}.json"
    body_file.write_bytes(body)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "bench.baselines.bare_starlette",
        "--body",
        str(body_file),
        "--port",
        str(port),
    ]

    def check(answer: bytes) -> str:
        assert answer == body, "bytes differ from accord's W1 answer"
        return f"{len(answer)} bytes, identical to accord's W1"

    with run.serving("bare", command, clean_env(), http_ok("/healthz"), port) as server:
        load = Load("GET", BY_KEY["W1"].get_path(dataset.picks))
        run.add(run.cell(dataset, "bare", "W1", "cached", load), server, load, check)


def run_hello(run: Run) -> None:
    """(b): plain strawberry { hello }."""
    port = free_port()
    command = [sys.executable, "-m", "bench.baselines.strawberry_hello", "--port", str(port)]

    def check(body: bytes) -> str:
        assert body == HELLO_ANSWER, f"unexpected answer {body[:200]!r}"
        return "hello world"

    with run.serving("hello", command, clean_env(), http_ok("/healthz"), port) as server:
        body = json.dumps({"query": HELLO})
        load = Load("POST", "/graphql", body, (("content-type", "application/json"),))
        run.add(run.cell(None, "hello", "hello", "uncached", load), server, load, check)


INTROSPECT = """{ order: __type(name: "EventsOrderBy") { enumValues { name } }
  condition: __type(name: "EventCondition") { inputFields { name } } }"""


def postgraphile_document(client: httpx.Client, notes: list[str]) -> str:
    """POSTGRAPHILE_W1, adjusted to what this PostGraphile exposes (with --no-ignore-indexes an orderBy
    or condition exists only where an index supports it)."""
    data = client.post("/graphql", json={"query": INTROSPECT}).json()["data"]
    orders = {value["name"] for value in (data["order"] or {}).get("enumValues", [])}
    conditions = {value["name"] for value in (data["condition"] or {}).get("inputFields", [])}
    document = POSTGRAPHILE_W1
    if not {"SORT_KEY_DESC", "ID_DESC"} <= orders:
        notes.append(
            f"PostGraphile exposes no SORT_KEY_DESC/ID_DESC (index on event.sort_key?): {sorted(orders)}"
        )
    if "status" not in conditions:
        document = document.replace(', condition: { status: "PUBLISHED" }', "")
        notes.append(
            "PostGraphile exposes no condition on event.status (no index leads with it): drafts included"
        )
    return document


def run_postgraphile(run: Run, dataset: Dataset) -> None:
    """(e): PostGraphile 4 over the same PostgreSQL database."""
    if not POSTGRAPHILE_CLI.exists():
        run.notes.append(
            "PostGraphile is not installed: run `cd bench/postgraphile && npm ci` (make bench does)"
        )
        return
    port = free_port()
    command = [
        "node",
        str(POSTGRAPHILE_CLI),
        "--connection",
        dataset.url,
        "--schema",
        "public",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--simple-collections",
        "both",
        "--disable-graphiql",
        "--disable-query-log",
        "--no-ignore-indexes",
        "--legacy-relations",
        "omit",
    ]
    env = clean_env() | {"NODE_ENV": "production"}

    def ready(client: httpx.Client) -> bool:
        return client.post("/graphql", json={"query": "{ __typename }"}).status_code == 200

    reference = run.bodies.get(dataset.label)

    def check(body: bytes) -> str:
        summary = check_postgraphile_w1(body, dataset.expected_w1)
        if reference is not None:
            problems = same_rows(reference, body)
            assert not problems, "rows differ from accord's W1: " + "; ".join(problems)
            summary += ", same rows as accord's W1"
        return summary

    with run.serving("postgraphile", command, env, ready, port) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            document = postgraphile_document(client, run.notes)
        body = json.dumps({"query": document}, separators=(",", ":"))
        load = Load("POST", "/graphql", body, (("content-type", "application/json"),))
        run.add(run.cell(dataset, "postgraphile", "W1", "uncached", load), server, load, check)


def run_all(plan: Plan, workdir: Path) -> tuple[Run, list[Dataset], dict[str, str]]:
    run = Run(plan, workdir)
    datasets: list[Dataset] = []
    versions: dict[str, str] = {}
    print("-- (b) strawberry { hello }", flush=True)
    run_hello(run)
    for events in plan.sqlite_sizes:
        label = size_label(events)
        print(f"-- SQLite, {label}: loading", flush=True)
        try:
            dataset = sqlite_dataset(workdir, events)
        except Exception as exc:
            run.notes.append(f"{label}: loading failed: {exc}")
            print(f"   loading failed: {exc}", flush=True)
            continue
        datasets.append(dataset)
        print(
            f"   {dataset.rows['events']} events ({dataset.published_events} published) in "
            f"{dataset.load_seconds:.0f}s; W2 {dataset.picks.event_slug}, W5 {dataset.picks.partner_slug}",
            flush=True,
        )
        count_statements(dataset)
        try:
            run_accord(run, dataset)
            if plan.runs_nocache(events):
                run_accord_nocache(run, dataset)
            run_naive(run, dataset)
            run_bare(run, dataset)
        except Exception as exc:  # a server that would not start: note it, go on with the next size
            run.notes.append(f"{label}: {type(exc).__name__}: {exc}"[:1000])
            print(f"   {label} failed: {exc}", flush=True)
        finally:
            remove_sqlite(dataset.path)
    if plan.postgres_size is not None:
        label = size_label(plan.postgres_size)
        print(f"-- PostgreSQL, {label}: cluster and loading", flush=True)
        try:
            with pgcluster.running_cluster() as cluster:
                run.database_pids = partial(pgcluster.process_ids, cluster)
                versions["postgresql"] = pgcluster.version(cluster)
                dataset = postgres_dataset(cluster, plan.postgres_size)
                datasets.append(dataset)
                print(f"   {dataset.rows['events']} events in {dataset.load_seconds:.0f}s", flush=True)
                count_statements(dataset)
                run_accord(run, dataset)
                run_postgraphile(run, dataset)
        except Exception as exc:
            run.notes.append(f"PostgreSQL: {type(exc).__name__}: {exc}"[:1000])
            print(f"   PostgreSQL failed: {exc}", flush=True)
    return run, datasets, versions


# Verdicts


def find(cells: list[Cell], dataset: str, server: str, workload: str, mode: str) -> Cell | None:
    for cell in cells:
        if (cell.dataset, cell.server, cell.workload, cell.mode) == (dataset, server, workload, mode):
            return cell if not cell.failed and cell.runs else None
    return None


def _rate(cell: Cell | None) -> float | None:
    return cell.req_per_s if cell is not None else None


def _valid(cell: Cell | None) -> bool:
    return cell is not None and cell.problems == 0


def verdicts(plan: Plan, cells: list[Cell], datasets: list[Dataset]) -> list[tuple[str, str, str]]:
    """(target, PASS/FAIL/SKIP, what was measured)."""
    out: list[tuple[str, str, str]] = []
    sqlite_labels = [d.label for d in datasets if d.backend == "sqlite"]

    def ratio_check(name: str, mine: Cell | None, theirs: Cell | None, at_least: float, unit: str) -> None:
        a, b = _rate(mine), _rate(theirs)
        if a is None or b is None or not b:
            out.append((name, "SKIP", "not measured in this run"))
            return
        ok = a / b >= at_least and _valid(mine) and _valid(theirs)
        errors = "" if _valid(mine) and _valid(theirs) else " (a cell had errors)"
        detail = f"{a:,.0f} vs {b:,.0f} req/s = {a / b:.2f}{unit}{errors}"
        assert mine is not None and theirs is not None
        if mine.cpu_ms and theirs.cpu_ms:
            # The same comparison by CPU per request: what the servers could do on a CPU of their own.
            detail += (
                f"; by CPU per request {mine.cpu_ms:.2f} vs {theirs.cpu_ms:.2f} ms = "
                f"{theirs.cpu_ms / mine.cpu_ms:.2f}{unit} (server busy {_pct(mine.server_busy)} vs "
                f"{_pct(theirs.server_busy)})"
            )
        out.append((name, "PASS" if ok else "FAIL", detail))

    for label in sqlite_labels:
        ratio_check(
            f"W1 cached ≥ {CACHED_VS_BARE:.0%} of (a) bare Starlette, {label}",
            find(cells, label, "accord", "W1", "cached"),
            find(cells, label, "bare", "W1", "cached"),
            CACHED_VS_BARE,
            "x",
        )
    pg = next((d for d in datasets if d.backend == "postgresql"), None)
    pg_label = pg.label if pg is not None else f"{size_label(plan.postgres_size or 10_000)} PG"
    ratio_check(
        f"W1 uncached on {pg_label} ≥ {PG_VS_POSTGRAPHILE:.1f}x (e) PostGraphile",
        find(cells, pg_label, "accord", "W1", "uncached"),
        find(cells, pg_label, "postgraphile", "W1", "uncached"),
        PG_VS_POSTGRAPHILE,
        "x",
    )
    big = "100k"
    hello = find(cells, "-", "hello", "hello", "uncached")
    ratio_check(
        f"W1 uncached on {big} ≥ {NAIVE_FACTOR:.0f}x (c) naive strawberry+SQLModel",
        find(cells, big, "accord", "W1", "uncached"),
        find(cells, big, "naive", "W1", "uncached"),
        NAIVE_FACTOR,
        "x",
    )
    ratio_check(
        f"W1 uncached on {big} ≥ {HELLO_FRACTION:.0%} of (b) strawberry {{ hello }}",
        find(cells, big, "accord", "W1", "uncached"),
        hello,
        HELLO_FRACTION,
        "x",
    )
    for key in ("W2", "W5"):
        sizes = ["1k", "10k", "100k"]
        name = f"{key} uncached flat from 1k to 100k (10k and 100k within {FLAT_WITHIN:.0%} of 1k)"
        unsustained = [
            (s, c)
            for s in sizes
            if (c := lookup(cells, s, "accord", key, "uncached")) is not None and c.skipped
        ]
        if unsustained:
            shown = "; ".join(f"{s}: not load-tested, {c.skipped}" for s, c in unsustained)
            out.append((name, "FAIL", shown))
            continue
        found = {s: find(cells, s, "accord", key, "uncached") for s in sizes}
        rates = {s: _rate(c) for s, c in found.items()}
        if any(rate is None for rate in rates.values()):
            out.append((name, "SKIP", "not every size measured in this run"))
            continue
        base = rates["1k"] or math.nan
        shown = ", ".join(f"{s} {r:,.0f}" for s, r in rates.items() if r is not None)
        changes = [(rates[s] or 0) / base - 1 for s in sizes[1:]]
        worst = max(changes, key=abs)
        ok = abs(worst) <= FLAT_WITHIN and all(_valid(c) for c in found.values())
        detail = f"{shown} req/s (largest change {worst:+.0%})"
        cpus = {s: c.cpu_ms for s, c in found.items() if c is not None and c.cpu_ms}
        if len(cpus) == len(sizes):
            detail += "; CPU per request " + ", ".join(f"{s} {v:.2f}" for s, v in cpus.items()) + " ms"
        out.append((name, "PASS" if ok else "FAIL", detail))
    rss = [
        c.rss_mb for c in cells if c.dataset == big and c.server.startswith("accord") and c.rss_mb is not None
    ]
    name = f"accord's RSS with {big} events < {RSS_LIMIT_MB} MB"
    if rss:
        out.append(
            (name, "PASS" if max(rss) < RSS_LIMIT_MB else "FAIL", f"largest after a cell: {max(rss):.0f} MB")
        )
    else:
        out.append((name, "SKIP", "not measured in this run"))
    return out


# Machine


def _npm_version(package_json: Path) -> str:
    with contextlib.suppress(OSError, ValueError, KeyError):
        return str(json.loads(package_json.read_text())["version"])
    return ""


def machine(versions: dict[str, str]) -> dict[str, Any]:
    packages = package_versions(
        (
            "accord",
            "strawberry-graphql",
            "graphql-core",
            "starlette",
            "uvicorn",
            "uvloop",
            "httptools",
            "sqlalchemy",
            "sqlmodel",
            "aiosqlite",
            "psycopg",
            "orjson",
            "psutil",
            "matplotlib",
        )
    )
    # Read-only git: the commit, and whether the tree under test differs from it.
    commit = git_commit()
    changed = output(["git", "-C", str(PROJECT), "diff", "--name-only", "HEAD", "--", "src"]).splitlines()
    untracked = output(
        ["git", "-C", str(PROJECT), "ls-files", "--others", "--exclude-standard", "--", "src"]
    ).splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split()
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cpus_available": sorted(os.sched_getaffinity(0)),
        "memory_mb": int(meminfo[1]) * 1024 // MB,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "node": output(["node", "--version"]),
        "autocannon": _npm_version(AUTOCANNON.parent / "package.json"),
        "postgraphile": _npm_version(POSTGRAPHILE_CLI.parent / "package.json"),
        **versions,
        "packages": packages,
        "accord_commit": commit,
        "src_changed_since_commit": changed,
        "src_untracked": untracked,
    }


def code_state() -> str:
    """The commit and a digest of uncommitted changes in src/ (read-only git): accord's code under test."""
    import hashlib

    commit = git_commit()
    diff = output(["git", "-C", str(PROJECT), "diff", "HEAD", "--", "src"])
    untracked = output(["git", "-C", str(PROJECT), "ls-files", "--others", "--exclude-standard", "--", "src"])
    digest = hashlib.sha256((diff + "\0" + untracked).encode()).hexdigest()[:12]
    return f"{commit[:12]}+{digest}" if diff or untracked else commit[:12]


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# Report


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _cpu(cell: Cell) -> str:
    if cell.server_cpu_ms is None:
        return "–"
    shown = f"{cell.server_cpu_ms:.2f}"
    return shown + (f" + {cell.database_cpu_ms:.2f} DB" if cell.database_cpu_ms is not None else "")


def _lat(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


SERVER_LABELS = {
    "accord": "accord",
    "accord-nocache": "(d) accord, ACCORD_RESPONSE_CACHE=false",
    "naive": "(c) naive strawberry+SQLModel",
    "bare": "(a) bare Starlette, W1 bytes",
    "hello": "(b) strawberry { hello }",
    "postgraphile": "(e) PostGraphile 4.14.1",
}


def lookup(cells: list[Cell], dataset: str, server: str, workload: str, mode: str) -> Cell | None:
    """The cell, measured or not (``find`` only returns cells with runs)."""
    for cell in cells:
        if (cell.dataset, cell.server, cell.workload, cell.mode) == (dataset, server, workload, mode):
            return cell
    return None


BASELINE_ROWS = (
    ("accord-nocache", "uncached"),
    ("naive", "uncached"),
    ("bare", "cached"),
    ("postgraphile", "uncached"),
)


def pivot(
    cells: list[Cell], labels: list[str], value: Callable[[Cell], str], *, title_rows: bool = True
) -> list[str]:
    """Rows: accord's workloads and modes, then the W1 baselines and hello; columns: the data sets."""

    def shown(cell: Cell | None) -> str:
        if cell is None:
            return "–"
        if cell.failed:
            return "failed"
        if cell.skipped:
            return "n/s"
        return value(cell) + (f" ⚠{cell.problems}" if cell.problems else "")

    lines = [
        "| workload | mode | " + " | ".join(labels) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in labels) + " |",
    ]
    for workload in WORKLOADS:
        name = f"{workload.key} {workload.title}" if title_rows else workload.key
        for mode in MODES:
            values = [shown(lookup(cells, label, "accord", workload.key, mode)) for label in labels]
            lines.append(f"| {name} | {mode} | " + " | ".join(values) + " |")
    for server, mode in BASELINE_ROWS:
        values = [shown(lookup(cells, label, server, "W1", mode)) for label in labels]
        if any(v != "–" for v in values):
            lines.append(f"| W1 {SERVER_LABELS[server]} | {mode} | " + " | ".join(values) + " |")
    hello = lookup(cells, "-", "hello", "hello", "uncached")
    if hello is not None:
        lines.append(
            f"| {SERVER_LABELS['hello']} (no data: one figure for all) | – | "
            + " | ".join(shown(hello) for _ in labels)
            + " |"
        )
    return lines


def report(
    data: dict[str, Any], cells: list[Cell], datasets: list[Dataset], checks: list[tuple[str, str, str]]
) -> str:
    info, plan = data["machine"], data["plan"]
    labels = [d.label for d in datasets]
    changed = info["src_changed_since_commit"] or info["src_untracked"]
    lines = [
        f"# HTTP reads: accord under load, beside baselines ({'quick' if data['quick'] else 'full'} run)",
        "",
        f"{data['date']} on `{info['hostname']}`: {info['cpu_model']}, {info['cores']} cores, "
        f"{info['memory_mb']:,} MB, {info['platform']}; Python {info['python']}, SQLite {info['sqlite']}, "
        f"Node {info['node']}, PostgreSQL {info.get('postgresql', '–')}, autocannon {info['autocannon']}, "
        f"PostGraphile {info['postgraphile'] or '–'}.",
        f"accord commit `{info['accord_commit'][:12]}` (the copy of src/ every accord process ran)"
        + (
            f" with uncommitted changes in src/ ({len(info['src_changed_since_commit'])} changed, "
            f"{len(info['src_untracked'])} new files)"
            if changed
            else ""
        )
        + f"; packages: {', '.join(f'{k} {v}' for k, v in info['packages'].items())}.",
        f"Server on CPU {SERVER_CPU}, autocannon on CPU {LOAD_CPU}: {'yes' if data['pinned'] else 'no'} "
        f"(PostgreSQL not pinned). Load average before/after: {data['load_before']} / {data['load_after']}. "
        f"Took {data['seconds'] / 60:.1f} min.",
        "",
        f"autocannon -c {CONNECTIONS} on loopback, {plan['warmup']} s warm-up, then the median of "
        f"{plan['runs']} run(s) of {plan['duration']} s per cell"
        + "".join(f" ({size_label(e or None)}: {s} s runs)" for e, s in plan["short_duration"])
        + ". Uncached: POST with a unique unused variable per request (every request runs the document); "
        "cached: the same GET again (the response cache answers; W4: the kept feed). W4 uncached: a GET "
        "with a unique unused parameter. "
        "Latencies in ms. SQL/req: statements per request, counted in-process (bench/statements.py). "
        "CPU ms/req: CPU time of the server process during the measured runs per request (+ PostgreSQL's "
        "processes), less sensitive than req/s to other load on the machine. "
        f"n/s: not load-tested, one request alone takes so long that {CONNECTIONS} at once would pass the "
        f"{TIMEOUT_MS / 1000:.0f} s execution timeout (see the one-connection table). "
        "⚠n: n errors, timeouts or unexpected statuses in that cell (its figures are not valid).",
        "",
        "## Requests per second",
        "",
        *pivot(cells, labels, lambda c: _fmt(c.req_per_s)),
        "",
        "## Latency under load, p50 / p99 (ms)",
        "",
        *pivot(
            cells,
            labels,
            lambda c: f"{_lat(c.median('p50_ms'))} / {_lat(c.median('p99_ms'))}",
            title_rows=False,
        ),
        "",
        f"## One request at a time (ms, median of {SEQUENTIAL} on an idle connection)",
        "",
        *pivot(cells, labels, lambda c: _lat(c.sequential_ms), title_rows=False),
        "",
        "## Server CPU per request (ms; + PostgreSQL's processes on PostgreSQL)",
        "",
        *pivot(cells, labels, _cpu, title_rows=False),
        "",
        "## Targets",
        "",
    ]
    lines += [f"- **{status}** {name}: {detail}" for name, status, detail in checks]
    lines += [
        "",
        "## Every cell",
        "",
        "| data | server | workload | mode | req/s | p50 ms | p99 ms | errors/non-2xx | SQL/req "
        "| CPU ms/req | busy | 1 conn ms | RSS MB | bytes | load | check |",
        "| --- | --- | --- | --- " + "| ---: " * 11 + "| --- |",
    ]
    for cell in cells:
        head = f"| {cell.dataset} | {SERVER_LABELS[cell.server]} | {cell.workload} | {cell.mode} |"
        statements = cell.statements if cell.statements is not None else "–"
        if cell.failed or cell.skipped:
            reason = (f"failed: {cell.failed}" if cell.failed else f"not load-tested: {cell.skipped}")[:300]
            lines.append(
                f"{head} – | – | – | – | {statements} | – | – | {_lat(cell.sequential_ms)} | – | "
                f"{_fmt(cell.response_bytes)} | – | {reason.replace('|', '/')} |"
            )
            continue
        lines.append(
            f"{head} {_fmt(cell.req_per_s, 1)} | {_lat(cell.median('p50_ms'))} | "
            f"{_lat(cell.median('p99_ms'))} | {cell.problems} | {statements} | {_cpu(cell)} | "
            f"{_pct(cell.server_busy)} | {_lat(cell.sequential_ms)} | {_fmt(cell.rss_mb)} | "
            f"{_fmt(cell.response_bytes)} | "
            f"{_fmt(cell.load_average, 1)} | {cell.check} |"
        )
    lines += [
        "",
        "## Data sets",
        "",
        "| data | backend | events (published) | partners | agreements | exhibits | milestones | loaded in "
        "| W2 event | W5 partner |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for d in datasets:
        r = d.rows
        lines.append(
            f"| {d.label} | {d.backend} | {r['events']:,} ({r['published_events']:,}) | {r['partners']:,} | "
            f"{r['agreements']:,} | {r['exhibits']:,} | {r['milestones']:,} | {d.load_seconds:.0f} s | "
            f"`{d.picks.event_slug}` | `{d.picks.partner_slug}` |"
        )
    lines += [
        "",
        f'W3 searches "{SEARCH_QUERY}". Synthetic content: `accord fixtures synth --events N --seed {SEED}` '
        "(partners N/5, agreements 30%, exhibits 10%); seed: the bundled fixtures. W2 asks for the published "
        "event with the most links, W5 for the published partner with the most published events.",
    ]
    if data["notes"]:
        lines += ["", "## Notes", ""]
        lines += [f"- {note}" for note in data["notes"]]
    return "\n".join(lines) + "\n"


def write_outputs(data: dict[str, Any], cells: list[Cell], datasets: list[Dataset], plan: Plan) -> int:
    checks = verdicts(plan, cells, datasets)
    data["targets"] = [
        {"target": name, "status": status, "measured": detail} for name, status, detail in checks
    ]
    data["cells"] = [cell.summary() for cell in cells]
    (RESULTS / "http.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    markdown = report(data, cells, datasets, checks)
    (RESULTS / "http.md").write_text(markdown)
    try:
        from bench.plot import render

        render(data, RESULTS / "http.png")
    except Exception as exc:  # the figures are written already; say why there is no plot
        print(f"no plot: {type(exc).__name__}: {exc}", flush=True)
    print(markdown, flush=True)
    for name, status, detail in checks:
        print(f"{status} {name}: {detail}", flush=True)
    return 0 if all(status != "FAIL" for _, status, _ in checks) else 1


def rerender() -> int:
    """`python -m bench.http_reads --report`: http.md, http.png and the targets again from http.json."""
    data = json.loads((RESULTS / "http.json").read_text())
    raw = data["plan"]
    plan = Plan(
        duration=raw["duration"],
        runs=raw["runs"],
        warmup=raw["warmup"],
        sqlite_sizes=tuple(raw["sqlite_sizes"]),
        postgres_size=raw["postgres_size"],
        short_duration=tuple(tuple(pair) for pair in raw["short_duration"]),
        postgres_cells=tuple(tuple(pair) for pair in raw["postgres_cells"]),
        nocache_sizes=tuple(raw["nocache_sizes"]),
    )
    datasets = []
    for item in data["datasets"]:
        fields = {key: value for key, value in item.items() if key != "picks"}
        datasets.append(Dataset(**fields, picks=Picks(**item["picks"])))
    return write_outputs(data, [cell_from(cell) for cell in data["cells"]], datasets, plan)


def main(quick: bool = False) -> int:
    global PINNED, CODE
    plan = plan_from_environment(QUICK if quick else FULL)
    if not AUTOCANNON.exists():
        print(f"no autocannon at {AUTOCANNON}: run `npm ci` (make bench does)", flush=True)
        return 1
    PINNED = can_pin()
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    code_before = code_state()
    machine_info = machine({})  # before the run: the commit and tree that were copied
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    CODE = snapshot_code(workdir)
    try:
        run, datasets, versions = run_all(plan, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    notes = list(run.notes)
    code_after = code_state()
    if code_after != code_before:
        notes.insert(
            0,
            f"accord's tree changed during the run ({code_before} at the start, {code_after} at the end); "
            f"every accord process ran the copy of src/ taken at the start ({code_before}).",
        )
    if plan.short_duration:
        notes.append(
            "Runs on "
            + ", ".join(
                f"{size_label(e or None)} last {s} s instead of {plan.duration} s"
                for e, s in plan.short_duration
            )
            + " to keep the whole run near 25 minutes (every run is in http.json)."
        )
    if plan.postgres_size is not None and plan.postgres_cells:
        notes.append(
            "On PostgreSQL only "
            + ", ".join(f"{w} {m}" for w, m in plan.postgres_cells)
            + " (and PostGraphile's W1), for time: the comparison with PostGraphile is about W1."
        )
    if plan.nocache_sizes:
        notes.append(
            "(d) ran at "
            + ", ".join(size_label(e or None) for e in plan.nocache_sizes)
            + " only, for time: elsewhere W1 uncached (a miss on every request) stands in for it."
        )
    partial = plan != (QUICK if quick else FULL)
    if partial:
        notes.append(f"Partial run (BENCH_HTTP_* knobs): {asdict(plan)}")
    data: dict[str, Any] = {
        "suite": "http",
        "quick": quick,
        "partial": partial,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "plan": asdict(plan),
        "connections": CONNECTIONS,
        "pinned": PINNED,
        "cpu": {"server": SERVER_CPU, "load": LOAD_CPU} if PINNED else None,
        "load_before": load_before,
        "load_after": load_average(),
        "seconds": round(time.monotonic() - started, 1),
        "machine": machine_info | versions,
        "code": {"start": code_before, "end": code_after},
        "workloads": {
            w.key: {
                "title": w.title,
                "query": w.query,
                "path": w.get_path(Picks("{event}", "{partner}")).split("?")[0],
            }
            for w in WORKLOADS
        },
        "postgraphile_w1": POSTGRAPHILE_W1,
        "datasets": [d.describe() for d in datasets],
        "notes": notes,
    }
    return write_outputs(data, run.cells, datasets, plan)


if __name__ == "__main__":
    sys.exit(rerender() if "--report" in sys.argv[1:] else main(quick="--quick" in sys.argv[1:]))
