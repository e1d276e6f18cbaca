"""Flow tests use ``prefect_harness`` from ``tests/fixtures/prefect.py`` (registered globally)."""
