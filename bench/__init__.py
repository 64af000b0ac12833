"""Benchmark harness (issue 9): our example project against stock django-oauth-toolkit, in one run.

``python -m bench.run [--quick]`` writes bench/RESULTS.md, bench/results.png and bench/profiles/*.txt."""
