"""A throw-away PostgreSQL cluster for `python -m bench http`, from the Debian packages.

initdb into a temp dir (trust auth, UTF8, C.UTF-8), started on a free loopback port with durability
off (the benchmark only reads; loading gets faster), stopped by ``pg_ctl`` and deleted at the end.
PostgreSQL refuses to run as root: as root it runs as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

SETTINGS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200 -c shared_buffers=256MB"
)


def postgres_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Cluster:
    root: Path
    bin_dir: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, timeout: float = 120) -> None:
        subprocess.run(
            _as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]),
            check=True,
            capture_output=True,
            timeout=timeout,
            cwd="/",
        )

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def vacuum_analyze(self, database: str) -> None:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")

    def version(self) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def process_ids(self) -> list[int]:
        """The postmaster and its children (backends, background workers): for CPU accounting."""
        import psutil  # type: ignore[import-untyped]

        pid = self.postmaster_pid()
        if pid is None:
            return []
        try:
            return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
        except psutil.Error:
            return []


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (scripts/install-system-deps installs it)")
    root = Path(tempfile.mkdtemp(prefix="bench-http-pg-"))
    try:
        (root / "data").mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(root / "data", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(root / "data"),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
            cwd="/",
        )
        cluster = Cluster(root=root, bin_dir=bin_dir, port=_free_port())
        options = f"-p {cluster.port} -k {root} {SETTINGS}"
        cluster.pg_ctl("-o", options, "-l", str(root / "server.log"), "-w", "start")
        try:
            yield cluster
        finally:
            cluster.pg_ctl("-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
