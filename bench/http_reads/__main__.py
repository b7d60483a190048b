"""`python -m bench.http_reads [--quick]` runs the suite; `--report` redraws its outputs from http.json."""

import sys

from bench.http_reads import main, rerender

if __name__ == "__main__":
    sys.exit(rerender() if "--report" in sys.argv[1:] else main(quick="--quick" in sys.argv[1:]))
