"""The benchmark suite: `make bench` (see docs/BENCHMARKS.md)."""
