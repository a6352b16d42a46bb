# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Both install what they need first; `.ci/run` calls `make test`.
PYTHON ?= python3

.PHONY: install demo test docs bench

install:
	# torch 2.13.0 is pinned on the same line as the extras: on this project's machines it is a CPU
	# build from a local file, and lightning/accelerate (test extra) resolved on their own line would
	# pull an unpinned torch with several GB of CUDA packages.
	$(PYTHON) -m pip install --quiet "torch==2.13.0" -e ".[test,docs]"

demo: install
	lrcore demo

test: install
	XLA_FLAGS=--xla_force_host_platform_device_count=8 $(PYTHON) -m pytest

docs: install
	$(PYTHON) docs/gen_plots.py
	mkdocs build --strict

bench: install
	$(PYTHON) -m benchmarks.run
