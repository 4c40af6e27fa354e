# The two commands a newcomer needs: `make run` and `make test`. See README.md.
VENV := .venv
BIN := $(VENV)/bin
# Bytecode is kept (in the gitignored __pycache__ folders), even where the machine's environment says not to:
# the suite starts hundreds of Python processes, and each would otherwise compile every module it imports.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test setup lint typecheck pytest lock schema docs

# `make run PORT=8080` serves on another port; the links in messages and pages follow it. The demo's
# texts and e-mails go to the catcher inside the application (the Caught messages page), never out.
PORT ?= 8000
DEMO_ENV = CONTINGENCY_CATCHER=on CONTINGENCY_BASE_URL=http://127.0.0.1:$(PORT)
run: setup
	$(DEMO_ENV) $(BIN)/contingency demo
	$(DEMO_ENV) $(BIN)/contingency serve --host 127.0.0.1 --port $(PORT)

test: setup lint typecheck pytest

setup:
	@scripts/setup.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy contingency tests

# Two test processes by default (CI has 2 cores); PYTEST_WORKERS=0 runs in this process only. worksteal:
# a process that runs out of tests takes half of what the other has left (the slow tests go first).
PYTEST_WORKERS ?= 2
pytest:
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Regenerate the published JSON Schema and the lint rule catalogue from the code.
schema: setup
	$(BIN)/contingency plan schema > schema/plan-v1.schema.json
	$(BIN)/contingency plan rules --format markdown > docs/lint-rules.md
