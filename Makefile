# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Each sets up what it needs first, inside a virtual environment of the project's own: the one that
# is active (VIRTUAL_ENV), or else `.venv` here, created on first use. Nothing is installed into the
# system Python. `.ci/run` calls `make test` in a fresh clone, so CI tests exactly what the extras
# in pyproject.toml declare.
PYTHON ?= python3
VENV ?= $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
PY := $(VENV)/bin/python
# torch is pinned on the same pip line as the extras: on this project's machines 2.13.0 is a CPU
# build from a local file, and lightning/accelerate (test extra) resolved on a line of their own would
# pull an unpinned torch with several GB of CUDA packages. `make test TORCH=torch` takes any torch.
TORCH ?= torch==2.13.0
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
# What the frameworks write while the demo and the tests run (Keras' keras.json, matplotlib's font
# cache, Hugging Face's cache, Chromium's dconf) goes under the venv too, not into your home.
STATE := $(abspath $(VENV))/var
RUN := KERAS_HOME=$(STATE)/keras MPLCONFIGDIR=$(STATE)/matplotlib HF_HOME=$(STATE)/huggingface \
	XDG_CACHE_HOME=$(STATE)/cache XDG_CONFIG_HOME=$(STATE)/config

.PHONY: venv install-demo install-test browser demo test docs bench

$(PY):
	$(PYTHON) -m venv $(VENV)

venv: $(PY)

install-demo: $(PY)
	$(PIP) "$(TORCH)" -e ".[demo]"

# timm and Composer (mosaicml) without their dependencies, which pull torchvision (a CUDA build):
# the parity tests load their scheduler modules, unmodified, from the installed files.
install-test: $(PY)
	$(PIP) "$(TORCH)" -e ".[test]"
	$(PIP) --no-deps "timm==1.0.31" "mosaicml==0.32.1"

demo: install-demo
	$(RUN) $(PY) -m lrcore demo

# tests/test_docs.py renders every formula of the site in headless Chromium; .ci/browser finds one
# or installs Debian's package, and says what to do where it cannot (not root, no apt-get).
browser:
	@bash .ci/browser

test: install-test browser
	$(RUN) XLA_FLAGS=--xla_force_host_platform_device_count=8 $(PY) -m pytest

# The docs extra only (it pulls the frameworks the API reference documents); mkdocs' hooks redraw
# the pictures (docs/gen_plots.py) and write the reference pages (docs/hooks.py).
docs: $(PY)
	$(PIP) "$(TORCH)" -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

bench: install-test
	$(PY) -m benchmarks.run
