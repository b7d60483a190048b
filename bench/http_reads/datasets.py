"""The data sets: the seed fixtures and `accord fixtures synth` rows in SQLite files, and the same
synthetic rows in PostgreSQL; how each is loaded, what it holds, what W2 and W5 ask of it, and the
statements per request counted on it (bench/statements.py)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.postgres import PostgresServer

from bench import pgcluster
from bench.http_reads.plan import size_label
from bench.http_reads.processes import (
    ACCORD,
    PROJECT,
    accord_code_env,
    accord_env,
    clean_env,
    run_checked,
)
from bench.workloads import Picks, picks_from_postgres, picks_from_sqlite

SEED = 20240601


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
    statements: dict[str, dict[str, int]] = field(default_factory=dict)  # workload -> mode -> per request
    # The same for the other accords of the run (accord-nocache, accord-before, ...), by server
    other_statements: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    naive_statements: int | None = None

    def statements_of(self, server: str) -> dict[str, dict[str, int]]:
        """Statements per request of an accord (workload -> mode -> count); (d) without its own count
        runs the same statements as accord's uncached reads."""
        if server == "accord":
            return self.statements
        return self.other_statements.get(server) or (self.statements if server == "accord-nocache" else {})

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


def dataset_from(item: dict[str, Any]) -> Dataset:
    """A data set as http.json describes it, for `--report`."""
    fields = {key: value for key, value in item.items() if key != "picks"}
    return Dataset(**fields, picks=Picks(**item["picks"]))


ROW_COUNTS = {
    "events": "SELECT count(*) FROM event",
    "published_events": "SELECT count(*) FROM event WHERE status = 'PUBLISHED'",
    "partners": "SELECT count(*) FROM partner",
    "agreements": "SELECT count(*) FROM agreement",
    "exhibits": "SELECT count(*) FROM exhibit",
    "event_partner": "SELECT count(*) FROM event_partner",
    "milestones": "SELECT count(*) FROM event WHERE status = 'PUBLISHED' AND is_milestone",
}


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


def _accord_statements(command: list[str], code: Path | None) -> dict[str, dict[str, int]]:
    result = subprocess.run(
        command, env=accord_code_env(code), cwd=PROJECT, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        print(f"   statement count failed: {result.stderr[-500:]}", flush=True)
        return {}
    counts: dict[str, dict[str, int]] = json.loads(result.stdout.strip().splitlines()[-1])
    return counts


def count_statements(dataset: Dataset, accords: list[tuple[str, Path | None, bool]]) -> None:
    """The in-process one-off of bench/statements.py for each accord served on the data set (server,
    the snapshot it imports or None for the current tree's, whether its response cache is on), and
    baseline (c) on SQLite."""
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
        for server, code, response_cache in accords:
            counts = _accord_statements(command + ([] if response_cache else ["--no-response-cache"]), code)
            if server == "accord":
                dataset.statements = counts
            else:
                dataset.other_statements[server] = counts
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
