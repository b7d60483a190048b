"""The Python baselines of bench/baselines/, each started on a free port beside accord's data:
(a) bare Starlette with accord's W1 bytes, (b) strawberry `{ hello }`, (c) W1 the naive way."""

from __future__ import annotations

import json
import sys

from bench.http_reads.accord_server import accord_loads
from bench.http_reads.autocannon import Load, graphql_post
from bench.http_reads.datasets import Dataset
from bench.http_reads.processes import clean_env, free_port, http_ok
from bench.http_reads.run import Run
from bench.workloads import BY_KEY, HELLO, HELLO_ANSWER


def baseline_command(module: str, port: int, *options: str) -> list[str]:
    return [sys.executable, "-m", f"bench.baselines.{module}", *options, "--port", str(port)]


def run_naive(run: Run, dataset: Dataset) -> None:
    """(c): W1 with strawberry + SQLModel, N+1, over the same SQLite file."""
    assert dataset.path is not None
    port = free_port()
    command = baseline_command("naive_w1", port, "--database", str(dataset.path))
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
    command = baseline_command("bare_starlette", port, "--body", str(body_file))

    def check(answer: bytes) -> str:
        assert answer == body, "bytes differ from accord's W1 answer"
        return f"{len(answer)} bytes, identical to accord's W1"

    with run.serving("bare", command, clean_env(), http_ok("/healthz"), port) as server:
        load = Load("GET", BY_KEY["W1"].get_path(dataset.picks))
        run.add(run.cell(dataset, "bare", "W1", "cached", load), server, load, check)


def run_hello(run: Run) -> None:
    """(b): plain strawberry { hello }."""
    port = free_port()
    command = baseline_command("strawberry_hello", port)

    def check(body: bytes) -> str:
        assert body == HELLO_ANSWER, f"unexpected answer {body[:200]!r}"
        return "hello world"

    with run.serving("hello", command, clean_env(), http_ok("/healthz"), port) as server:
        load = graphql_post(json.dumps({"query": HELLO}))
        run.add(run.cell(None, "hello", "hello", "uncached", load), server, load, check)
