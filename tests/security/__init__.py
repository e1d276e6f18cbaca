"""Security checks run by ``make test``: bandit's review policy and pip-audit (audit.py)."""
