"""Servers the benchmarks compare accord with, each as small as the comparison allows."""
