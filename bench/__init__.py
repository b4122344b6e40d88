"""Benchmarks and the synthetic data they run on: tools, never imported by the app."""
