"""The outputs of the suite: bench/results/http.json (every run, the machine, the data sets), http.md
(the tables, the targets, every cell) and http.png (bench/plot.py); `--report` redraws them."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from bench.http_reads.autocannon import CONNECTIONS
from bench.http_reads.cells import MODES, SERVER_LABELS, Cell, before_pair, cell_from, lookup
from bench.http_reads.datasets import SEED, Dataset, dataset_from
from bench.http_reads.measure import SEQUENTIAL, TIMEOUT_MS
from bench.http_reads.plan import Plan, plan_from_json, size_label
from bench.http_reads.processes import LOAD_CPU, PROJECT, SERVER_CPU
from bench.http_reads.verdicts import PG_VS_POSTGRAPHILE, peer_comparison, peer_target, percent, verdicts
from bench.workloads import SEARCH_QUERY, WORKLOADS

RESULTS = PROJECT / "bench" / "results"

# The W1 rows below accord's workloads in the pivot tables: (server, mode).
BASELINE_ROWS = (
    ("accord-nocache", "uncached"),
    ("naive", "uncached"),
    ("bare", "cached"),
    ("postgraphile", "uncached"),
    ("postgraphile5", "uncached"),
)


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _cpu(cell: Cell) -> str:
    if cell.server_cpu_ms is None:
        return "–"
    shown = f"{cell.server_cpu_ms:.2f}"
    return shown + (f" + {cell.database_cpu_ms:.2f} DB" if cell.database_cpu_ms is not None else "")


def _lat(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def pivot(
    cells: list[Cell], labels: list[str], value: Callable[[Cell], str], *, title_rows: bool = True
) -> list[str]:
    """Rows: accord's workloads and modes, then the W1 baselines and hello; columns: the data sets."""

    def shown(cell: Cell | None) -> str:
        if cell is None:
            return "–"
        if cell.failed:
            return "failed"
        if cell.skipped:
            return "n/s"
        return value(cell) + (f" ⚠{cell.problems}" if cell.problems else "")

    lines = [
        "| workload | mode | " + " | ".join(labels) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in labels) + " |",
    ]
    for workload in WORKLOADS:
        name = f"{workload.key} {workload.title}" if title_rows else workload.key
        for mode in MODES:
            values = [shown(lookup(cells, label, "accord", workload.key, mode)) for label in labels]
            lines.append(f"| {name} | {mode} | " + " | ".join(values) + " |")
    for server, mode in BASELINE_ROWS:
        values = [shown(lookup(cells, label, server, "W1", mode)) for label in labels]
        if any(v != "–" for v in values):
            lines.append(f"| W1 {SERVER_LABELS[server]} | {mode} | " + " | ".join(values) + " |")
    hello = lookup(cells, "-", "hello", "hello", "uncached")
    if hello is not None:
        lines.append(
            f"| {SERVER_LABELS['hello']} (no data: one figure for all) | – | "
            + " | ".join(shown(hello) for _ in labels)
            + " |"
        )
    return lines


def peer_section(cells: list[Cell], datasets: list[Dataset], checks: list[tuple[str, str, str]]) -> list[str]:
    """W1 uncached on PostgreSQL: accord beside both PostGraphiles, and the ratio the target judges."""
    pg = next((d for d in datasets if d.backend == "postgresql"), None)
    if pg is None:
        return []
    comparison = peer_comparison(cells, pg.label)
    mine = comparison.accord
    lines = [
        f"## accord beside PostGraphile 4 and 5: W1 uncached on {pg.label}",
        "",
        "| server | req/s | p50 / p99 ms | 1 conn ms | CPU ms/req | accord ÷ it, req/s "
        "| accord ÷ it, by CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for server, cell in [("accord", lookup(cells, pg.label, "accord", "W1", "uncached"))] + [
        (server, lookup(cells, pg.label, server, "W1", "uncached")) for server in comparison.peers
    ]:
        head = f"| {SERVER_LABELS[server]} |"
        if cell is None or cell.failed or cell.skipped or not cell.runs:
            why = "not measured" if cell is None else "failed" if cell.failed else "not load-tested"
            lines.append(f"{head} {why} | – | {_lat(cell.sequential_ms if cell else None)} | – | – | – |")
            continue
        by_rate = by_cpu = "–"
        if server != "accord" and mine is not None and mine.req_per_s and cell.req_per_s:
            by_rate = f"{mine.req_per_s / cell.req_per_s:.2f}x"
            if mine.cpu_ms and cell.cpu_ms:
                by_cpu = f"{cell.cpu_ms / mine.cpu_ms:.2f}x"
        lines.append(
            f"{head} {_fmt(cell.req_per_s)}{f' ⚠{cell.problems}' if cell.problems else ''} | "
            f"{_lat(cell.median('p50_ms'))} / {_lat(cell.median('p99_ms'))} | {_lat(cell.sequential_ms)} | "
            f"{_cpu(cell)} | {by_rate} | {by_cpu} |"
        )
    target = peer_target(pg.label)
    status = next((status for name, status, _ in checks if name == target), "SKIP")
    faster = comparison.faster
    lines += [
        "",
        (
            f"The ratio is against {SERVER_LABELS[faster]}, the faster PostGraphile measured here; the "
            f"target, accord ≥ {PG_VS_POSTGRAPHILE:.1f}x the faster PostGraphile by req/s: **{status}**."
            if faster is not None
            else f"No PostGraphile was measured: the target (≥ {PG_VS_POSTGRAPHILE:.1f}x) is **{status}**."
        ),
        "",
    ]
    return lines


