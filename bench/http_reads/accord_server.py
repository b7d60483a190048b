"""accord under test: `accord serve` on a data set, with its defaults (every workload, uncached and
cached) and, as baseline (d), without its response cache; how a workload is asked of it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import httpx

from bench.http_reads.autocannon import Load, graphql_post
from bench.http_reads.datasets import Dataset
from bench.http_reads.processes import ACCORD, accord_env, free_port, http_ok
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
