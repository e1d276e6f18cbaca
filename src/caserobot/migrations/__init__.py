"""Alembic migrations of caserobot's database, run from code by :func:`caserobot.db.upgrade`."""
