"""The benchmark's PostgreSQL: the tests' throw-away cluster (tests/harness/postgres.py: initdb into
a temp dir, a free loopback port, run as the ``postgres`` user when root, deleted at the end) with
durability off (the benchmark only reads; loading gets faster), and what the suite reads of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from tests.harness.postgres import PostgresServer, running_postgres

SETTINGS = "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB"


@contextmanager
def running_cluster() -> Iterator[PostgresServer]:
    with running_postgres(settings=SETTINGS, prefix="bench-http-pg-") as server:
        yield server


def create_database(server: PostgresServer, name: str) -> str:
    """An empty database called ``name`` (dropped first if it exists); its URL."""
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


def vacuum_analyze(server: PostgresServer, database: str) -> None:
    with psycopg.connect(server.url(database), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def version(server: PostgresServer) -> str:
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def process_ids(server: PostgresServer) -> list[int]:
    """The postmaster and its children (backends, background workers): for CPU accounting."""
    import psutil  # type: ignore[import-untyped]

    try:
        pid = int((server.data_dir / "postmaster.pid").read_text().splitlines()[0])
        return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    except (OSError, ValueError, IndexError, psutil.Error):
        return []
