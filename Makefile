# The two commands a new user needs: `make demo` and `make test`. Both install what they need.
.PHONY: demo test audit bootstrap lint bench clean

bootstrap:
	@scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/caserobot demo $(ARGS)

test: bootstrap
	.venv/bin/ruff check src casetypes tests benchmarks
	.venv/bin/bandit -c pyproject.toml -r src casetypes -q
	.venv/bin/python -m tests.security.audit
	.venv/bin/python -m pytest -n 3 --dist worksteal $(ARGS)

# pip-audit of the installed, pinned environment; fails unless an advisory service answers
# (machines that reach only a package mirror cannot audit: see README, "Security checks").
audit: bootstrap
	.venv/bin/python -m tests.security.audit --require $(ARGS)

lint: bootstrap
	.venv/bin/ruff check src casetypes tests benchmarks

bench: bootstrap
	.venv/bin/python benchmarks/throughput.py $(ARGS)

clean:
	rm -rf var

# A year's applications on the production path (benchmarks/year.py; docs/benchmarks.md).
.PHONY: year
year: bootstrap
	.venv/bin/python benchmarks/year.py $(ARGS)

# The real path under faults (benchmarks/chaos.py; docs/benchmarks.md, "Chaos").
.PHONY: chaos
chaos: bootstrap
	.venv/bin/python benchmarks/chaos.py $(ARGS)
