# The two commands of README.md. Both install what they need into .venv first.
PYTHON ?= python3
VENV   := .venv
UV_VERSION := 0.13.9

.PHONY: run test lint clean

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(VENV)/bin/uv || { $(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install -q "uv==$(UV_VERSION)"; }
	$(VENV)/bin/uv sync --frozen --quiet --python $(VENV)/bin/python
	@touch $@

## run: start PostgreSQL, the broker, every service and the legacy stand-ins, run the demo
##      (one application per matter, watched live to its one result), then stay up until Ctrl-C;
##      REPLICAS=2 runs two processes each of router, dept_adapter and notifier
REPLICAS ?= 1
run: $(VENV)/.synced
	$(VENV)/bin/onewindow demo --stay --replicas $(REPLICAS)

## test: lint, type-check, then every test on a real PostgreSQL and broker
test: $(VENV)/.synced lint
	$(VENV)/bin/python -m pytest

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy contracts eventlog runtime services onewindow

clean:
	rm -rf $(VENV) .onewindow
