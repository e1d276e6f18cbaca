"""Adapters to the legacy systems: the case system's web UI and the registers' APIs."""
