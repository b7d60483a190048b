"""Server processes of the suite: a free port, CPU pinning, the copy of src/ every accord process
imports, the environments, and starting, probing and stopping one server (only by its own PID)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]

PROJECT = Path(__file__).resolve().parent.parent.parent
ACCORD = str(Path(sys.executable).with_name("accord"))
SERVER_CPU, LOAD_CPU = 0, 1


@dataclass
class Setup:
    """Set once by `suite.main` before anything starts."""

    pinned: bool = False  # the server on SERVER_CPU, autocannon on LOAD_CPU
    code: Path | None = None  # the snapshot of src/ the accord processes import
    before: Revision | None = None  # accord at another revision, served beside it (BENCH_HTTP_BEFORE)


@dataclass(frozen=True)
class Revision:
    """accord at a git revision other than the tree under test, snapshotted for the run."""

    ref: str  # as asked (BENCH_HTTP_BEFORE)
    commit: str
    subject: str
    code: Path  # its src/, as SETUP.code is the current tree's


SETUP = Setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def can_pin() -> bool:
    return {SERVER_CPU, LOAD_CPU} <= os.sched_getaffinity(0) and shutil.which("taskset") is not None


def pinned(cpu: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if SETUP.pinned else command


def snapshot_code(workdir: Path) -> Path:
    """Copy accord's source (with the fixtures and docs/queries it reads) into the run's temp dir: every
    accord process of the run imports this copy (PYTHONPATH), so commits landing mid-run do not mix."""
    code = workdir / "code"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PROJECT / "src", code / "src", ignore=ignore)
    shutil.copytree(PROJECT / "fixtures", code / "fixtures", ignore=ignore)
    if (PROJECT / "docs" / "queries").is_dir():
        shutil.copytree(PROJECT / "docs" / "queries", code / "docs" / "queries")
    return code / "src"


def clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}


def accord_code_env(code: Path | None = None) -> dict[str, str]:
    """The environment of a process that imports accord: ACCORD_* cleared, the snapshot first (``code``,
    or the current tree's copy)."""
    env = clean_env()
    code = code or SETUP.code
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


def accord_env(url: str, code: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of `accord serve` and of the `accord` commands that load a data set; ``code``:
    another snapshot of src/ than the current tree's (the revision BENCH_HTTP_BEFORE names)."""
    settings = {
        "ACCORD_DATABASE_URL": url,
        "ACCORD_LOG_LEVEL": "warning",
        # Every request comes from 127.0.0.1: the per-address read limit (50/s) would answer 429.
        "ACCORD_RATE_LIMIT": "false",
        "ACCORD_LOAD_FIXTURES_ON_EMPTY": "false",
        **extra,
    }
    return accord_code_env(code) | settings


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_bytes(self) -> int | None:
        with contextlib.suppress(psutil.Error):
            rss: int = psutil.Process(self.process.pid).memory_info().rss
            return rss
        return None

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_server(
    name: str, command: list[str], env: dict[str, str], workdir: Path, port: int, settings: dict[str, str]
) -> Server:
    log_path = workdir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            pinned(SERVER_CPU, command),
            env=env,
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Server(name, process, port, log_path, settings)


def stop_server(server: Server) -> int | None:
    """SIGTERM, a bounded wait, then SIGKILL: only this process, by its PID."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return process.returncode


def wait_ready(server: Server, probe: Callable[[httpx.Client], bool], within: float = 120) -> None:
    deadline = time.monotonic() + within
    with httpx.Client(base_url=server.url, timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if probe(client):
                    return
            time.sleep(0.2)
    raise TimeoutError(f"{server.name} not ready after {within:.0f}s:\n{server.log_tail()}")


def http_ok(path: str) -> Callable[[httpx.Client], bool]:
    return lambda client: client.get(path).status_code == 200


def run_checked(command: list[str], env: dict[str, str], timeout: float, what: str) -> float:
    """Run a command to its end (loading a data set); its seconds, or an error with its output."""
    started = time.monotonic()
    result = subprocess.run(command, env=env, cwd=PROJECT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}): {result.stderr[-2000:] or result.stdout[-2000:]}"
        )
    return time.monotonic() - started
