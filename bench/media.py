"""Images: processing a 24-megapixel JPEG, and serving a cached variant beside Starlette's StaticFiles.

`python -m bench media [--quick]` (or `make bench BENCH_ARGS=media`) measures, in one run:

1. Processing, in this process, one thread: a 6000 x 4000 JPEG made here (tests/harness/images.py:
   noise, a gradient, a disc; EXIF with GPS tags; about 4 MB) through ``process_image`` (check,
   decode, orientation, colour, metadata stripped, the original re-encoded, placeholder and colour),
   beside the floor for the same file with Pillow alone (decode it, encode it as JPEG again); then
   every variant of the stored original (each width, each format), as the first request for it
   builds it. Median of 3 runs (1 with --quick).
2. Serving, over HTTP: `accord serve` (SQLite with the seed, one process, defaults but for
   ACCORD_RATE_LIMIT=false: every request comes from 127.0.0.1) with the image added by
   `accord media add`, its 640 px WebP variant built by one request, then loaded; beside it, in the
   same run, Starlette's StaticFiles (bench/baselines/static_files.py, the same uvicorn options)
   serving that very file copied out of accord's cache. Both servers run side by side, idle but for
   the one under load, and the runs alternate (accord, StaticFiles, accord, ...) so a change in the
   machine's load falls on both. autocannon, 32 connections, 2 s warm-up, median of 3 runs of 10 s
   (--quick: 1 run of 3 s). The server on CPU 0 and autocannon on CPU 1 when both exist. Also
   accord's 304 answer to If-None-Match and the URL without a format (Accept: image/webp).

Target: accord's variant answer at least 0.7 of StaticFiles' req/s. Writes bench/results/media.json and
media.md.
"""

from __future__ import annotations

import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.http_reads import autocannon as ac
from bench.http_reads import measure, processes, provenance
from bench.machine import cpu_model, git_commit, package_versions

PROJECT = Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "bench" / "results"
TARGET = 0.7
EXHIBIT = "foreign-customs-exchange-uniforms"
WIDTHS = (320, 640)  # the WebP variants served: a list thumbnail and a phone-width picture


@dataclass(frozen=True)
class Plan:
    runs: int
    duration: int
    warmup: int
    processing_runs: int


FULL = Plan(runs=3, duration=10, warmup=2, processing_runs=3)
QUICK = Plan(runs=1, duration=3, warmup=2, processing_runs=1)


@dataclass
class Serving:
    name: str  # accord, accord-negotiated, accord-304, staticfiles, staticfiles-304
    server: str
    path: str
    expect: int
    headers: tuple[tuple[str, str], ...] = ()
    runs: list[dict[str, Any]] = field(default_factory=list)
    check: str = ""
    cpu_ms: float | None = None

    def median(self, key: str) -> float | None:
        values = [run[key] for run in self.runs]
        return statistics.median(values) if values else None

    @property
    def problems(self) -> int:
        return sum(run["errors"] + run["timeouts"] + run["unexpected_status"] for run in self.runs)


# -- processing ---------------------------------------------------------------------------------------


