"""``lrcore.from_keras`` against the real Keras 3 schedules (TensorFlow backend), value by value.

Each Keras schedule is built in float64 (its float parameters as ``np.float64``, so Keras computes
in float64), converted from the object, from its ``get_config()`` and from its serialized form, and
compared at integer steps: a handful of float64 roundings, ``ULPS`` ulp of the largest value.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrcore
from tests.helpers import assert_ulp_close
from tests.peers import keras, keras_values, steps_with_landmarks

ULPS = 8
F = np.float64
KS = keras().optimizers.schedules

# name: (make the float64 Keras schedule, steps, call per step (ops.cond inside))
CASES = {
    "exponential": (lambda: KS.ExponentialDecay(F(0.5), 7, F(0.9)), steps_with_landmarks(300, 7, 70), False),
    "exponential-staircase": (lambda: KS.ExponentialDecay(F(0.5), 50, F(0.3), staircase=True),
                              steps_with_landmarks(400, 50, 100, 350), False),
    "piecewise": (lambda: KS.PiecewiseConstantDecay([10, 11, 100, 250], [F(1.0), F(0.5), F(0.25), F(0.1), F(0.01)]),
                  steps_with_landmarks(300, 10, 11, 100, 250), False),
    "piecewise-zero": (lambda: KS.PiecewiseConstantDecay([0, 5], [F(1.0), F(0.5), F(0.25)]), np.arange(10), False),
    "polynomial": (lambda: KS.PolynomialDecay(F(1.0), 60, end_learning_rate=F(0.05), power=F(2.0)),
                   steps_with_landmarks(100, 60), False),
    "polynomial-cycle": (lambda: KS.PolynomialDecay(F(1.0), 60, end_learning_rate=F(0.05), power=F(3.0), cycle=True),
                         steps_with_landmarks(400, 60, 120, 180), False),
    "inverse_time": (lambda: KS.InverseTimeDecay(F(0.3), 9, F(0.7)), steps_with_landmarks(200, 9), False),
    "inverse_time-staircase": (lambda: KS.InverseTimeDecay(F(0.3), 9, F(0.7), staircase=True),
                               steps_with_landmarks(200, 9, 18), False),
    "cosine": (lambda: KS.CosineDecay(F(0.8), 250, alpha=F(0.1)), steps_with_landmarks(320, 250), False),
    "cosine-warmup": (lambda: KS.CosineDecay(F(0.01), 200, alpha=F(0.2), warmup_target=F(1.0), warmup_steps=25),
                      steps_with_landmarks(260, 25, 225), True),
    "cosine-warmup-ignored": (lambda: KS.CosineDecay(F(0.5), 100, warmup_steps=25), np.arange(120), True),
    "restarts": (lambda: KS.CosineDecayRestarts(F(0.6), 10, t_mul=F(2.0), m_mul=F(0.8)),
                 steps_with_landmarks(700, 10, 30, 70, 150, 310, 630), False),
    "restarts-alpha": (lambda: KS.CosineDecayRestarts(F(0.6), 30, t_mul=F(1.0), m_mul=F(1.0), alpha=F(0.1)),
                       steps_with_landmarks(400, 30, 60, 90), False),
    "restarts-alpha-m_mul": (lambda: KS.CosineDecayRestarts(F(0.6), 10, t_mul=F(2.0), m_mul=F(0.5), alpha=F(0.1)),
                             steps_with_landmarks(400, 10, 30, 70, 150, 310), False),
    "restarts-alpha-m_mul-above-1": (lambda: KS.CosineDecayRestarts(F(0.2), 12, t_mul=F(2.0), m_mul=F(1.1), alpha=F(0.3)),
                                     steps_with_landmarks(200, 12, 36, 84, 180), False),
    "restarts-fractional-t_mul": (lambda: KS.CosineDecayRestarts(F(0.6), 10, t_mul=F(1.5), m_mul=F(0.9)),
                                  steps_with_landmarks(300, 10, 25, 48, 81), False),
    "restarts-fractional-t_mul-alpha": (lambda: KS.CosineDecayRestarts(F(0.5), 7, t_mul=F(1.3), m_mul=F(0.8),
                                                                       alpha=F(0.05)), np.arange(200), False),
    "exponential-fractional-decay_steps": (lambda: KS.ExponentialDecay(F(0.5), F(7.5), F(0.9)),
                                           steps_with_landmarks(100, 7, 8, 15), False),
    "exponential-fractional-staircase": (lambda: KS.ExponentialDecay(F(0.5), F(2.4), F(0.97), staircase=True),
                                         np.arange(100), False),
}


def serialized(schedule) -> dict:
    return keras().optimizers.schedules.serialize(schedule)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_keras(case):
    make, steps, per_step = CASES[case]
    peer = make()
    s = lrcore.from_keras(peer)
    assert lrcore.from_keras(peer.get_config(), class_name=type(peer).__name__) == s
    assert lrcore.from_keras(serialized(peer)) == s
    want = keras_values(peer, steps, vectorized=not per_step)
    assert_ulp_close(s(steps), want, 64, ULPS, context=f"{case}: {s!r}")
    assert len(set(want.tolist())) > 1


def test_float32_keras_is_within_float32_of_the_exact_curve():
    """Keras' default: Python floats, computed in float32."""
    peer = KS.CosineDecay(0.8, 250, alpha=0.1, warmup_target=1.0, warmup_steps=30)
    steps = np.arange(0, 300)
    assert_ulp_close(lrcore.from_keras(peer)(steps), keras_values(peer, steps, vectorized=False), 32, 8)


