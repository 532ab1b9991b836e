"""Benchmarks and soak runs against the app started as in production: `make bench`
(docs/BENCHMARKS.md) and `make soak` (docs/RELIABILITY.md)."""
