"""One cell of the suite: a server answering one workload in one mode on one data set, with the
figures of its runs; how a cell is kept in http.json, read back, and found again."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

MODES = ("uncached", "cached")
# What the report calls each server of a cell.
SERVER_LABELS = {
    "accord": "accord",
    "accord-before": "accord before (BENCH_HTTP_BEFORE)",
    "accord-before-nocache": "accord before, ACCORD_RESPONSE_CACHE=false",
    "accord-nocache": "(d) accord, ACCORD_RESPONSE_CACHE=false",
    "naive": "(c) naive strawberry+SQLModel",
    "bare": "(a) bare Starlette, W1 bytes",
    "hello": "(b) strawberry { hello }",
    "postgraphile": "(e) PostGraphile 4.14.1",
    "postgraphile5": "(f) PostGraphile 5.1.5",
}


def before_pair(graphql: bool, mode: str) -> tuple[str, str]:
    """The servers (before, after) a cell is compared on with BENCH_HTTP_BEFORE: uncached GraphQL reads
    without a response cache on both sides (the earlier revision keeps answers under the declared
    variables and does not read ``Cache-Control: no-cache``, so it cannot be asked to run the document
    with its cache on), everything else as served."""
    if graphql and mode == "uncached":
        return "accord-before-nocache", "accord-nocache"
    return "accord-before", "accord"


@dataclass
class Cell:
    dataset: str
    backend: str
    server: str  # a key of SERVER_LABELS
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
    # accord's response cache hits during the cell (its /readyz before and after): 0 when uncached
    cache_hits: int | None = None
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


# What summary() adds to the fields: left out when a cell is read back from http.json.
DERIVED = ("req_per_s", "p50_ms", "p99_ms", "errors_non2xx", "server_busy")


def cell_from(data: dict[str, Any]) -> Cell:
    return Cell(**{key: value for key, value in data.items() if key not in DERIVED})


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def lookup(cells: list[Cell], dataset: str, server: str, workload: str, mode: str) -> Cell | None:
    """The cell, measured or not (``find`` only returns cells with runs)."""
    for cell in cells:
        if (cell.dataset, cell.server, cell.workload, cell.mode) == (dataset, server, workload, mode):
            return cell
    return None


def find(cells: list[Cell], dataset: str, server: str, workload: str, mode: str) -> Cell | None:
    """The cell if it was measured (not failed, with runs)."""
    for cell in cells:
        if (cell.dataset, cell.server, cell.workload, cell.mode) == (dataset, server, workload, mode):
            return cell if not cell.failed and cell.runs else None
    return None
