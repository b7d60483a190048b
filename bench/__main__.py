"""`python -m bench [SUITE ...]`: run benchmark suites (all of them by default).

Each suite writes bench/results/<suite>.json and <suite>.md (and a PNG plot where it has one).
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUITES = {
    "http": "bench.http_reads",
    "fanout": "bench.fanout",
    "hostile": "bench.hostile",
    "tracing": "bench.tracing",
    "push": "bench.push",
    "media": "bench.media",
    "schedule": "bench.schedule",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help=f"one of {', '.join(SUITES)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and shorter runs (a smoke run)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.suites if name not in SUITES]
    if unknown:
        parser.error(f"unknown suite {', '.join(unknown)}: choose from {', '.join(SUITES)}")
    failures = 0
    for name in args.suites or list(SUITES):
        module = importlib.import_module(SUITES[name])
        print(f"== {name}", flush=True)
        failures += int(module.main(quick=args.quick) != 0)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
