"""The targets of the suite, each judged against a baseline measured in the same run:
(target, PASS/FAIL/SKIP, what was measured)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.http_reads import postgraphile
from bench.http_reads.cells import SERVER_LABELS, Cell, find, lookup
from bench.http_reads.datasets import Dataset
from bench.http_reads.plan import Plan, size_label

CACHED_VS_BARE = 0.5
PG_VS_POSTGRAPHILE = 1.5  # W1 uncached on PostgreSQL, against the faster of PostGraphile 4 and 5
NAIVE_FACTOR = 3.0
HELLO_FRACTION = 0.4
FLAT_WITHIN = 0.2
RSS_LIMIT_MB = 300


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


PEERS = tuple(peer.server for peer in postgraphile.PEERS)  # (e) PostGraphile 4, (f) PostGraphile 5


@dataclass
class PeerComparison:
    """W1 uncached on PostgreSQL: accord, each PostGraphile (None: not measured), the faster one."""

    dataset: str
    accord: Cell | None
    peers: dict[str, Cell | None]

    @property
    def faster(self) -> str | None:
        measured = {server: _rate(cell) for server, cell in self.peers.items() if _rate(cell)}
        return max(measured, key=lambda server: measured[server] or 0.0) if measured else None

    def context(self) -> str:
        """Which PostGraphile the ratio is against, and why."""
        faster = self.faster
        if faster is None:
            return ""
        others = [server for server in self.peers if server != faster]
        if all(_rate(self.peers[server]) for server in others):
            shown = "; ".join(f"{SERVER_LABELS[s]} {_rate(self.peers[s]):,.0f} req/s" for s in others)
            return f"against {SERVER_LABELS[faster]}, the faster ({shown}): "
        missing = ", ".join(SERVER_LABELS[s] for s in others if not _rate(self.peers[s]))
        return f"against {SERVER_LABELS[faster]} alone ({missing} not measured): "


def peer_comparison(cells: list[Cell], dataset: str) -> PeerComparison:
    return PeerComparison(
        dataset,
        find(cells, dataset, "accord", "W1", "uncached"),
        {server: find(cells, dataset, server, "W1", "uncached") for server in PEERS},
    )


def peer_target(dataset: str) -> str:
    return (
        f"W1 uncached on {dataset} ≥ {PG_VS_POSTGRAPHILE:.1f}x the faster of (e) PostGraphile 4 "
        "and (f) PostGraphile 5"
    )


def postgres_label(plan: Plan, datasets: list[Dataset]) -> str:
    pg = next((d for d in datasets if d.backend == "postgresql"), None)
    return pg.label if pg is not None else f"{size_label(plan.postgres_size or 10_000)} PG"


def _rate(cell: Cell | None) -> float | None:
    return cell.req_per_s if cell is not None else None


def _valid(cell: Cell | None) -> bool:
    return cell is not None and cell.problems == 0


def verdicts(plan: Plan, cells: list[Cell], datasets: list[Dataset]) -> list[tuple[str, str, str]]:
    """(target, PASS/FAIL/SKIP, what was measured)."""
    out: list[tuple[str, str, str]] = []
    sqlite_labels = [d.label for d in datasets if d.backend == "sqlite"]

    def ratio_check(
        name: str, mine: Cell | None, theirs: Cell | None, at_least: float, unit: str, context: str = ""
    ) -> None:
        a, b = _rate(mine), _rate(theirs)
        if a is None or b is None or not b:
            out.append((name, "SKIP", "not measured in this run"))
            return
        ok = a / b >= at_least and _valid(mine) and _valid(theirs)
        errors = "" if _valid(mine) and _valid(theirs) else " (a cell had errors)"
        detail = f"{context}{a:,.0f} vs {b:,.0f} req/s = {a / b:.2f}{unit}{errors}"
        assert mine is not None and theirs is not None
        if mine.cpu_ms and theirs.cpu_ms:
            # The same comparison by CPU per request: what the servers could do on a CPU of their own.
            detail += (
                f"; by CPU per request {mine.cpu_ms:.2f} vs {theirs.cpu_ms:.2f} ms = "
                f"{theirs.cpu_ms / mine.cpu_ms:.2f}{unit} (server busy {percent(mine.server_busy)} vs "
                f"{percent(theirs.server_busy)})"
            )
        out.append((name, "PASS" if ok else "FAIL", detail))

    for label in sqlite_labels:
        ratio_check(
            f"W1 cached ≥ {CACHED_VS_BARE:.0%} of (a) bare Starlette, {label}",
            find(cells, label, "accord", "W1", "cached"),
            find(cells, label, "bare", "W1", "cached"),
            CACHED_VS_BARE,
            "x",
        )
    peers = peer_comparison(cells, postgres_label(plan, datasets))
    ratio_check(
        peer_target(peers.dataset),
        peers.accord,
        peers.peers[peers.faster] if peers.faster is not None else None,
        PG_VS_POSTGRAPHILE,
        "x",
        peers.context(),
    )
    big = "100k"
    hello = find(cells, "-", "hello", "hello", "uncached")
    ratio_check(
        f"W1 uncached on {big} ≥ {NAIVE_FACTOR:.0f}x (c) naive strawberry+SQLModel",
        find(cells, big, "accord", "W1", "uncached"),
        find(cells, big, "naive", "W1", "uncached"),
        NAIVE_FACTOR,
        "x",
    )
    ratio_check(
        f"W1 uncached on {big} ≥ {HELLO_FRACTION:.0%} of (b) strawberry {{ hello }}",
        find(cells, big, "accord", "W1", "uncached"),
        hello,
        HELLO_FRACTION,
        "x",
    )
    for key in ("W2", "W5"):
        sizes = ["1k", "10k", "100k"]
        name = f"{key} uncached flat from 1k to 100k (10k and 100k within {FLAT_WITHIN:.0%} of 1k)"
        unsustained = [
            (s, c)
            for s in sizes
            if (c := lookup(cells, s, "accord", key, "uncached")) is not None and c.skipped
        ]
        if unsustained:
            shown = "; ".join(f"{s}: not load-tested, {c.skipped}" for s, c in unsustained)
            out.append((name, "FAIL", shown))
            continue
        found = {s: find(cells, s, "accord", key, "uncached") for s in sizes}
        rates = {s: _rate(c) for s, c in found.items()}
        if any(rate is None for rate in rates.values()):
            out.append((name, "SKIP", "not every size measured in this run"))
            continue
        base = rates["1k"] or math.nan
        shown = ", ".join(f"{s} {r:,.0f}" for s, r in rates.items() if r is not None)
        changes = [(rates[s] or 0) / base - 1 for s in sizes[1:]]
        worst = max(changes, key=abs)
        ok = abs(worst) <= FLAT_WITHIN and all(_valid(c) for c in found.values())
        detail = f"{shown} req/s (largest change {worst:+.0%})"
        cpus = {s: c.cpu_ms for s, c in found.items() if c is not None and c.cpu_ms}
        if len(cpus) == len(sizes):
            detail += "; CPU per request " + ", ".join(f"{s} {v:.2f}" for s, v in cpus.items()) + " ms"
        out.append((name, "PASS" if ok else "FAIL", detail))
    rss = [
        c.rss_mb
        for c in cells
        if c.dataset == big and c.server in ("accord", "accord-nocache") and c.rss_mb is not None
    ]
    name = f"accord's RSS with {big} events < {RSS_LIMIT_MB} MB"
    if rss:
        out.append(
            (name, "PASS" if max(rss) < RSS_LIMIT_MB else "FAIL", f"largest after a cell: {max(rss):.0f} MB")
        )
    else:
        out.append((name, "SKIP", "not measured in this run"))
    return out
