"""Benchmarks: what a step, a push and a cold start cost, against the targets of the benchmark issue.

`make bench` (= `python -m bench`) runs every figure, prints a figure / target / measured table and writes
`bench/results.json` (one flat object: the figures, plus "machine" and "timestamp") and `bench/RESULTS.md`.
Benchmarks are measurements: a missed target is reported, never a failure (only a crash exits non-zero).

One module per figure group; each exposes `run(..., sizes) -> dict[str, float]` so the smoke test
(`tests/bench/`) can run the same code at tiny sizes.
"""
