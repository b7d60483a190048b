"""The state of one run of the suite (its plan, cells, notes and accord's W1 answers, which the
baselines and peers are checked against) and serving one server at a time within it."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.http_reads.autocannon import Load
from bench.http_reads.cells import Cell
from bench.http_reads.datasets import Dataset
from bench.http_reads.measure import measure
from bench.http_reads.plan import Plan
from bench.http_reads.processes import Server, start_server, stop_server, wait_ready


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
