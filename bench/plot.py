"""The plot of `python -m bench http`: requests/s per workload and data size (log scale), baselines too.

python -m bench.plot [bench/results/http.json [OUT.png]]   # redraw from a results file
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

ACCORD_STYLE = {
    "uncached": {"color": "tab:blue", "marker": "o", "linestyle": "-"},
    "cached": {"color": "tab:green", "marker": "s", "linestyle": "--"},
}
MODE_NAMES: dict[str, dict[str, str]] = defaultdict(dict)  # other names for a workload's modes
BASELINES = {
    # server: (label, mode, style)
    "bare": ("(a) bare Starlette, same bytes", "cached", {"color": "0.45", "marker": "^", "linestyle": ":"}),
    "naive": (
        "(c) naive strawberry+SQLModel",
        "uncached",
        {"color": "tab:red", "marker": "v", "linestyle": "-."},
    ),
    "accord-nocache": (
        "(d) accord, response cache off",
        "uncached",
        {"color": "tab:purple", "marker": "D", "linestyle": ":"},
    ),
}

PEERS: dict[str, tuple[str, dict[str, Any]]] = {
    # server: (label, style), W1 uncached on PostgreSQL
    "postgraphile": ("(e) PostGraphile", {"marker": "*", "color": "tab:orange", "markersize": 13}),
    "postgraphile5": ("(f) PostGraphile 5", {"marker": "P", "color": "tab:brown", "markersize": 10}),
}


def _rate(cells: list[dict[str, Any]], dataset: str, server: str, workload: str, mode: str) -> float | None:
    for cell in cells:
        if (cell["dataset"], cell["server"], cell["workload"], cell["mode"]) == (
            dataset,
            server,
            workload,
            mode,
        ):
            if cell.get("failed") or not cell.get("req_per_s"):
                return None
            value: float = cell["req_per_s"]
            return value
    return None


def _skipped(cells: list[dict[str, Any]], dataset: str, workload: str) -> bool:
    return any(
        (cell["dataset"], cell["server"], cell["workload"], cell["mode"])
        == (dataset, "accord", workload, "uncached")
        and cell.get("skipped")
        for cell in cells
    )


def _sequential(cells: list[dict[str, Any]], dataset: str, workload: str) -> float | None:
    """accord's uncached latency with one request at a time (also for cells too slow to load-test)."""
    for cell in cells:
        if (cell["dataset"], cell["server"], cell["workload"], cell["mode"]) == (
            dataset,
            "accord",
            workload,
            "uncached",
        ):
            value: float | None = cell.get("sequential_ms")
            return value if not cell.get("failed") else None
    return None


def render(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells: list[dict[str, Any]] = data["cells"]
    sqlite = [d["label"] for d in data["datasets"] if d["backend"] == "sqlite"]
    postgres = [d["label"] for d in data["datasets"] if d["backend"] == "postgresql"]
    xs = list(range(len(sqlite)))
    workloads = list(data["workloads"])
    fig, axes = plt.subplots(2, 3, figsize=(16, 10.5), layout="constrained")
    hello = _rate(cells, "-", "hello", "hello", "uncached")

    def series(server: str, workload: str, mode: str) -> tuple[list[int], list[float]]:
        points = [
            (x, _rate(cells, label, server, workload, mode)) for x, label in zip(xs, sqlite, strict=True)
        ]
        kept = [(x, y) for x, y in points if y is not None]
        return [x for x, _ in kept], [y for _, y in kept]

    for ax, key in zip(axes.flat, workloads, strict=False):
        title = data["workloads"][key]["title"]
        for mode, style in ACCORD_STYLE.items():
            x, y = series("accord", key, mode)
            if y:
                ax.plot(x, y, label=f"accord {MODE_NAMES[key].get(mode, mode)} (SQLite)", **style)
        for label in postgres:
            base = label.removesuffix(" PG")
            at = (sqlite.index(base) if base in sqlite else len(sqlite) - 1) + 0.12
            for mode, style in ACCORD_STYLE.items():
                value = _rate(cells, label, "accord", key, mode)
                if value is not None:
                    ax.plot(
                        [at],
                        [value],
                        marker=style["marker"],
                        color=style["color"],
                        markerfacecolor="white",
                        linestyle="none",
                        markersize=8,
                        label=f"accord {MODE_NAMES[key].get(mode, mode)} ({label})",
                    )
            if key == "W1":
                for server, (name, style) in PEERS.items():
                    value = _rate(cells, label, server, "W1", "uncached")
                    if value is not None:
                        ax.plot([at], [value], linestyle="none", label=f"{name} ({label})", **style)
        if key == "W1":
            for server, (name, mode, style) in BASELINES.items():
                x, y = series(server, "W1", mode)
                if y:
                    ax.plot(x, y, label=name, **style)
            if hello:
                ax.axhline(
                    hello, color="black", linestyle="-.", linewidth=1, label="(b) strawberry { hello }"
                )
        for at, label in zip(xs, sqlite, strict=True):
            if _skipped(cells, label, key):
                ax.annotate(
                    "uncached: not\nload-tested (n/s)",
                    (at, 0.04),
                    xycoords=("data", "axes fraction"),
                    ha="right" if at == xs[-1] and at else "center",
                    fontsize=7,
                    color=ACCORD_STYLE["uncached"]["color"],
                )
        ax.set_title(f"{key}: {title}", fontsize=10)
        ax.set_yscale("log")
        ax.set_xticks(xs, sqlite)
        ax.set_xlim(-0.3, len(sqlite) - 0.7 if len(sqlite) > 1 else 0.5)
        ax.set_xlabel("data size (events)")
        ax.set_ylabel("requests/s (log)")
        ax.grid(True, which="both", alpha=0.3)

    ax = axes.flat[len(workloads)] if len(workloads) < axes.size else None
    if ax is not None:
        for key in workloads:
            points = [(x, _sequential(cells, label, key)) for x, label in zip(xs, sqlite, strict=True)]
            kept = [(x, y) for x, y in points if y is not None]
            if kept:
                ax.plot([x for x, _ in kept], [y for _, y in kept], marker="o", label=f"{key} uncached")
        ax.set_title("accord latency, one request at a time, uncached (SQLite)", fontsize=10)
        ax.set_yscale("log")
        ax.set_xticks(xs, sqlite)
        ax.set_xlabel("data size (events)")
        ax.set_ylabel("ms (log)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    # One legend for the request panels, below them (the same series recur in every panel).
    handles: dict[str, Any] = {}
    for panel in list(axes.flat)[: len(workloads)]:
        for handle, label in zip(*panel.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=5, fontsize=8)
    machine = data["machine"]
    fig.suptitle(
        f"accord HTTP reads, autocannon -c {data['connections']}, median of {data['plan']['runs']} run(s); "
        f"{machine['cpu_model']}, {machine['cores']} cores; {data['date']}",
        fontsize=11,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else RESULTS / "http.json"
    target = Path(args[1]) if len(args) > 1 else source.with_suffix(".png")
    render(json.loads(source.read_text()), target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
