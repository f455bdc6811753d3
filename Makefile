# Two entry points (see README): `make run` and `make test`.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
DEVSTAMP  := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest system-deps bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# pyBKT must be compiled against the installed numpy, without build isolation,
# and from the sdist (a pure-Python wheel is also published): otherwise it
# silently runs its slow pure-Python fallback.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet numpy setuptools wheel
	$(BIN)/pip install --quiet --no-build-isolation --no-binary pyBKT "pyBKT==1.4.3" "scikit-learn<1.8"
	$(BIN)/python -c "import pyBKT.fit.E_step" || { echo "pyBKT compiled build missing"; exit 1; }
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEVSTAMP): $(STAMP) scripts/install-lrs.sh
	$(BIN)/pip install --quiet -e ".[dev]"
	PY=$(PY) bash scripts/install-lrs.sh $(VENV)/lrs  # the LRS of the xAPI tests (own venv)
	touch $@

run: $(STAMP)
	$(BIN)/pathways serve --demo

system-deps:
	bash scripts/install-system-deps.sh

lint: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEVSTAMP)
	$(BIN)/mypy

pytest: $(DEVSTAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

test: system-deps lint typecheck pytest

bench: $(DEVSTAMP)
	$(BIN)/python -m benchmarks.fit_vs_pybkt --json benchmarks/results/fit_vs_pybkt.json

clean:
	rm -rf $(VENV) build *.egg-info
