"""HTTP reads: accord's GraphQL and feed reads under load, beside baselines, at four data sizes.

`python -m bench http [--quick]` (or `make bench BENCH_ARGS=http`) runs, one server at a time:

- accord (`accord serve`, one process, defaults but for ACCORD_RATE_LIMIT=false: every request comes
  from 127.0.0.1) on SQLite with the seed fixtures and with `accord fixtures synth --events N
  --seed 20240601` for N = 1k, 10k and 100k; every workload of bench/workloads.py uncached and
  cached; then on PostgreSQL with the same synthetic rows (10k);
- (a) bare Starlette answering accord's own W1 bytes; (b) plain strawberry `{ hello }`;
  (c) W1 the naive way (strawberry + SQLModel, N+1); (d) accord with ACCORD_RESPONSE_CACHE=false;
  (e) PostGraphile 4.14.1 and (f) PostGraphile 5.1.5 (on its own Node 22) over the PostgreSQL database
  accord was loaded into; accord's W1 there is judged against the faster of the two.

Load: autocannon (the project's node_modules) with 32 connections on loopback, a 2 s warm-up, then
the median of 3 runs per cell: 10 s at 10k (SQLite and PostgreSQL, where every baseline runs), 5 s at
the seed, 1k and 100k, to stay near 25 minutes (--quick: 1 run of 3 s, smaller sizes). The server runs
on CPU 0 and autocannon on CPU 1 (taskset) when both exist; PostgreSQL is not pinned. Every accord
process imports a copy of src/ taken when the run starts. docs/performance.md explains the figures.

Writes bench/results/http.json (every run, the machine), http.md (tables, targets) and http.png;
`python -m bench.http_reads --report` writes http.md and http.png again from http.json.
Knobs for partial runs while developing (the defaults are the documented run):
BENCH_HTTP_SIZES=seed,1k (SQLite sizes), BENCH_HTTP_POSTGRES=0, BENCH_HTTP_DURATION=S, BENCH_HTTP_RUNS=N.
BENCH_HTTP_BEFORE=<git ref> also serves accord at that revision beside the tree under test, on the same
data sets, for the same workloads and modes, each of its cells measured next to the same cell of the
current tree; http.md then shows before beside after, with ratios.

Where each part lives (the documents W1 to W5 and their checks are in bench/workloads.py):

- plan.py: how long, how often and at which sizes (the full and quick plans, the BENCH_HTTP_* knobs);
- processes.py: starting, probing and stopping a server process; CPU pinning; the copy of src/;
- datasets.py: the data sets (SQLite and PostgreSQL), how they are loaded, counted and picked from;
- autocannon.py: the load generator, one kind of request, and the figures read from its output;
- cells.py: one measured cell (a server, a workload, a mode, a data set) and finding cells again;
- measure.py: measuring one cell (the checked answer, one request at a time, warm-up, runs, CPU);
- run.py: the state of one run (its cells, notes, accord's W1 answers) and serving one server;
- accord_server.py: accord under test, with its cache and without (d), and the revision before;
- before.py: BENCH_HTTP_BEFORE, the snapshot of an earlier revision served beside the tree;
- baselines.py: the Python baselines (a), (b) and (c) of bench/baselines/;
- postgraphile.py: the PostGraphile peers (e) and (f), their W1 and the check that it holds accord's rows;
- suite.py: the run loop over data sets and servers, and `main`;
- verdicts.py: the targets, judged against the baselines of the same run;
- report.py: http.json, http.md and the plot (bench/plot.py), and `--report`;
- provenance.py: what the run records of the machine, the tools and accord's code.
"""

from bench.http_reads.report import rerender
from bench.http_reads.suite import main

__all__ = ["main", "rerender"]