def timed(function: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median milliseconds of ``runs`` calls, and the last result."""
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds) * 1000, 1), result


def measure_processing(data: bytes, runs: int) -> dict[str, Any]:
    from PIL import Image

    from accord.media import MediaLimits, process_image, render_variant, served_formats, variant_widths

    def pillow_alone() -> bytes:
        out = io.BytesIO()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.save(out, "JPEG", quality=95)
        return out.getvalue()

    floor_ms, _ = timed(pillow_alone, runs)
    process_ms, processed = timed(lambda: process_image(data, MediaLimits()), runs)
    print(f"   process_image {process_ms:.0f} ms; Pillow decode + encode alone {floor_ms:.0f} ms", flush=True)
    variants = []
    for fmt in served_formats():
        for width in variant_widths(processed.width):
            ms, variant = timed(lambda w=width, f=fmt: render_variant(processed.data, w, f), runs)
            variants.append({"format": fmt.value, "width": width, "ms": ms, "bytes": len(variant)})
            print(f"   variant {width:>5} {fmt.value:<4} {ms:8.0f} ms {len(variant):>9,} bytes", flush=True)
    return {
        "upload_bytes": len(data),
        "pixels": [processed.width, processed.height],
        "original_bytes": processed.byte_size,
        "process_image_ms": process_ms,
        "pillow_decode_encode_ms": floor_ms,
        "ratio_to_pillow": round(process_ms / floor_ms, 2),
        "variants": variants,
        "all_variants_ms": round(sum(v["ms"] for v in variants), 1),
    }


# -- serving ------------------------------------------------------------------------------------------


def prepare_accord(workdir: Path, data: bytes) -> tuple[dict[str, str], str]:
    """A SQLite database with the seed and the image on a published exhibit; (env, content hash)."""
    cache = str(workdir / "cache")
    env = processes.accord_env(f"sqlite:///{workdir / 'media.db'}", ACCORD_MEDIA_CACHE_DIR=cache)
    processes.run_checked([processes.ACCORD, "db", "upgrade"], env, 300, "accord db upgrade")
    processes.run_checked([processes.ACCORD, "fixtures", "load"], env, 300, "accord fixtures load")
    photo = workdir / "photo.jpg"
    photo.write_bytes(data)
    command = [processes.ACCORD, "media", "add", str(photo), "--exhibit", EXHIBIT]
    command += ["--alt-en", "A benchmark photo"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"accord media add failed: {result.stderr[-2000:]}")
    url = result.stderr.split("/media/", 1)[1].split()[0]
    return env, url.split("/", 1)[0]


def probe(server: processes.Server, case: Serving) -> bytes:
    with httpx.Client(base_url=server.url, timeout=120) as client:
        response = client.get(case.path, headers=dict(case.headers))
    if response.status_code != case.expect:
        raise RuntimeError(f"{case.name}: status {response.status_code}: {response.text[:300]}")
    case.check = (
        f"{response.status_code} {response.headers.get('content-type', '')} {len(response.content)} bytes"
    )
    return response.content


def load_run(server: processes.Server, case: Serving, seconds: int) -> None:
    load = ac.Load("GET", case.path, headers=case.headers, expect=case.expect)
    measure.wait_idle(server.process.pid)
    before = measure.cpu_by_pid([server.process.pid])
    figures = ac.run_figures(ac.autocannon(server.url, load, seconds), case.expect)
    measure.wait_idle(server.process.pid)
    figures["server_cpu_s"] = round(measure.cpu_used(before, [server.process.pid]), 3)
    case.runs.append(figures)
    print(
        f"   {case.name:<18} {figures['req_per_s']:9.1f} req/s  p50 {figures['p50_ms']:6.1f} ms  "
        f"p99 {figures['p99_ms']:6.1f} ms  problems "
        f"{figures['errors'] + figures['timeouts'] + figures['unexpected_status']}",
        flush=True,
    )


def measure_serving(workdir: Path, data: bytes, plan: Plan) -> tuple[list[Serving], dict[str, Any]]:
    env, digest = prepare_accord(workdir, data)
    static = workdir / "static"
    static.mkdir()
    accord_port, static_port = processes.free_port(), processes.free_port()
    command = [processes.ACCORD, "serve", "--host", "127.0.0.1", "--port", str(accord_port)]
    accord = processes.start_server("accord", command, env, workdir, accord_port, {})
    baseline: processes.Server | None = None
    try:
        processes.wait_ready(accord, processes.http_ok("/readyz"))
        sizes, etags = {}, {}
        for width in WIDTHS:  # the first request builds each variant and caches it on disk
            first = httpx.get(f"{accord.url}/media/{digest}/{width}.webp", timeout=300)
            first.raise_for_status()
            cached = list((workdir / "cache").rglob(f"{digest}/{width}.webp"))
            if len(cached) != 1 or cached[0].read_bytes() != first.content:
                raise RuntimeError(f"the variant is not in accord's cache as served: {cached}")
            shutil.copyfile(cached[0], static / f"{width}.webp")
            sizes[width], etags[width] = len(first.content), first.headers["etag"]
        command = [sys.executable, "-m", "bench.baselines.static_files", "--directory", str(static)]
        command += ["--port", str(static_port)]
        baseline = processes.start_server(
            "staticfiles", command, processes.clean_env(), workdir, static_port, {}
        )
        processes.wait_ready(baseline, processes.http_ok("/healthz"))
        cases: list[tuple[processes.Server, Serving]] = []
        for width in WIDTHS:
            variant, static_path = f"/media/{digest}/{width}.webp", f"/static/{width}.webp"
            cases += [
                (accord, Serving(f"accord {width}", "accord", variant, 200)),
                (baseline, Serving(f"staticfiles {width}", "staticfiles", static_path, 200)),
            ]
        first_width = WIDTHS[0]
        static_etag = httpx.get(f"{baseline.url}/static/{first_width}.webp").headers["etag"]
        negotiated = ("accept", "image/webp")
        cases += [
            (
                accord,
                Serving(
                    f"accord {first_width}, Accept",
                    "accord",
                    f"/media/{digest}/{first_width}",
                    200,
                    (negotiated,),
                ),
            ),
            (
                accord,
                Serving(
                    f"accord {first_width}, 304",
                    "accord",
                    f"/media/{digest}/{first_width}.webp",
                    304,
                    (("if-none-match", etags[first_width]),),
                ),
            ),
            (
                baseline,
                Serving(
                    f"staticfiles {first_width}, 304",
                    "staticfiles",
                    f"/static/{first_width}.webp",
                    304,
                    (("if-none-match", static_etag),),
                ),
            ),
        ]
        bodies: dict[str, set[bytes]] = {}
        for server, case in cases:
            body = probe(server, case)
            if case.expect == 200:
                bodies.setdefault(case.path.rsplit("/", 1)[1].split(".")[0], set()).add(body)
        if any(len(same) != 1 for same in bodies.values()):
            raise RuntimeError("accord and StaticFiles do not serve the same bytes")
        for server, case in cases:
            load = ac.Load("GET", case.path, headers=case.headers, expect=case.expect)
            ac.autocannon(server.url, load, plan.warmup)
        for _ in range(plan.runs):  # alternating, so drift in the machine's load falls on every case
            for server, case in cases:
                load_run(server, case, plan.duration)
        for _, case in cases:
            requests = sum(run["requests"] for run in case.runs)
            cpu = sum(run["server_cpu_s"] for run in case.runs)
            case.cpu_ms = round(cpu * 1000 / requests, 3) if requests else None
        facts = {"variant_bytes": sizes, "content_hash": digest}
        return [case for _, case in cases], facts
    finally:
        processes.stop_server(accord)
        if baseline is not None:
            processes.stop_server(baseline)


# -- report -------------------------------------------------------------------------------------------


def passed(serving: dict[str, Any]) -> bool:
    return serving["problems"] == 0 and all(ratio >= TARGET for ratio in serving["ratios"].values())


def report(data: dict[str, Any]) -> str:
    processing, serving, machine = data["processing"], data["serving"], data["machine"]
    runs = data["plan"]["processing_runs"]
    lines = [
        "# Images",
        "",
        f"`python -m bench media` (see its docstring), {data['date']}, {data['seconds']} s"
        + (" (--quick)" if data["quick"] else "")
        + ".",
        "",
        f"On `{machine['hostname']}`: {machine['cores']} CPUs ({machine['cpu_model']}), "
        f"Python {machine['python']}, Pillow {machine['packages'].get('pillow', '?')}; "
        f"accord at {machine['accord_commit'][:7]}. Load average {data['load_before'][0]} before, "
        f"{data['load_after'][0]} at the end"
        + ("; server on CPU 0, autocannon on CPU 1." if data["pinned"] else "."),
        "",
        "## Processing a 24-megapixel JPEG",
        "",
        f"{processing['pixels'][0]} x {processing['pixels'][1]} pixels, {processing['upload_bytes']:,} bytes "
        f"uploaded, {processing['original_bytes']:,} bytes stored; median of {runs} run(s), one thread.",
        "",
        "| step | ms |",
        "| --- | ---: |",
        f"| `process_image` (checks, decode, orientation, colour, metadata stripped, original re-encoded, "
        f"placeholder, colour) | {processing['process_image_ms']:,.0f} |",
        "| Pillow alone: decode the same file and encode it as JPEG | "
        f"{processing['pillow_decode_encode_ms']:,.0f} |",
        f"| ratio | {processing['ratio_to_pillow']:.2f} |",
        "",
        "Each variant, built from the stored original on the first request for it:",
        "",
        "| width | format | ms | bytes |",
        "| ---: | --- | ---: | ---: |",
    ]
    for variant in processing["variants"]:
        lines.append(
            f"| {variant['width']} | {variant['format']} | {variant['ms']:,.0f} | {variant['bytes']:,} |"
        )
    lines += [
        f"| all | | {processing['all_variants_ms']:,.0f} | |",
        "",
        "## Serving a cached variant",
        "",
        "The WebP variants of the same image: "
        + ", ".join(
            f"{width} px, {size:,} bytes" for width, size in serving["facts"]["variant_bytes"].items()
        )
        + ".",
        "",
        f"autocannon, {ac.CONNECTIONS} connections, median of {data['plan']['runs']} run(s) of "
        f"{data['plan']['duration']} s, the cases alternating.",
        "",
        "| case | server | req/s | p50 ms | p99 ms | CPU ms/request | problems |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in serving["cases"]:
        runs = case["runs"]
        med = {key: statistics.median(run[key] for run in runs) for key in ("req_per_s", "p50_ms", "p99_ms")}
        problems = sum(run["errors"] + run["timeouts"] + run["unexpected_status"] for run in runs)
        lines.append(
            f"| {case['name']} | {case['server']} | {med['req_per_s']:,.0f} | {med['p50_ms']:.1f} | "
            f"{med['p99_ms']:.1f} | {case['cpu_ms']} | {problems} |"
        )
    lines.append("")
    for width, ratio in serving["ratios"].items():
        lines.append(
            f"accord / StaticFiles, {width} px: **{ratio:.2f}** req/s; "
            f"{serving['cpu_ratios'][width]:.2f} of its CPU per request."
        )
    verdict = "PASS" if passed(serving) else "FAIL"
    lines += ["", f"Target (every ratio of req/s at least {TARGET}, no errors): **{verdict}**.", ""]
    return "\n".join(lines)


def main(quick: bool = False) -> int:
    from tests.harness.images import large_jpeg

    plan = QUICK if quick else FULL
    if not ac.AUTOCANNON.exists():
        print(f"no autocannon at {ac.AUTOCANNON}: run `npm ci` (make bench does)", flush=True)
        return 1
    processes.SETUP.pinned = processes.can_pin()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    load_before = provenance.load_average()
    commit = git_commit()
    workdir = Path(tempfile.mkdtemp(prefix="bench-media-"))
    processes.SETUP.code = processes.snapshot_code(workdir)  # every accord process imports this copy of src/
    try:
        data = large_jpeg(24)
        print("== processing", flush=True)
        processing = measure_processing(data, plan.processing_runs)
        print("== serving", flush=True)
        cases, facts = measure_serving(workdir, data, plan)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ratios, cpu_ratios = {}, {}
    for width in WIDTHS:
        mine, theirs = (next(c for c in cases if c.name == f"{s} {width}") for s in ("accord", "staticfiles"))
        ratios[str(width)] = round((mine.median("req_per_s") or 0) / (theirs.median("req_per_s") or 1), 2)
        cpu_ratios[str(width)] = round((mine.cpu_ms or 0) / (theirs.cpu_ms or 1), 2)
    import os
    import platform
    import socket

    result: dict[str, Any] = {
        "suite": "media",
        "quick": quick,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round(time.monotonic() - started, 1),
        "plan": plan.__dict__,
        "pinned": processes.SETUP.pinned,
        "load_before": load_before,
        "load_after": provenance.load_average(),
        "machine": {
            "hostname": socket.gethostname(),
            "cpu_model": cpu_model(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "packages": package_versions(
                ("pillow", "blurhash", "starlette", "uvicorn", "uvloop", "httptools")
            ),
            "accord_commit": commit,
        },
        "processing": processing,
        "serving": {
            "facts": facts,
            "cases": [case.__dict__ for case in cases],
            "ratios": ratios,
            "cpu_ratios": cpu_ratios,
            "target": TARGET,
            "problems": sum(case.problems for case in cases),
        },
    }
    (RESULTS / "media.json").write_text(json.dumps(result, indent=2) + "\n")
    text = report(result)
    (RESULTS / "media.md").write_text(text)
    print(text, flush=True)
    return 0 if passed(result["serving"]) else 1


if __name__ == "__main__":
    sys.exit(main(quick="--quick" in sys.argv[1:]))
