# luk_rules developer tasks. Needs only python3.11 (or python3 >= 3.11), make and a C compiler
# (the C compiler is for the optional durable-rules backend; without one we fall back).

SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Paths that exist are linted; missing ones (e.g. benchmarks/ early on) are skipped.
LINT_PATHS := $(wildcard luk_rules tests benchmarks tools)

# What `make demo` runs: check every shipped ruleset, then decide the Selficient-style
# part-time case (one large project used for several units) with its explanation.
# `luk decide` exits 1 for a case that is not (yet) admissible; that is the demo's point.
DEMO_RULESET := rulesets/examples/bouwkunde-deeltijd.luk
DEMO_CASE    := rulesets/examples/cases/bouwkunde-selficient.json

.PHONY: all venv .venv demo test lint typecheck imports pytest fuzz fmt docs catalogues clean

all: test

venv .venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test,durable]' || { \
	  echo "WARNING: installing the 'durable' extra failed (no C compiler?);" >&2; \
	  echo "WARNING: falling back to '.[test]' -- the durable-rules backend will be unavailable." >&2; \
	  $(BIN)/python -m pip install -e '.[test]'; \
	}
	touch $@

demo: $(STAMP)
	$(BIN)/luk check rulesets
	@echo
	$(BIN)/luk decide $(DEMO_RULESET) $(DEMO_CASE) --explain; test $$? -le 1

test: lint typecheck imports pytest

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest

# Nightly fuzzing (tests/test_fuzz.py): the fuzz suite with LUK_FUZZ_EXAMPLES random examples
# per property (failures are kept in .hypothesis/ and printed with a reproduction blob), then
# every test marked `fuzz` elsewhere (pytest's exit 5, no such test, is fine). Prints the reach
# figures and hypothesis' statistics. `make fuzz LUK_FUZZ_EXAMPLES=200` for a shorter run.
LUK_FUZZ_EXAMPLES ?= 2000
FUZZ_PYTEST := LUK_FUZZ_EXAMPLES=$(LUK_FUZZ_EXAMPLES) $(BIN)/pytest -s --hypothesis-show-statistics

fuzz: $(STAMP)
	$(FUZZ_PYTEST) -m "" tests/test_fuzz.py
	$(FUZZ_PYTEST) -m fuzz tests --ignore=tests/test_fuzz.py; rc=$$?; test $$rc -eq 0 -o $$rc -eq 5

# The documentation site, built into site/ (gitignored) from docs/ by mkdocs.yml. --strict: a
# broken link or anchor, or a page missing from the nav, fails the build. Needs the `docs`
# extra (installed here on first use; offline once installed, the theme fetches no fonts).
# The ```luk blocks are coloured by luk_rules.pygments_lexer through its entry point.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -e '.[docs]'
	touch $@

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The gettext catalogues (luk_rules/locale): extract every message the code marks, add new
# ones to the en and nl .po files (English filled in, Dutch to be translated by hand), drop
# those no longer used, and compile the .mo files that ship in the wheel. The test suite
# fails while a message has no translation (tests/test_catalogues.py).
catalogues: $(STAMP)
	$(BIN)/python tools/catalogues.py

fmt: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

clean:
	rm -rf $(VENV) build dist site *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
