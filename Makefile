# The two commands of README.md. Both install what they need into .venv first.
PYTHON ?= python3
VENV   := .venv
UV_VERSION := 0.13.9

.PHONY: run test lint clean

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(VENV)/bin/uv || { $(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install -q "uv==$(UV_VERSION)"; }
	$(VENV)/bin/uv sync --frozen --quiet --python $(VENV)/bin/python
	@touch $@

## run: start PostgreSQL, the broker and every service (Ctrl-C stops them)
run: $(VENV)/.synced
	$(VENV)/bin/onewindow up

## test: lint, type-check, then every test on a real PostgreSQL and broker
test: $(VENV)/.synced lint
	$(VENV)/bin/python -m pytest

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy contracts eventlog runtime services onewindow

clean:
	rm -rf $(VENV) .onewindow
