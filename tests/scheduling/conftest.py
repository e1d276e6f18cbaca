"""Scheduling tests use ``scheduling_settings`` from ``tests/fixtures/prefect.py``."""

from __future__ import annotations


def remove_stored_credentials() -> None:
    """Delete caserobot's credential blocks (both formats) from the Prefect server in use."""
    from caserobot import credentials, scheduling

    with scheduling.prefect_client() as client:
        for slug in ("secret", credentials.BLOCK_TYPE):
            for doc in credentials._documents(client, slug):
                if (doc.name or "").startswith(credentials.PREFIX):
                    client.delete_block_document(doc.id)
