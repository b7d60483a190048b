"""accord itself, started the way users start it (`accord serve`), on a free loopback port."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.harness.ports import free_port
from tests.harness.waiting import eventually, wait_until

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

    def readiness(self) -> dict[str, Any]:
        """``/readyz`` on a connection of its own: with several workers, whichever accepts it answers
        (its ``instance`` says which), with its live counts."""
        response = httpx.get(f"{self.url}/readyz", timeout=5, headers={"Connection": "close"})
        body: dict[str, Any] = response.json()
        return body

    def subscriptions(self) -> int:
        return int(self.readiness()["live"]["subscriptions"])

    async def subscribed(self, expected: int | Mapping[str, int], *, timeout: float = 15) -> None:
        """Wait until the server holds ``expected`` subscriptions: a number (one worker), or a number per
        instance (several workers; a WebSocket's connection_ack names the instance it reached). A
        subscription is counted once it has joined its group: a milestone committed later reaches it."""
        wanted = expected if isinstance(expected, Mapping) else None
        seen: dict[str, int] = {}

        async def reached() -> bool:
            body = await asyncio.to_thread(self.readiness)
            seen[body["instance"]] = body["live"]["subscriptions"]
            if wanted is None:
                return bool(seen[body["instance"]] == expected)
            return all(seen.get(instance) == count for instance, count in wanted.items())

        await eventually(reached, f"{expected} subscriptions (seen {seen})", timeout=timeout)

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
) -> Iterator[LiveServer]:
    port = free_port()
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
    def ready() -> bool:
        if server.process.poll() is not None:
            raise RuntimeError(f"accord serve exited with {server.process.returncode}:\n{server.log()}")
        return httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200

    try:
        wait_until(ready, "accord serve to answer /readyz", timeout=timeout, ignoring=(httpx.HTTPError,))
    except TimeoutError as timed_out:
        raise TimeoutError(f"{timed_out}:\n{server.log()}") from None