REFUSED = {
    "restarts-shrinking-t_mul": (lambda: KS.CosineDecayRestarts(0.6, 10, t_mul=0.5), ValueError, "t_mul=0.5 < 1"),
    # Keras' peaks grow forever (to inf); lrcore refuses peaks past float32 at steps up to 2**63 - 1.
    "restarts-growing-peak-forever": (lambda: KS.CosineDecayRestarts(0.6, 10, t_mul=1.0, m_mul=1.1), ValueError,
                                      "peak_mul"),
    "fractional-decay_steps": (lambda: KS.InverseTimeDecay(0.5, 7.5, 0.9), ValueError, "fractional `decay_steps`"),
    "fractional-boundary": (lambda: KS.PiecewiseConstantDecay([2.5], [1.0, 0.5]), ValueError, "fractional `boundaries"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refuses(name):
    make, error, match = REFUSED[name]
    with pytest.raises(error, match=match):
        lrcore.from_keras(make())


def test_refuses_unknown_and_malformed_input():
    class MySchedule(KS.LearningRateSchedule):
        def __call__(self, step):
            return 0.1

        def get_config(self):
            return {}

    with pytest.raises(ValueError, match="the schedule MySchedule"):
        lrcore.from_keras(MySchedule())
    with pytest.raises(TypeError, match="needs `class_name`"):
        lrcore.from_keras({"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5})
    with pytest.raises(ValueError, match="unknown config key"):
        lrcore.from_keras({"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "gamma": 1},
                          class_name="ExponentialDecay")
    with pytest.raises(TypeError, match="Argument `schedule` must be a Keras"):
        lrcore.from_keras(0.1)


@pytest.mark.parametrize("missing", ["initial_learning_rate", "decay_steps", "decay_rate"])
def test_a_missing_config_key_is_a_value_error_naming_it(missing):
    config = {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5}
    del config[missing]
    with pytest.raises(ValueError, match=f"missing config key.*{missing}"):
        lrcore.from_keras(config, class_name="ExponentialDecay")


@pytest.mark.parametrize("value", ["0.1", b"0.1"])
def test_a_number_given_as_text_is_refused(value):
    """Keras cannot compute with a string learning rate; the converter does not read it as a number."""
    with pytest.raises(TypeError, match="initial_learning_rate"):
        lrcore.from_keras({"initial_learning_rate": value, "decay_steps": 3, "decay_rate": 0.5},
                          class_name="ExponentialDecay")


@pytest.mark.parametrize("lr", [1, np.int64(2)], ids=["int", "np.int64"])
def test_an_integer_initial_learning_rate_is_refused_naming_it(lr):
    """Keras computes a schedule in its initial_learning_rate's dtype: an integer makes its curve
    whole numbers (ExponentialDecay(1, 7, 0.5): 1, then 0), which the float curve lrcore converted
    to is not. Refused, naming the argument."""
    peer = KS.ExponentialDecay(lr, 7, 0.5)
    values = keras_values(peer, [0, 2, 4, 6, 8])
    assert np.array_equal(values, np.floor(values))  # Keras' own curve: whole numbers
    assert values[0] == lr and values[-1] < lr
    with pytest.raises(ValueError, match="argument `initial_learning_rate` is an integer"):
        lrcore.from_keras(peer)
    with pytest.raises(ValueError, match="argument `initial_learning_rate` is an integer"):
        lrcore.from_keras({"initial_learning_rate": lr, "first_decay_steps": 5}, class_name="CosineDecayRestarts")
