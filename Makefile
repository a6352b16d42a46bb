# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Both install what they need first; `.ci/run` calls `make test`.
PYTHON ?= python3

.PHONY: install browser demo test docs bench

install:
	# torch 2.13.0 is pinned on the same line as the extras: on this project's machines it is a CPU
	# build from a local file, and lightning/accelerate (test extra) resolved on their own line would
	# pull an unpinned torch with several GB of CUDA packages.
	$(PYTHON) -m pip install --quiet "torch==2.13.0" -e ".[test,docs]"

demo: install
	lrcore demo

# tests/test_docs.py renders every formula of the site in headless Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	XLA_FLAGS=--xla_force_host_platform_device_count=8 $(PYTHON) -m pytest

# The docs extra only (it pulls the frameworks the API reference documents); mkdocs' hooks redraw
# the pictures (docs/gen_plots.py) and write the reference pages (docs/hooks.py).
docs:
	$(PYTHON) -m pip install --quiet "torch==2.13.0" -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict

bench: install
	$(PYTHON) -m benchmarks.run
