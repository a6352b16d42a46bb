"""``pytest -k <name>`` selects every test of a schedule, on every adapter (TensorFlow and Keras too).

Table-driven tests are parametrized per configuration or per schedule, with ids that carry the
schedule's full name (``tests/examples.py``: :func:`~tests.examples.case_id`), never a loop over the
table inside one test. Checked by collecting the suite (collection only) for a schedule whose table
labels use a short form (``cosine_restart``: ``sgdr-m2``, ...).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from tests import examples

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAME = "cosine_restart"
IDS = [examples.case_id(label) for label, _, _ in examples.examples(NAME)]


@pytest.fixture(scope="module")
def selected() -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-k", NAME, "tests"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return {line.strip() for line in run.stdout.splitlines() if "::" in line}


def test_every_id_names_the_schedule():
    assert all(NAME in i for i in IDS) and not any(label.startswith(NAME) for label, _, _ in examples.examples(NAME))


@pytest.mark.parametrize(
    "test, form",
    [
        ("test_tf_adapter.py::test_eager_values_match_numpy", "[{id}-64]"),
        ("test_tf_adapter.py::test_jit_compiled_values_match_numpy", "[{id}-32]"),
        ("test_tf_adapter.py::test_config_round_trip_and_registration", "[{id}]"),
        ("test_keras_adapter.py::test_eager_values_on_backend_arrays", "[tensorflow-{id}]"),
        ("test_keras_adapter.py::test_eager_values_on_backend_arrays", "[jax-{id}]"),
        ("test_keras_adapter.py::test_eager_values_on_backend_arrays", "[torch-{id}]"),
        ("test_jax_adapter.py::test_float32_arrays_equal_numpy_within_ulp", "[{id}]"),
        ("test_torch_adapter.py::test_values_match_numpy_within_4_ulp", "[{id}]"),
        ("test_numpy_adapter.py::test_every_configuration_built_here_is_the_core_bit_for_bit", "[{id}]"),
        ("test_reference_values.py::test_matches_reference", "[jax-{id}]"),
        ("test_array_layer.py::test_numpy_blocks_give_the_generic_bits", "[{id}]"),
        ("test_serialization.py::test_every_configuration_round_trips", "[{id}]"),
    ],
)
def test_every_configuration_is_selected(selected, test, form):
    missing = [i for i in IDS if f"tests/{test}{form.format(id=i)}" not in selected]
    assert not missing, f"{test} misses {missing}"


@pytest.mark.parametrize(
    "test",
    [
        f"test_tf_adapter.py::test_factory_is_offered[{NAME}]",
        f"test_keras_adapter.py::test_factory_is_offered[{NAME}]",
        f"test_torch_adapter.py::test_factory_is_offered[{NAME}]",
        f"test_numpy_adapter.py::test_signatures_match_core[{NAME}]",
        f"test_public_api.py::test_backend_modules_offer_every_schedule[tf-{NAME}]",
        f"test_stubs.py::test_jedi_resolves_every_adapter_factory[keras-{NAME}]",
        f"test_cli.py::test_plot_help_lists_the_schedule[{NAME}]",
        f"test_properties.py::test_array_equals_each_step_alone_every_leaf[numpy-{NAME}]",
    ],
)
def test_every_per_schedule_test_is_selected(selected, test):
    assert f"tests/{test}" in selected


def test_only_the_schedule_is_selected(selected):
    assert selected and all(NAME in node for node in selected)
    files = {node.split("::")[0] for node in selected}
    assert {"tests/test_tf_adapter.py", "tests/test_keras_adapter.py", "tests/test_precision.py"} <= files, files
