"""The run loop: hello once, then per SQLite size accord and its baselines, then PostgreSQL with
accord and the PostGraphile peers (4, then 5); `main` wraps it with the machine, the notes and the
outputs."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench import pgcluster
from bench.http_reads import autocannon, before, postgraphile
from bench.http_reads.accord_server import builds, run_accord, run_accord_nocache
from bench.http_reads.autocannon import AUTOCANNON, CONNECTIONS
from bench.http_reads.baselines import run_bare, run_hello, run_naive
from bench.http_reads.datasets import (
    Dataset,
    count_statements,
    postgres_dataset,
    remove_sqlite,
    sqlite_dataset,
)
from bench.http_reads.plan import FULL, QUICK, Plan, plan_from_environment, size_label
from bench.http_reads.postgraphile import POSTGRAPHILE5_W1, POSTGRAPHILE_W1
from bench.http_reads.processes import LOAD_CPU, SERVER_CPU, SETUP, can_pin, snapshot_code
from bench.http_reads.provenance import code_state, load_average, machine
from bench.http_reads.report import RESULTS, write_outputs
from bench.http_reads.run import Run
from bench.workloads import WORKLOADS, Picks


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
        count_statements(dataset, [(b.server, b.code, b.response_cache) for b in builds()])
        try:
            run_accord(run, dataset)
            # With BENCH_HTTP_BEFORE, run_accord measures (d) on every GraphQL read, at every size.
            if plan.runs_nocache(events) and SETUP.before is None:
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
                count_statements(dataset, [(b.server, b.code, b.response_cache) for b in builds()])
                run_accord(run, dataset)
                postgraphile.run_postgraphile(run, dataset)
        except Exception as exc:
            run.notes.append(f"PostgreSQL: {type(exc).__name__}: {exc}"[:1000])
            print(f"   PostgreSQL failed: {exc}", flush=True)
    return run, datasets, versions


def plan_notes(plan: Plan, quick: bool) -> list[str]:
    """What the report says about the plan: shorter runs, cells left out for time, a partial run."""
    notes = []
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
            + " (and W1 of PostGraphile 4 and 5), for time: the comparison with PostGraphile is about W1."
        )
    if plan.nocache_sizes and SETUP.before is None:
        notes.append(
            "(d) ran at "
            + ", ".join(size_label(e or None) for e in plan.nocache_sizes)
            + " only, for time: elsewhere W1 uncached (a miss on every request) stands in for it."
        )
    if plan != (QUICK if quick else FULL):
        notes.append(f"Partial run (BENCH_HTTP_* knobs): {asdict(plan)}")
    return notes


def main(quick: bool = False) -> int:
    plan = plan_from_environment(QUICK if quick else FULL)
    if not AUTOCANNON.exists():
        print(f"no autocannon at {AUTOCANNON}: run `npm ci` (make bench does)", flush=True)
        return 1
    SETUP.pinned = can_pin()
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    code_before = code_state()
    # Before the run: the commit and tree that were copied.
    machine_info = machine({"autocannon": autocannon.version(), **postgraphile.versions()})
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    try:
        SETUP.code = snapshot_code(workdir)
        ref = before.requested()
        if ref is not None:
            SETUP.before = before.snapshot_revision(ref, workdir)
            print(f"-- before: {ref} = {SETUP.before.commit[:12]} {SETUP.before.subject[:80]}", flush=True)
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
    notes += plan_notes(plan, quick)
    data: dict[str, Any] = {
        "suite": "http",
        "quick": quick,
        "partial": plan != (QUICK if quick else FULL),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "plan": asdict(plan),
        "connections": CONNECTIONS,
        "pinned": SETUP.pinned,
        "cpu": {"server": SERVER_CPU, "load": LOAD_CPU} if SETUP.pinned else None,
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
        "before": (
            {"ref": SETUP.before.ref, "commit": SETUP.before.commit, "subject": SETUP.before.subject}
            if SETUP.before is not None
            else None
        ),
        "postgraphile_w1": POSTGRAPHILE_W1,
        "postgraphile5_w1": POSTGRAPHILE5_W1,
        "datasets": [d.describe() for d in datasets],
        "notes": notes,
    }
    return write_outputs(data, run.cells, datasets, plan)
