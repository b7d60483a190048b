"""Benchmarks: run by hand or by `make bench`, never by `make test`. Figures are ratios against
baselines measured in the same run, because the machines they run on are shared and noisy."""
