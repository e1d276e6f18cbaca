# The two commands a new user needs: `make demo` and `make test`. Both install what they need.
.PHONY: demo test bootstrap lint bench clean

bootstrap:
	@scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/caserobot demo $(ARGS)

test: bootstrap
	.venv/bin/ruff check src tests flows benchmarks
	.venv/bin/python -m pytest $(ARGS)

lint: bootstrap
	.venv/bin/ruff check src tests flows benchmarks

bench: bootstrap
	.venv/bin/python benchmarks/throughput.py $(ARGS)

clean:
	rm -rf var
