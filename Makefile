# Two commands for a new user: `make demo` and `make test`. Both create .venv and install the
# pinned dependencies first; nothing has to be installed by hand.

VENV      := .venv
PYTHON    := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

# nbgrader calls `alembic` and `jupyter` by name: the venv's bin must come first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Headless: figures are drawn off-screen.
export MPLBACKEND := Agg

.PHONY: install demo test chromium release solution lint bench clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

## demo: release the lab, grade the bundled example submissions, print the grade table, write feedback
demo: release
	rm -rf demo
	$(PYTHON) -m autograder demo --out demo

## test: run every test (installs Debian's chromium first when missing and possible: the
## browser test of the feedback pages skips, saying why, where it cannot)
test: $(INSTALLED) chromium
	$(PYTHON) -m pytest

# apt-get takes about 45 s here (update included); never fails the target.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing chromium with apt-get for the browser test of the feedback pages"; \
	    apt-get install -y -qq chromium >/dev/null 2>&1 || \
	      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } || \
	      echo "apt-get could not install chromium: the browser test will skip"; \
	  else \
	    echo "chromium is missing and this is not root with apt-get: the browser test will skip"; \
	  fi; }

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
