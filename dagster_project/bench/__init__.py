"""Benchmarks: figures printed, never asserted (issue 15.4)."""
