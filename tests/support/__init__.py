"""Test support: importable helpers and fakes shared by the test suites and the benchmarks.

On the import path through pytest's `pythonpath = ["tests"]` (pyproject.toml); scripts outside pytest
(bench/) put `tests/` on their path themselves. Nothing here is a fixture: fixtures live in the conftest files
and hand these objects out.
"""
