# The two commands of README.md. Each creates the project's virtual environment when it
# is missing (torch's CPU build first: a bare `torch` requirement pulls a CUDA build of
# several GB), installs lsbo with what its tests need, then runs; a second call skips
# what is installed. Inside an activated virtual environment, that one is used.
PYTHON ?= python3
VENV ?= $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
BIN := $(VENV)/bin
STAMP := $(VENV)/.lsbo-installed

.PHONY: demo test setup

demo: $(STAMP)
	$(BIN)/lsbo run expression --budget 100 --seed 0

# pytest's exit 5 (no tests collected) is a failure too
test: $(STAMP)
	@$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)
