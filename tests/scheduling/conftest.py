"""Scheduling tests use ``scheduling_settings`` from ``tests/fixtures/prefect.py``."""
