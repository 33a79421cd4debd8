"""Benchmarks, each run side by side with its baseline in one process: `python -m bench.<name>`."""
