"""Floor 8: synthetic graphs for benchmarks and tests."""
