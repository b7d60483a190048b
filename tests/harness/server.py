"""accord itself, started the way users start it (`accord serve`), on a free loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.harness.ports import free_port

ACCORD = str(Path(sys.executable).with_name("accord"))


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def accord_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env["ACCORD_DATABASE_URL"] = database_url
    env["ACCORD_LOG_LEVEL"] = "warning"
    # Tests send many requests from one address; the rate-limit tests switch limits back on.
    env["ACCORD_RATE_LIMIT"] = "false"
    env.update(extra or {})
    return env


def run_accord(
    *args: str, env: Mapping[str, str], timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ACCORD, *args], env=dict(env), capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
    )


@contextmanager
def live_server(
    database_url: str,
    log_dir: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    workers: int = 1,
    cwd: Path | None = None,
    port: int | None = None,
) -> Iterator[LiveServer]:
    port = port or free_port()  # given: when ACCORD_PUBLIC_URL must name it
    env = accord_env(database_url, extra_env)
    log_path = log_dir / f"accord-{port}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [ACCORD, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
    server = LiveServer(port=port, process=process, log_path=log_path, env=env)
    try:
        _wait_ready(server)
        yield server
    finally:
        server.stop()


def _wait_ready(server: LiveServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"accord serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"accord serve not ready after {timeout}s:\n{server.log()}")