def before_section(data: dict[str, Any], cells: list[Cell], datasets: list[Dataset]) -> list[str]:
    """accord at the revision BENCH_HTTP_BEFORE named beside the tree under test, cell by cell (each pair
    measured one right after the other on the same data set)."""
    before = data.get("before")
    if not before:
        return []
    lines = [
        f"## Before and after: accord at `{before['ref']}` beside the tree under test",
        "",
        f"Before: `{before['commit'][:12]}` ({before['subject'][:100]}); after: "
        f"`{data['machine']['accord_commit'][:12]}`, both from snapshots taken at the start. On each data "
        "set the accords serve at once and each cell of one is measured right before or after the same "
        "cell of the other. The earlier revision keeps anonymous answers under the variables the operation "
        "declares and does not read `Cache-Control: no-cache`, so it cannot be made to run a document on "
        "every request with its response cache on: the uncached GraphQL reads (W1, W2, W3, W5) are compared "
        "with `ACCORD_RESPONSE_CACHE=false` on both sides (the same work: no cache, and on PostgreSQL no "
        "version read), and the last columns give the current tree as served (cache on, every request a "
        "miss, which on PostgreSQL reads the content version in the page statement). Everything else is "
        "compared as served. after ÷ before above 1: the current tree serves more requests per second, "
        "or uses less CPU per request. SQL/req: statements per request, before → after.",
        "",
        "| data | workload | mode | before req/s | after req/s | after ÷ before | before CPU ms/req "
        "| after CPU ms/req | ÷ by CPU | 1 conn ms before / after | SQL/req | as served: req/s, CPU ms/req |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    ratios: dict[tuple[str, str], list[float]] = {}
    for dataset in datasets:
        for workload in WORKLOADS:
            for mode in MODES:
                old_server, new_server = before_pair(workload.is_graphql, mode)
                old = lookup(cells, dataset.label, old_server, workload.key, mode)
                new = lookup(cells, dataset.label, new_server, workload.key, mode)
                if old is None and new is None:
                    continue
                served = "="
                if new_server != "accord":
                    cell = lookup(cells, dataset.label, "accord", workload.key, mode)
                    served = "–" if cell is None else f"{_rate_shown(cell)}, {_cpu(cell)}"
                mode_shown = f"{mode}, cache off" if new_server != "accord" else mode
                row = [dataset.label, workload.key, mode_shown, *_pair(old, new), served]
                lines.append("| " + " | ".join(row) + " |")
                ratio = _quotient(_valid_rate(new), _valid_rate(old))
                if ratio is not None:
                    ratios.setdefault((mode, dataset.label), []).append(ratio)
    lines.append("")
    for mode in MODES:
        shown = [
            f"{label} {_geomean(values):.2f}x ({len(values)})"
            for (of_mode, label), values in ratios.items()
            if of_mode == mode
        ]
        if shown:
            lines.append(
                f"- {mode}: after ÷ before by req/s, geometric mean over the workloads measured "
                "(how many): " + ", ".join(shown)
            )
    return [*lines, ""]


def _pair(old: Cell | None, new: Cell | None) -> list[str]:
    """The columns of one before/after row, after the data set, workload and mode."""

    def each(value: Callable[[Cell], Any], shown: Callable[[Any], str]) -> str:
        return " / ".join(shown(value(c) if c is not None else None) for c in (old, new))

    return [
        _rate_shown(old),
        _rate_shown(new),
        _ratio(_valid_rate(new), _valid_rate(old)),
        _cpu(old) if old else "–",
        _cpu(new) if new else "–",
        _ratio(old.cpu_ms if old else None, new.cpu_ms if new else None),
        each(lambda c: c.sequential_ms, _lat),
        each(lambda c: c.statements, _count).replace(" / ", " → "),
    ]


def _valid_rate(cell: Cell | None) -> float | None:
    if cell is None or cell.failed or cell.skipped or not cell.runs or cell.problems:
        return None
    return cell.req_per_s


def _rate_shown(cell: Cell | None) -> str:
    if cell is None:
        return "–"
    if cell.failed:
        return "failed"
    if cell.skipped:
        return "n/s"
    return _fmt(cell.req_per_s) + (f" ⚠{cell.problems}" if cell.problems else "")


def _quotient(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _ratio(a: float | None, b: float | None) -> str:
    value = _quotient(a, b)
    return "–" if value is None else f"{value:.2f}x"


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def report(
    data: dict[str, Any], cells: list[Cell], datasets: list[Dataset], checks: list[tuple[str, str, str]]
) -> str:
    info, plan = data["machine"], data["plan"]
    labels = [d.label for d in datasets]
    changed = info["src_changed_since_commit"] or info["src_untracked"]
    lines = [
        f"# HTTP reads: accord under load, beside baselines ({'quick' if data['quick'] else 'full'} run)",
        "",
        f"{data['date']} on `{info['hostname']}`: {info['cpu_model']}, {info['cores']} cores, "
        f"{info['memory_mb']:,} MB, {info['platform']}; Python {info['python']}, SQLite {info['sqlite']}, "
        f"Node {info['node']}, PostgreSQL {info.get('postgresql', '–')}, autocannon {info['autocannon']}, "
        f"PostGraphile {info['postgraphile'] or '–'}"
        + (
            f", PostGraphile {info['postgraphile5'] or '–'} on Node {info.get('postgraphile5_node') or '–'}."
            if "postgraphile5" in info
            else "."
        ),
        f"accord commit `{info['accord_commit'][:12]}` (the copy of src/ every accord process ran)"
        + (
            f" with uncommitted changes in src/ ({len(info['src_changed_since_commit'])} changed, "
            f"{len(info['src_untracked'])} new files)"
            if changed
            else ""
        )
        + f"; packages: {', '.join(f'{k} {v}' for k, v in info['packages'].items())}.",
        *(
            [
                f"Before (BENCH_HTTP_BEFORE): `{data['before']['ref']}` = commit "
                f"`{data['before']['commit'][:12]}`, served beside it from a snapshot of that revision."
            ]
            if data.get("before")
            else []
        ),
        f"Server on CPU {SERVER_CPU}, autocannon on CPU {LOAD_CPU}: {'yes' if data['pinned'] else 'no'} "
        f"(PostgreSQL not pinned). Load average before/after: {data['load_before']} / {data['load_after']}. "
        f"Took {data['seconds'] / 60:.1f} min.",
        "",
        f"autocannon -c {CONNECTIONS} on loopback, {plan['warmup']} s warm-up, then the median of "
        f"{plan['runs']} run(s) of {plan['duration']} s per cell"
        + "".join(f" ({size_label(e or None)}: {s} s runs)" for e, s in plan["short_duration"])
        + ". Uncached: POST with `Cache-Control: no-cache` and a unique unused variable per request (every "
        "request runs the document); "
        "cached: the same GET again (the response cache answers; W4: the kept feed). W4 uncached: a GET "
        "with a unique unused parameter. "
        "Latencies in ms. SQL/req: statements per request, counted in-process (bench/statements.py). "
        "CPU ms/req: CPU time of the server process during the measured runs per request (+ PostgreSQL's "
        "processes), less sensitive than req/s to other load on the machine. "
        f"n/s: not load-tested, one request alone takes so long that {CONNECTIONS} at once would pass the "
        f"{TIMEOUT_MS / 1000:.0f} s execution timeout (see the one-connection table). "
        "⚠n: n errors, timeouts or unexpected statuses in that cell (its figures are not valid).",
        "",
        "## Requests per second",
        "",
        *pivot(cells, labels, lambda c: _fmt(c.req_per_s)),
        "",
        "## Latency under load, p50 / p99 (ms)",
        "",
        *pivot(
            cells,
            labels,
            lambda c: f"{_lat(c.median('p50_ms'))} / {_lat(c.median('p99_ms'))}",
            title_rows=False,
        ),
        "",
        f"## One request at a time (ms, median of {SEQUENTIAL} on an idle connection)",
        "",
        *pivot(cells, labels, lambda c: _lat(c.sequential_ms), title_rows=False),
        "",
        "## Server CPU per request (ms; + PostgreSQL's processes on PostgreSQL)",
        "",
        *pivot(cells, labels, _cpu, title_rows=False),
        "",
        *peer_section(cells, datasets, checks),
        *before_section(data, cells, datasets),
        "## Targets",
        "",
    ]
    lines += [f"- **{status}** {name}: {detail}" for name, status, detail in checks]
    lines += [
        "",
        "## Every cell",
        "",
        "| data | server | workload | mode | req/s | p50 ms | p99 ms | errors/non-2xx | SQL/req "
        "| CPU ms/req | busy | 1 conn ms | RSS MB | bytes | load | cache hits | check |",
        "| --- | --- | --- | --- " + "| ---: " * 12 + "| --- |",
    ]
    for cell in cells:
        head = f"| {cell.dataset} | {SERVER_LABELS[cell.server]} | {cell.workload} | {cell.mode} |"
        statements = cell.statements if cell.statements is not None else "–"
        if cell.failed or cell.skipped:
            reason = (f"failed: {cell.failed}" if cell.failed else f"not load-tested: {cell.skipped}")[:300]
            lines.append(
                f"{head} – | – | – | – | {statements} | – | – | {_lat(cell.sequential_ms)} | – | "
                f"{_fmt(cell.response_bytes)} | – | {_count(cell.cache_hits)} | {reason.replace('|', '/')} |"
            )
            continue
        lines.append(
            f"{head} {_fmt(cell.req_per_s, 1)} | {_lat(cell.median('p50_ms'))} | "
            f"{_lat(cell.median('p99_ms'))} | {cell.problems} | {statements} | {_cpu(cell)} | "
            f"{percent(cell.server_busy)} | {_lat(cell.sequential_ms)} | {_fmt(cell.rss_mb)} | "
            f"{_fmt(cell.response_bytes)} | "
            f"{_fmt(cell.load_average, 1)} | {_count(cell.cache_hits)} | {cell.check} |"
        )
    lines += [
        "",
        "## Data sets",
        "",
        "| data | backend | events (published) | partners | agreements | exhibits | milestones | loaded in "
        "| W2 event | W5 partner |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for d in datasets:
        r = d.rows
        lines.append(
            f"| {d.label} | {d.backend} | {r['events']:,} ({r['published_events']:,}) | {r['partners']:,} | "
            f"{r['agreements']:,} | {r['exhibits']:,} | {r['milestones']:,} | {d.load_seconds:.0f} s | "
            f"`{d.picks.event_slug}` | `{d.picks.partner_slug}` |"
        )
    lines += [
        "",
        f'W3 searches "{SEARCH_QUERY}". Synthetic content: `accord fixtures synth --events N --seed {SEED}` '
        "(partners N/5, agreements 30%, exhibits 10%); seed: the bundled fixtures. W2 asks for the published "
        "event with the most links, W5 for the published partner with the most published events.",
    ]
    if data["notes"]:
        lines += ["", "## Notes", ""]
        lines += [f"- {note}" for note in data["notes"]]
    return "\n".join(lines) + "\n"


def write_outputs(data: dict[str, Any], cells: list[Cell], datasets: list[Dataset], plan: Plan) -> int:
    """http.json, http.md and http.png; the targets printed; 1 when one fails."""
    checks = verdicts(plan, cells, datasets)
    data["targets"] = [
        {"target": name, "status": status, "measured": detail} for name, status, detail in checks
    ]
    data["cells"] = [cell.summary() for cell in cells]
    (RESULTS / "http.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    markdown = report(data, cells, datasets, checks)
    (RESULTS / "http.md").write_text(markdown)
    try:
        from bench.plot import render

        render(data, RESULTS / "http.png")
    except Exception as exc:  # the figures are written already; say why there is no plot
        print(f"no plot: {type(exc).__name__}: {exc}", flush=True)
    print(markdown, flush=True)
    for name, status, detail in checks:
        print(f"{status} {name}: {detail}", flush=True)
    return 0 if all(status != "FAIL" for _, status, _ in checks) else 1


def rerender() -> int:
    """`python -m bench.http_reads --report`: http.md, http.png and the targets again from http.json."""
    data = json.loads((RESULTS / "http.json").read_text())
    datasets = [dataset_from(item) for item in data["datasets"]]
    cells = [cell_from(cell) for cell in data["cells"]]
    return write_outputs(data, cells, datasets, plan_from_json(data["plan"]))
