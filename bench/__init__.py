"""Yimen's benchmarks: `python -m bench` (what `make bench` runs). See docs/performance.md."""
