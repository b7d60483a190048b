"""A throw-away PostgreSQL cluster on a free loopback port, from the Debian packages."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.harness.ports import free_port


def postgres_bin() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed: run scripts/install-system-deps (make test does)")
    return Path(candidates[0]).parent


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the Debian package creates the `postgres` user.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PostgresServer:
    port: int
    data_dir: Path
    bin_dir: Path
    settings: str = ""  # more server options (`-c name=value ...`), after the defaults

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "accord_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1"
        options += " -c fsync=off -c max_connections=300"
        if self.settings:
            options += f" {self.settings}"
        self.pg_ctl("-o", options, "-l", str(self.data_dir / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def running_postgres(settings: str = "", prefix: str = "accord-pg-") -> Iterator[PostgresServer]:
    bin_dir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix=prefix))
    data_dir = root / "data"
    data_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data_dir, "postgres")
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
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
    )
    server = PostgresServer(port=free_port(), data_dir=data_dir, bin_dir=bin_dir, settings=settings)
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # a test left it stopped
        finally:
            shutil.rmtree(root, ignore_errors=True)
