"""Scheduled publishing: how late a scheduled milestone reaches a subscriber, against a publish made
by hand in the same run.

`python -m bench schedule [--quick]` starts `accord serve` on a fresh SQLite database over the seed
(default settings but ACCORD_RATE_LIMIT=false), subscribes one graphql-transport-ws client to
`milestoneAdded(tag: "bench")`, then measures, one after the other:

- baseline ("publish now"): N milestones created published; the time from writing the request to
  the subscriber's `next`;
- "scheduled here": N drafts scheduled with `publishEvent(at:)` 2 s ahead, 150 ms apart; the time
  from each scheduled moment to the subscriber's `next` (the process knows each schedule, and
  sleeps until it);
- "scheduled elsewhere": N drafts given a `scheduled_at` straight in the database (as a process
  that never tells this one would), 2 s ahead, 150 ms apart: the process finds them only by looking,
  every ACCORD_SCHEDULE_POLL_SECONDS (1 s), so this is the worst case the setting bounds.

Writes bench/results/schedule.json and bench/results/schedule.md. The targets: every scheduled
milestone reaches the subscriber less than 2 s after its time (the documented bound), in both
cases.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import update
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from accord.core.tables import events
from accord.db import create_sync_engine
from bench.machine import cpu_model, git_commit, src_modified

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
ACCORD = str(Path(sys.executable).with_name("accord"))
SUBSCRIPTION = 'subscription { milestoneAdded(tag: "bench") { slug } }'
CREATE = "mutation($input: EventInput!) { createEvent(input: $input) { id } }"
SCHEDULE = "mutation($id: ID!, $at: DateTime) { publishEvent(id: $id, at: $at) { id } }"
BOUND_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    return env | {"ACCORD_DATABASE_URL": url, "ACCORD_RATE_LIMIT": "false", "ACCORD_LOG_LEVEL": "warning"}


def _accord(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([ACCORD, *args], env=env, capture_output=True, text=True, check=True, timeout=300)
    return done.stdout


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


async def _measure(base: str, ws_url: str, token: str, url: str, n: int) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    arrivals: dict[str, float] = {}
    async with (
        connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws,
        httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http,
    ):
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))

        arrived = asyncio.Condition()

        async def listen() -> None:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "next":
                    arrivals[message["payload"]["data"]["milestoneAdded"]["slug"]] = time.time()
                    async with arrived:
                        arrived.notify_all()

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)  # the subscription registers (one message ahead of any publish)

        async def create(slug: str, status: str) -> str:
            variables = {
                "input": {
                    "slug": slug,
                    "title": {"en": slug},
                    "date": {"year": 2026},
                    "kind": "OTHER",
                    "isMilestone": True,
                    "tags": ["bench"],
                    "status": status,
                }
            }
            answer = (await http.post("/graphql", json={"query": CREATE, "variables": variables})).json()
            return str(answer["data"]["createEvent"]["id"])

        async def wait_for(slugs: list[str]) -> None:
            async with arrived:
                await asyncio.wait_for(arrived.wait_for(lambda: all(slug in arrivals for slug in slugs)), 30)

        # Baseline: publish now.
        sent: dict[str, float] = {}
        for i in range(n):
            slug = f"now-{i}"
            sent[slug] = time.time()
            await create(slug, "PUBLISHED")
        await wait_for(list(sent))
        baseline = [arrivals[slug] - at for slug, at in sent.items()]

        # Scheduled through the API.
        ids = {f"here-{i}": await create(f"here-{i}", "DRAFT") for i in range(n)}
        start = datetime.now(UTC) + timedelta(seconds=2)
        due = {slug: start + timedelta(milliseconds=150 * i) for i, slug in enumerate(ids)}
        for slug, node_id in ids.items():
            await http.post(
                "/graphql",
                json={"query": SCHEDULE, "variables": {"id": node_id, "at": due[slug].isoformat()}},
            )
        await wait_for(list(ids))
        here = [arrivals[slug] - due[slug].timestamp() for slug in ids]

        # Scheduled behind the process's back: found only by looking.
        slugs = [f"elsewhere-{i}" for i in range(n)]
        for slug in slugs:
            await create(slug, "DRAFT")
        start = datetime.now(UTC) + timedelta(seconds=2)
        due = {slug: start + timedelta(milliseconds=150 * i) for i, slug in enumerate(slugs)}
        engine = create_sync_engine(url)
        with engine.begin() as conn:
            for slug in slugs:
                conn.execute(update(events).where(events.c.slug == slug).values(scheduled_at=due[slug]))
        engine.dispose()
        await wait_for(slugs)
        elsewhere = [arrivals[slug] - due[slug].timestamp() for slug in slugs]
        listener.cancel()
    return {"publish now": baseline, "scheduled here": here, "scheduled elsewhere": elsewhere}


def main(quick: bool = False) -> int:
    n = 5 if quick else 20
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="accord-bench-schedule-") as directory:
        url = f"sqlite:///{directory}/accord.db"
        env = _env(url)
        _accord("db", "upgrade", env=env)
        _accord("fixtures", "load", env=env)
        token = _accord("token", "create", "--name", "bench", env=env).strip().splitlines()[-1]
        port = _free_port()
        server = subprocess.Popen(
            [ACCORD, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            measured = asyncio.run(_measure(base, f"ws://127.0.0.1:{port}/graphql", token, url, n))
        finally:
            server.terminate()
            server.wait(timeout=15)
    summary = {name: _summary(values) for name, values in measured.items()}
    baseline = summary["publish now"]["p50_ms"]
    checks = [
        (
            f"{name}: every milestone less than {BOUND_SECONDS:g} s late",
            summary[name]["max_ms"] < BOUND_SECONDS * 1000,
        )
        for name in ("scheduled here", "scheduled elsewhere")
    ]
    ratios = {
        name: round(values["p50_ms"] / baseline, 2) if baseline else None for name, values in summary.items()
    }
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = {"cpu": cpu_model(), "cpus": os.cpu_count(), "python": platform.python_version()}
    data = {
        "suite": "schedule",
        "quick": quick,
        "date": date,
        "machine": machine,
        "commit": git_commit(),
        "src_modified": src_modified(),
        "summary": summary,
        "ratios_to_publish_now_p50": ratios,
        "targets": [{"target": name, "pass": passed} for name, passed in checks],
        "samples_seconds": {name: [round(v, 4) for v in values] for name, values in measured.items()},
    }
    (RESULTS / "schedule.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [
        "# Scheduled publishing: lateness at the subscriber",
        "",
        f"{date}, commit {git_commit(short=True)}, {machine['cpu']} ({os.cpu_count()} CPUs), "
        f"SQLite, one `accord serve` process, {n} milestones per row.",
        "",
        "| | p50 | p95 | max | p50 / publish now |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, values in summary.items():
        ratio = ratios[name]
        lines.append(
            f"| {name} | {values['p50_ms']} ms | {values['p95_ms']} ms | {values['max_ms']} ms | {ratio} |"
        )
    lines += [
        "",
        "publish now: request written to `next` received; scheduled: scheduled moment to `next` received.",
        "",
    ]
    lines += [f"- {'pass' if passed else 'FAIL'}: {name}" for name, passed in checks]
    markdown = "\n".join(lines) + "\n"
    (RESULTS / "schedule.md").write_text(markdown)
    print(markdown, flush=True)
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
