"""How long, how often and at which sizes the suite measures: the full and quick plans, and the
BENCH_HTTP_* knobs for partial runs."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any


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
    """The BENCH_HTTP_* knobs (see the package docstring); a partial run says so in its report."""
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


def plan_from_json(raw: dict[str, Any]) -> Plan:
    """The plan as http.json records it (`asdict`), for `--report`."""
    return Plan(
        duration=raw["duration"],
        runs=raw["runs"],
        warmup=raw["warmup"],
        sqlite_sizes=tuple(raw["sqlite_sizes"]),
        postgres_size=raw["postgres_size"],
        short_duration=tuple(tuple(pair) for pair in raw["short_duration"]),
        postgres_cells=tuple(tuple(pair) for pair in raw["postgres_cells"]),
        nocache_sizes=tuple(raw["nocache_sizes"]),
    )
