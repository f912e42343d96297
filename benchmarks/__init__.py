"""Benchmarks: measurements, never tests (see benchmarks/README.md)."""
