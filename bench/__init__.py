"""Benchmarks of the search path, the index rebuild and write freshness (make bench)."""
