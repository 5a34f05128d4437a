# Two commands for a new user: `make demo` and `make test`. Both create .venv and install the
# pinned dependencies first; nothing has to be installed by hand.

VENV      := .venv
PYTHON    := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

# nbgrader calls `alembic` and `jupyter` by name: the venv's bin must come first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Headless: figures are drawn off-screen.
export MPLBACKEND := Agg

.PHONY: install demo test release solution lint bench clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

## demo: release the lab, grade the bundled example submissions, print the grade table, write feedback
demo: release
	rm -rf demo
	$(PYTHON) -m autograder demo --out demo

## test: run every test
test: $(INSTALLED)
	$(PYTHON) -m pytest

## release: regenerate release/mini_batch_gd from source/ (the student version; committed)
release: $(INSTALLED)
	nbgrader generate_assignment mini_batch_gd --force --log-level=WARN

## solution: regenerate solutions/mini_batch_gd, the solved notebook (committed)
solution: $(INSTALLED)
	nbgrader generate_solution mini_batch_gd --force --log-level=WARN

## bench: time grading beside stock Jupyter kernels and a warm interpreter (about 25 minutes on 2
## cores); prints the tables and targets, writes bench/bench.json
bench: $(INSTALLED)
	$(PYTHON) -m autograder.bench

## lint: style checks
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) demo bench submitted autograded feedback gradebook.db .autograder-runs
