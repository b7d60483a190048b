"""accord under test: `accord serve` on a data set, with its defaults (every workload, uncached and
cached), beside it the revision BENCH_HTTP_BEFORE names (bench/http_reads/before.py) and, as baseline
(d), without its response cache; how a workload is asked of it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.http_reads.autocannon import Load, graphql_post
from bench.http_reads.cells import before_pair
from bench.http_reads.datasets import Dataset
from bench.http_reads.processes import ACCORD, SETUP, Server, accord_env, free_port, http_ok
from bench.http_reads.run import Run
from bench.workloads import BY_KEY, WORKLOADS, Picks, Workload


def accord_loads(workload: Workload, picks: Picks) -> dict[str, Load]:
    """The requests of a workload by mode: uncached (``Cache-Control: no-cache``, and a unique unused
    nonce per request), cached."""
    if workload.is_graphql:
        return {
            "uncached": graphql_post(workload.post_body(picks, nonce=True), nonce=True, fresh=True),
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


@dataclass(frozen=True)
class Build:
    """One accord process of a data set: which code it imports and what it sets beyond the defaults."""

    server: str  # a key of cells.SERVER_LABELS
    code: Path | None  # None: the current tree's snapshot (SETUP.code)
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def response_cache(self) -> bool:
        return ("ACCORD_RESPONSE_CACHE", "false") not in self.settings


NO_CACHE = (("ACCORD_RESPONSE_CACHE", "false"),)


def builds() -> list[Build]:
    """The accords under test on a data set. Without BENCH_HTTP_BEFORE: accord with its defaults. With
    it, also the earlier revision, and both without their response cache: the earlier revision keeps
    anonymous answers under the variables the operation declares and has no ``Cache-Control: no-cache``,
    so its uncached GraphQL reads are measured with the cache off, beside the current tree's with the
    cache off too (the same work on both sides); the current tree's answers with the cache on remain
    the figures the targets judge."""
    if SETUP.before is None:
        return [Build("accord", None)]
    code = SETUP.before.code
    return [
        Build("accord", None),
        Build("accord-nocache", None, NO_CACHE),
        Build("accord-before", code),
        Build("accord-before-nocache", code, NO_CACHE),
    ]


def cell_servers(workload: Workload, mode: str, served: list[str]) -> list[str]:
    """Which accords measure a cell: accord as served, and with BENCH_HTTP_BEFORE the pair compared."""
    if "accord-before" not in served:
        return ["accord"]
    return list(dict.fromkeys(["accord", *before_pair(workload.is_graphql, mode)]))


def cache_hits(server: Server) -> int | None:
    """The response cache's hit count so far (/readyz), None when it cannot be read."""
    with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError, TypeError):
        hits = httpx.get(server.url + "/readyz", timeout=10).json()["cache"]["hits"]
        return int(hits)
    return None


def run_accord(run: Run, dataset: Dataset, *, only: tuple[str, ...] | None = None) -> None:
    """accord with its defaults (response cache on): every workload, uncached and cached. With
    BENCH_HTTP_BEFORE the accords of `builds` serve at once, and each cell of the earlier revision is
    measured right before or after the same cell of the current tree (the order alternates), so that a
    change in the machine's load falls on both."""
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        for build in builds():
            port = free_port()
            env = accord_env(dataset.url, build.code, **dict(build.settings))
            settings = {
                k: v for k, v in env.items() if k.startswith("ACCORD_") and k != "ACCORD_DATABASE_URL"
            }
            servers[build.server] = stack.enter_context(
                run.serving(build.server, accord_command(port), env, http_ok("/readyz"), port, settings)
            )
        pairs = 0
        for workload in WORKLOADS:
            if only is not None and workload.key not in only:
                continue
            for mode, load in accord_loads(workload, dataset.picks).items():
                if dataset.backend == "postgresql" and not run.plan.on_postgres(workload.key, mode):
                    continue
                names = cell_servers(workload, mode, list(servers))
                pairs += 1
                for name in names if pairs % 2 else names[::-1]:
                    measure_accord(run, dataset, name, servers[name], workload, mode, load)
        for name, server in servers.items():
            with contextlib.suppress(httpx.HTTPError, ValueError):
                cache = httpx.get(server.url + "/readyz", timeout=10).json().get("cache")
                if cache is not None:
                    run.notes.append(f"{dataset.label}: {name}'s response cache after the run: {cache}")


def measure_accord(
    run: Run, dataset: Dataset, name: str, server: Server, workload: Workload, mode: str, load: Load
) -> None:
    """One cell of an accord; an uncached GraphQL cell that the response cache answered even once is
    failed: it would not have measured running the document."""
    cell = run.cell(dataset, name, workload.key, mode, load)
    cell.statements = dataset.statements_of(name).get(workload.key, {}).get(mode)
    hits_before = cache_hits(server)
    run.add(cell, server, load, checker(workload, dataset.expected_w1))
    hits_after = cache_hits(server)
    if hits_before is not None and hits_after is not None:
        cell.cache_hits = hits_after - hits_before
    if mode == "uncached" and workload.is_graphql and cell.cache_hits and not cell.failed:
        cell.failed = f"the response cache answered {cell.cache_hits} of its requests: not uncached"
        print(f"   {dataset.label} {name} {workload.key} {mode}: {cell.failed}", flush=True)
    if name == "accord" and workload.key == "W1" and mode == "cached" and dataset.label not in run.bodies:
        run.bodies[dataset.label] = httpx.get(server.url + load.path, timeout=60).content


def run_accord_nocache(run: Run, dataset: Dataset) -> None:
    """(d): accord with ACCORD_RESPONSE_CACHE=false, W1 (the same POST as W1 uncached)."""
    port = free_port()
    env = accord_env(dataset.url, ACCORD_RESPONSE_CACHE="false")
    with run.serving("accord-nocache", accord_command(port), env, http_ok("/readyz"), port) as server:
        w1 = BY_KEY["W1"]
        load = accord_loads(w1, dataset.picks)["uncached"]
        cell = run.cell(dataset, "accord-nocache", "W1", "uncached", load)
        cell.statements = dataset.statements_of("accord-nocache").get("W1", {}).get("uncached")
        run.add(cell, server, load, lambda body: w1.check(body, dataset.expected_w1))
