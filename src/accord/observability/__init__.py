"""Operators' handles: Prometheus metrics, JSON logs, request ids."""
