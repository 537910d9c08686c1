"""Benchmarks: synthetic corpus at scale, engine vs API side by side (see benchmarks/README.md)."""
