"""Measuring one cell: one checked answer, single requests on an idle connection, a warm-up, then the
measured autocannon runs, with the CPU the server (and the database) spent on them."""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable

import httpx
import psutil  # type: ignore[import-untyped]

from bench.http_reads.autocannon import CONNECTIONS, Load, autocannon, run_figures, send_once
from bench.http_reads.cells import Cell
from bench.http_reads.plan import Plan
from bench.http_reads.processes import Server
from bench.http_reads.provenance import MB, load_average

# A cell is not load-tested when one request alone, times the connections, would pass accord's
# execution timeout (ACCORD_EXECUTION_TIMEOUT_SECONDS, 5 s): every request would queue past it (504).
TIMEOUT_MS = 5000
SEQUENTIAL = 5  # requests one after another, on one connection, before the load


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each process and of its children that have ended: PostgreSQL's backends end
    with their connections, and the postmaster's children times keep what they used."""
    seconds = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            seconds[pid] = times.user + times.system + times.children_user + times.children_system
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
            print_cell(cell)
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
    print_cell(cell)
    return cell


def print_cell(cell: Cell) -> None:
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
