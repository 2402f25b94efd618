"""Benchmarks that measure cyberops' building blocks against their references."""
