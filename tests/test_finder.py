"""The LR range test: synthetic curves with a known best region, divergence, real models."""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from lrcore.finder import LRFinderResult, find_lr, find_lr_optax, find_lr_torch, smooth, suggest

# A loss that falls fastest around lr = 1e-3 (its descent spans 1e-4 .. 1e-2), then blows up past 1.
CENTER = -3.0


def synthetic(lr, noise=None):
    x = math.log10(lr)
    loss = 2.0 - math.tanh(1.5 * (x - CENTER)) + (math.exp(4.0 * x) if x > 0 else 0.0)
    return loss * (1.0 + noise) if noise is not None else loss


def run(num_steps, spike_at=None, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    calls = []

    def step_fn(lr):
        calls.append(lr)
        loss = synthetic(lr, noise * rng.standard_normal())
        if spike_at is not None and len(calls) == spike_at + 1:
            loss *= 10.0
        return loss

    return find_lr(step_fn, start_value=1e-7, end_value=10.0, num_steps=num_steps), calls


def test_sweep_is_exponential_from_start_to_end():
    result, calls = run(50)
    k = np.arange(len(calls))
    want = np.array([1e-7 * (10.0 / 1e-7) ** (i / 49) for i in k])
    np.testing.assert_allclose(calls, want, rtol=1e-12)
    assert calls[0] == 1e-7
    np.testing.assert_allclose(result.lrs, want[: len(result.lrs)], rtol=1e-12)


@pytest.mark.parametrize("noise", [0.0, 0.02])
def test_suggestions_inside_the_best_region(noise):
    result, _ = run(100, noise=noise)
    s = result.suggestions
    assert 10 ** (CENTER - 0.5) <= s.steepest <= 10 ** (CENTER + 0.5)
    assert 10 ** (CENTER - 1.0) <= s.valley <= 10 ** (CENTER + 1.0)
    # Every suggestion is a learning rate that trains: inside the descent, below the blow-up.
    for lr in (s.steepest, s.valley, s.minimum):
        assert 1e-4 <= lr <= 1.0
        assert lr in result.lrs or math.isclose(lr * 10, result.lrs[np.argmin(result.smoothed)])


@pytest.mark.parametrize("n", [41, 100])
def test_suggestions_stable_when_resolution_doubles(n):
    coarse, _ = run(n)
    fine, _ = run(2 * n - 1)  # the coarse grid is every other point of the fine grid
    spacing = math.log10(10.0 / 1e-7) / (n - 1)
    for name in ("steepest", "valley", "minimum"):
        a, b = getattr(coarse.suggestions, name), getattr(fine.suggestions, name)
        assert abs(math.log10(a) - math.log10(b)) <= spacing * (1 + 1e-9), name


def test_early_spike_changes_nothing():
    clean, _ = run(100)
    spiked, _ = run(100, spike_at=5)
    assert spiked.losses[5] == pytest.approx(10 * clean.losses[5])
    assert len(spiked.lrs) == len(clean.lrs)  # no early stop on the spike
    assert spiked.suggestions == clean.suggestions


def test_stops_on_divergence_and_on_nan():
    result, calls = run(100)
    assert result.diverged and len(calls) < 100
    assert result.losses[-1] > 4 * result.losses.min()
    assert np.all(np.isfinite(result.losses))

    def nan_after_1e_2(lr):
        return float("nan") if lr > 1e-2 else synthetic(lr)

    result = find_lr(nan_after_1e_2, num_steps=100)
    assert result.diverged and result.lrs[-1] <= 1e-2 and np.all(np.isfinite(result.losses))


def test_runs_to_the_end_without_divergence():
    result = find_lr(lambda lr: 1.0 / (1.0 + lr), num_steps=30)
    assert not result.diverged and len(result.lrs) == 30
    assert result.lrs[-1] == pytest.approx(10.0, rel=1e-12)


def test_too_few_points_is_a_clear_error():
    with pytest.raises(ValueError, match="Too few points.*at least 5.*got 3"):
        suggest([1e-3, 1e-2, 1e-1], [1.0, 0.5, 0.7])
    result = find_lr(lambda lr: float("inf") if lr > 2e-7 else 1.0, num_steps=100)
    with pytest.raises(ValueError, match="Too few points"):
        result.suggestions
    fig = result.plot()  # plotting still works without suggestions
    assert len(fig.axes[0].get_lines()) == 1


def test_flat_loss_has_no_suggestion():
    with pytest.raises(ValueError, match="never decreases"):
        suggest(np.logspace(-5, 0, 20), np.linspace(1.0, 2.0, 20))


@pytest.mark.parametrize(
    ("kwargs", "cls", "match"),
    [
        ({"num_steps": 3}, ValueError, "num_steps"),
        ({"num_steps": 10.5}, ValueError, "num_steps"),
        ({"num_steps": "10"}, TypeError, "num_steps"),
        ({"num_steps": True}, TypeError, "num_steps"),
        ({"start_value": "1e-7"}, TypeError, "start_value"),
        ({"end_value": float("nan")}, ValueError, "end_value"),
        ({"start_value": 1.0, "end_value": 1.0}, ValueError, "end_value"),
        ({"diverge_factor": float("inf")}, ValueError, "diverge_factor"),
        ({"smoothing": np.complex128(1)}, TypeError, "smoothing"),
        ({"start_value": 1.0, "end_value": 0.1}, ValueError, "end_value"),
        ({"start_value": 0.0}, ValueError, "start_value"),
        ({"diverge_factor": 1.0}, ValueError, "diverge_factor"),
        ({"smoothing": -1.0}, ValueError, "smoothing"),
    ],
)
def test_bad_arguments(kwargs, cls, match):
    with pytest.raises(cls, match=match):
        find_lr(lambda lr: 1.0, **kwargs)
    with pytest.raises(TypeError, match="step_fn"):
        find_lr(None)


def test_whole_float_num_steps_is_a_length():
    """num_steps follows lrcore's rule for lengths: an integral float (1e2) is a whole number."""
    assert len(find_lr(lambda lr: 1.0, num_steps=20.0).lrs) == 20


@pytest.mark.parametrize("offset", [-10.0, -2.0, -1.0])
def test_negative_losses_do_not_diverge_early(offset):
    """A loss below zero (a log-likelihood, a loss with an offset) is swept like any other: the test
    stops at the blow-up, and the suggestions are those of the unshifted curve."""
    plain, _ = run(100)
    shifted = find_lr(lambda lr: synthetic(lr) + offset, num_steps=100)
    assert shifted.diverged and shifted.lrs[-1] > 1.0  # stopped in the blow-up, not after 3 steps
    s = shifted.suggestions
    assert 10 ** (CENTER - 0.5) <= s.steepest <= 10 ** (CENTER + 0.5)
    assert 10 ** (CENTER - 1.0) <= s.valley <= 10 ** (CENTER + 1.0)
    assert abs(math.log10(s.steepest) - math.log10(plain.suggestions.steepest)) < 0.1


def test_constant_negative_loss_runs_to_the_end():
    result = find_lr(lambda lr: -1.0, num_steps=30)
    assert not result.diverged and len(result.lrs) == 30


def test_best_loss_exactly_zero():
    """A loss that reaches exactly 0 (hinge, clipped) and then jitters by tiny amounts above it
    has not diverged; it diverges when it really climbs back."""
    rng = np.random.default_rng(0)

    def hinge(lr):
        x = math.log10(lr)
        return max(0.0, 1.0 - math.tanh(1.5 * (x - CENTER)) + 1e-3 * rng.standard_normal()) + (
            math.exp(4.0 * x) if x > 0 else 0.0
        )

    result = find_lr(hinge, num_steps=100)
    assert result.losses.min() == 0.0
    assert result.diverged and result.lrs[-1] > 1.0
    s = result.suggestions
    assert 10 ** (CENTER - 1.0) <= s.steepest <= 10 ** (CENTER + 1.0)


def test_divergence_rule_on_scripted_losses():
    """The rule of find_lr's docstring, on exact loss sequences (median of 3, best, drop)."""

    def stops_after(losses, factor=4.0):
        it = iter(losses)
        result = find_lr(lambda lr: next(it), num_steps=len(losses), diverge_factor=factor)
        return len(result.lrs) if result.diverged else None

    # best 0 after a drop of 1.8: the allowed rise is 3 * 0.18 = 0.54
    assert stops_after([1.8, 1.2, 0.6, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5]) is None
    assert stops_after([1.8, 1.2, 0.6, 0.0, 0.0, 0.0, 0.55, 0.55, 0.5, 0.5]) == 8
    # positive best larger than drop/10: the classic "above 4 x best"
    assert stops_after([3.0, 2.0, 1.0, 1.0, 1.0, 3.9, 3.9, 3.9]) is None
    assert stops_after([3.0, 2.0, 1.0, 1.0, 1.0, 4.1, 4.1, 4.1]) == 7
    # negative best: the scale is |best|
    assert stops_after([-1.0, -2.0, -2.0, -2.0, 3.9, 3.9, 3.9]) is None
    assert stops_after([-1.0, -2.0, -2.0, -2.0, 4.1, 4.1, 4.1]) == 6
    # a single spike is ignored by the median
    assert stops_after([3.0, 2.0, 1.0, 1.0, 50.0, 1.0, 1.0]) is None


def test_suggestions_only_depend_on_lrs_and_losses():
    result, _ = run(100, noise=0.05)
    again = LRFinderResult(result.lrs.copy(), result.losses.copy(), result.diverged)
    assert suggest(result.lrs, result.losses) == again.suggestions == result.suggestions


def test_plot_draws_curves_and_suggestions(tmp_path):
    result, _ = run(100)
    fig = result.plot(path=tmp_path / "finder.png")
    # raw loss, smoothed loss, three suggestion markers
    assert len(fig.axes[0].get_lines()) == 5
    assert fig.axes[0].get_xscale() == "log"
    assert (tmp_path / "finder.png").stat().st_size > 10_000


def test_progress_bar_when_asked(capsys):
    find_lr(lambda lr: 1.0 / (1.0 + lr), num_steps=10, progress=True)
    assert "lr range test" in capsys.readouterr().err
    find_lr(lambda lr: 1.0 / (1.0 + lr), num_steps=10)  # not a terminal: no bar
    assert capsys.readouterr().err == ""



def test_divergence_is_found_at_any_loss_scale_up_to_float64s_largest():
    """The running median of the first two losses was their mean, summed first: two losses near
    float64's largest gave inf, and the divergence bar stayed inf for the whole sweep (1e307 times
    a curve ran all 100 steps and reported no divergence where 1e306 times it stopped at 79)."""
    def curve(scale):
        return lambda lr: scale * (1 + (math.log10(lr) + 3) ** 2)

    want = find_lr(curve(1.0), progress=False)
    assert want.diverged
    for scale in (1e-300, 1e306, 1e307, 1.05e307):  # the first loss, 17 times the scale, stays finite
        got = find_lr(curve(scale), progress=False)
        assert got.diverged and np.array_equal(got.lrs, want.lrs), scale


@pytest.mark.parametrize("scale", [2.0**1023, 2.0**1022, 2.0**-1000, 1.0])
def test_a_rise_from_a_negative_best_diverges_at_any_scale(scale):
    """From a best near -0.6e308 to a median near +1.7e308 the rise passed float64, and so did the
    bar it is compared with: inf > inf is False, and the sweep ran to the end. The rule is compared
    exactly: scaled by a power of two, the curve stops at the same step."""
    curve = [0.0, -0.3, -0.6, -0.6, -0.6] + [1.7] * 15
    want_stop = None
    for k in range(3, len(curve) + 1):  # the rule (find_lr's docstring) in exact arithmetic
        medians = [sorted(curve[max(0, i - 2): i + 1])[len(curve[max(0, i - 2): i + 1]) // 2] if i >= 2
                   else Fraction(curve[0] + curve[i]) / 2 for i in range(k)]
        best = min(medians)
        drop = max(medians[: medians.index(best) + 1]) - best
        if Fraction(medians[-1]) - Fraction(best) > Fraction(7, 2) * max(abs(Fraction(best)), Fraction(drop) / 10):
            want_stop = k
            break
    assert want_stop == 7
    # 1.7·2**1023 is finite; the rise, 2.3·2**1023, is not, nor the bar, 3.5·0.6·2**1023
    losses = iter(c * scale for c in curve)
    result = find_lr(lambda lr: next(losses), 1e-6, 10.0, len(curve), diverge_factor=4.5, progress=False)
    assert result.diverged and len(result.losses) == want_stop


def test_a_constant_subnormal_loss_never_diverges():
    """Halving the first two losses flushed 5e-324 to 0: the best median was 0 and the third step's
    5e-324 a divergence."""
    for loss in (5e-324, 1.5e-323, 1.0):
        result = find_lr(lambda lr: loss, num_steps=20, progress=False)
        assert not result.diverged and len(result.lrs) == 20, loss


def test_a_fall_past_float64_keeps_the_divergence_bar():
    """The medians' fall from 1.7e308 to -1.7e308 was inf, and so the bar for the rest of the
    sweep: a rise the rule counts as divergence (exactly so at a quarter of the losses) ran on."""
    big = 1.7e308
    losses = [big] * 5 + [-big] * 5 + [1e307] * 5 + [1.0] * 40
    stops = []
    for scale in (1.0, 0.25):
        it = iter(losses)
        result = find_lr(lambda lr: scale * next(it), num_steps=50, diverge_factor=2.0, progress=False)
        stops.append((len(result.lrs), result.diverged))
    assert stops[0] == stops[1] and stops[0][1]


@pytest.mark.parametrize("progress", ["no", "yes", 1, 0.0])
def test_progress_that_is_no_flag_is_refused(progress, capsys):
    """``progress='no'`` showed a bar (any truthy value did); the step function is never called."""
    calls = []
    with pytest.raises(TypeError, match="Argument `progress` must be True or False"):
        find_lr(lambda lr: calls.append(lr) or 1.0, num_steps=10, progress=progress)
    assert calls == [] and capsys.readouterr().err == ""


# -- real models on real data ----------------------------------------------------------------------
def digits(n=512):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype(np.float32), y[:n].astype(np.int64)


def check_real(result):
    s = result.suggestions
    smoothed = result.smoothed
    # The loss does fall during the sweep, the sweep diverges at large rates, and the suggestions
    # lie where the loss was falling or lowest: well below the rate that blew up.
    assert smoothed.min() < 0.8 * smoothed[0]
    assert result.diverged
    for lr in (s.steepest, s.valley, s.minimum):
        assert 1e-5 <= lr < result.lrs[-1] / 3


def test_real_model_jax():
    import jax
    import jax.numpy as jnp
    import optax

    x, y = digits()
    batches = [(x[i : i + 64], y[i : i + 64]) for i in range(0, len(x), 64)]
    key1, key2 = jax.random.split(jax.random.PRNGKey(0))
    params = {
        "w1": jax.random.normal(key1, (64, 32)) * 0.2,
        "b1": jnp.zeros(32),
        "w2": jax.random.normal(key2, (32, 10)) * 0.2,
        "b2": jnp.zeros(10),
    }
    before = jax.tree_util.tree_map(np.asarray, params)

    def loss_fn(p, batch):
        xb, yb = batch
        logits = jax.nn.relu(xb @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    result = find_lr_optax(loss_fn, params, optax.adam, batches, start_value=1e-5, end_value=10.0, num_steps=80)
    check_real(result)
    after = jax.tree_util.tree_map(np.asarray, params)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_real_model_torch():
    import torch

    torch.manual_seed(0)
    x, y = digits()
    batches = [(torch.from_numpy(x[i : i + 64]), torch.from_numpy(y[i : i + 64])) for i in range(0, len(x), 64)]
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    model.eval()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def loss_fn(m, batch):
        return torch.nn.functional.cross_entropy(m(batch[0]), batch[1])

    result = find_lr_torch(model, optimizer, loss_fn, batches, start_value=1e-5, end_value=10.0, num_steps=80)
    check_real(result)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert optimizer.param_groups[0]["lr"] == 0.05
    assert optimizer.state_dict()["state"] == {}  # Adam moments gone, as before the test
    assert not model.training


def test_find_lr_torch_leaves_gradients_and_plateau_schedulers_as_they_were():
    """The range test restored the weights and the optimizer, not the gradients: a loop that steps
    before ``zero_grad()`` added the sweep's last gradient to its first update (weights off by 1.4).
    And an ``lrcore.torch.ReduceLROnPlateau`` advanced its scheduler on every sweep update (30 steps
    of the schedule skipped). Both are as before the test: the next update is the one a run without
    the test makes, bit for bit."""
    import torch

    import lrcore
    import lrcore.torch

    x, y = digits()
    batches = [(torch.from_numpy(x[i : i + 64]), torch.from_numpy(y[i : i + 64])) for i in range(0, 640, 64)]

    def loss_fn(m, batch):
        return torch.nn.functional.cross_entropy(m(batch[0]), batch[1])

    def setup():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        scheduler = lrcore.torch.scheduler(optimizer, lrcore.cosine_decay(0.01, 100))
        plateau = lrcore.torch.ReduceLROnPlateau(scheduler)
        loss_fn(model, batches[0]).backward()  # a gradient waiting, as in a loop that steps first
        return model, optimizer, scheduler, plateau

    def train(model, optimizer, n=3):
        lrs = []
        for batch in batches[1 : 1 + n]:
            optimizer.step()  # the plateau's hook advances the scheduler after each update
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.zero_grad()
            loss_fn(model, batch).backward()
        return lrs, [p.detach().clone() for p in model.parameters()]

    model, optimizer, scheduler, _plateau = setup()
    want_lrs, want_params = train(model, optimizer)

    model, optimizer, scheduler, _plateau = setup()
    find_lr_torch(model, optimizer, loss_fn, batches, start_value=1e-5, end_value=1.0, num_steps=30)
    assert scheduler.last_epoch == 0
    got_lrs, got_params = train(model, optimizer)
    assert got_lrs == want_lrs
    assert all(torch.equal(a, b) for a, b in zip(got_params, want_params))


def test_find_lr_torch_restores_each_module_mode_and_the_lr_tensor_object():
    """It restored only the top-level mode (``model.train(was_training)``): a frozen BatchNorm in a
    training model came back training, and a training submodule of an eval model came back in eval.
    And a tensor lr came back as a new tensor: the user's ``lr_t.fill_(0.5)`` no longer reached the
    optimizer."""
    import torch

    x, y = digits()
    batches = [(torch.from_numpy(x[i : i + 64]), torch.from_numpy(y[i : i + 64])) for i in range(0, 640, 64)]

    def loss_fn(m, batch):
        return torch.nn.functional.cross_entropy(m(batch[0]), batch[1])

    for top, inner in ((True, False), (False, True)):
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.BatchNorm1d(32), torch.nn.Linear(32, 10))
        model.train(top)
        model[1].train(inner)
        lr = torch.tensor(0.01)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        find_lr_torch(model, optimizer, loss_fn, batches, start_value=1e-5, end_value=1.0, num_steps=20)
        assert [m.training for m in model.modules()] == [top, top, inner, top]
        assert optimizer.param_groups[0]["lr"] is lr and float(lr) == float(torch.tensor(0.01))
        lr.fill_(0.5)
        assert float(optimizer.param_groups[0]["lr"]) == 0.5


def test_suggestions_do_not_depend_on_the_loss_scale_up_to_float64s_largest():
    """Losses near 1.8e308 made the smoothing's sums and the slopes inf: suggest raised "the smoothed
    loss never decreases" (or picked the wrong point) where the same curve scaled down had
    suggestions. A power-of-two scale changes nothing."""
    lrs = np.geomspace(1e-4, 1.0, 40)
    curve = 1.0 + 0.5 * np.cos(np.linspace(0.0, np.pi, 40)) ** 2 - 0.3 * np.linspace(0.0, 1.0, 40)
    want = suggest(lrs, curve)
    for scale in (2.0**1000, 2.0**1022, 1.79e308 / np.max(curve)):
        assert suggest(lrs, curve * scale) == want, scale
        assert np.all(np.isfinite(smooth(lrs, curve * scale)))


def test_smoothing_a_curve_with_one_huge_loss_keeps_the_small_ones():
    """The rescaling for losses near float64's largest value must not flush the others to 0: the
    running median removes the single spike, leaving the small losses as they are."""
    out = smooth(np.logspace(-6, 1, 7), [np.finfo(float).max] + [1e-300] * 6, smoothing=1e-3)
    np.testing.assert_allclose(out, 1e-300, rtol=1e-12)


@pytest.mark.parametrize("where", ["lrs", "losses"])
def test_a_number_past_float64_in_the_curve_is_refused_naming_it(where):
    lrs, losses = [1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]
    (lrs if where == "lrs" else losses)[-1] = 10**400
    with pytest.raises(ValueError, match=f"Argument `{where}` must be finite"):
        suggest(lrs, losses)


@pytest.mark.parametrize(
    "loss",
    [np.array("1.5"), np.array(b"1.5"), np.array("1.5", dtype=object), np.timedelta64(3), np.array(np.datetime64(3, "s")),
     memoryview(b"1"), "1.5", b"1.5", "tf", np.array(["3"], dtype=object), np.array([b"1e3"], dtype=object),
     np.void(b"3"), np.array(np.void(b"3"))],
    ids=repr,
)
def test_a_loss_held_as_text_or_a_time_is_refused(loss):
    if isinstance(loss, str) and loss == "tf":
        import tensorflow as tf

        loss = tf.constant("2.5")  # TensorFlow's string tensors were read as numbers
    with pytest.raises(TypeError, match="`step_fn` must return the step's loss"):
        find_lr(lambda lr: loss, num_steps=5)


def test_find_lr_optax_names_a_start_value_past_float64():
    import jax.numpy as jnp
    import optax

    with pytest.raises(ValueError, match="start_value"):
        find_lr_optax(lambda p, b: jnp.sum(p**2), jnp.ones(2), optax.sgd, [None], start_value=10**400)


def test_lrs_whose_logarithms_are_equal_are_refused_naming_lrs():
    """Strictly increasing lrs with equal log10 (adjacent floats near 1e10) made np.gradient divide
    by zero: a suggestion at a NaN slope, or a false 'never decreases'."""
    lrs = 1e10 * (1 + np.arange(10) * 2.2e-16)
    assert np.all(np.diff(lrs) > 0) and not np.all(np.diff(np.log10(lrs)) > 0)
    with pytest.raises(ValueError, match="`lrs` must be strictly increasing in log10"):
        suggest(lrs, np.linspace(5, 1, 10))


def test_a_meta_tensor_loss_is_refused_naming_step_fn():
    import torch

    with pytest.raises(TypeError, match="`step_fn` must return the step's loss"):
        find_lr(lambda lr: torch.empty((), device="meta"), num_steps=5)


@pytest.mark.parametrize("where", ["lrs", "losses"])
def test_a_meta_tensor_curve_is_refused_naming_it(where):
    import torch

    lrs, losses = np.geomspace(1e-4, 1.0, 20), np.linspace(2.0, 1.0, 20)
    meta = torch.empty(20, device="meta")
    with pytest.raises(TypeError, match=f"Argument `{where}`"):
        suggest(meta if where == "lrs" else lrs, meta if where == "losses" else losses)


def _loss_in(library, value, shape):
    if library == "numpy":
        return np.full(shape, value)
    if library == "torch":
        import torch

        return torch.full(shape, value, dtype=torch.float64)
    if library == "jax":
        import jax.numpy as jnp

        return jnp.full(shape, value, dtype=jnp.float32)
    import tensorflow as tf

    return tf.fill(shape, tf.constant(value, dtype=tf.float64))


@pytest.mark.parametrize("library", ["numpy", "torch", "jax", "tensorflow"])
@pytest.mark.parametrize("shape", [(), (1,)], ids=str)
def test_a_loss_of_shape_one_is_its_element_on_every_library(library, shape):
    """A loss of shape () or (1,) (what a reduced batch loss can be) is read as its element, on every
    library alike: NumPy and JAX arrays of shape (1,) were refused, torch's taken."""
    curve = [3.0 - 0.5 * k if k < 8 else 3.0 + 2.0**k for k in range(20)]  # falls, then diverges
    floats, arrays = list(curve), list(curve)
    plain = find_lr(lambda lr: floats.pop(0), num_steps=20)
    held = find_lr(lambda lr: _loss_in(library, arrays.pop(0), shape), num_steps=20)
    assert np.array_equal(held.lrs, plain.lrs) and np.array_equal(held.losses, plain.losses)
    assert held.diverged == plain.diverged


@pytest.mark.parametrize("library", ["numpy", "torch", "jax", "tensorflow"])
@pytest.mark.parametrize("shape", [(2,), (1, 1), (0,)], ids=str)
def test_a_loss_of_another_shape_is_refused_naming_step_fn(library, shape):
    with pytest.raises(TypeError, match=r"`step_fn` must return the step's loss.*shape \(\) or \(1,\)"):
        find_lr(lambda lr: _loss_in(library, 1.0, shape), num_steps=5)


@pytest.mark.parametrize(
    ("scale", "log_loss"),
    [(s, False) for s in (5e307, -5e307, 1e-300, 1e-310, 1.0)] + [(s, True) for s in (5e307, 1e-300, 1e-310, 1.0)],
)
def test_the_range_test_plot_draws_losses_at_any_scale(tmp_path, scale, log_loss):
    """Losses near float64's largest made matplotlib fail on its ticks ('arange: cannot compute
    length', 'cannot convert float infinity to integer', 'Singular matrix'); tiny ones were drawn
    flat at 0. They are drawn divided by a power of ten, which the axis label gives."""
    x = np.linspace(-3, 3, 40)
    lrs = np.geomspace(1e-4, 10.0, 40)
    losses = (2 - np.tanh(x)) * scale  # within 1x..3x the scale, nothing past float64
    fig = LRFinderResult(lrs, losses, False).plot(path=tmp_path / "f.png", log_loss=log_loss)
    ax = fig.axes[0]
    label = ax.get_ylabel()
    exponent = 0 if label == "loss" else int(label.removeprefix("loss (×1e").removesuffix(")"))
    assert (exponent == 0) == (scale == 1.0)
    drawn = np.asarray(ax.lines[0].get_ydata(), dtype=np.float64)
    for got, want in zip(drawn, losses):  # want / 10**exponent (mpmath), then compared
        assert math.isclose(float(got), float(mpmath.mpf(float(want)) / mpmath.mpf(10) ** exponent), rel_tol=1e-12)
    low, high = sorted(ax.get_ylim())
    assert low <= drawn.min() and drawn.max() <= high and math.isfinite(high - low)
    assert (tmp_path / "f.png").stat().st_size > 10_000


def _tiny_torch():
    import torch

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    batches = [(torch.randn(4, 3), torch.randn(4, 1)) for _ in range(3)]
    return model, optimizer, batches


def test_find_lr_torch_names_a_detached_loss_and_leaves_the_model_as_it_was():
    """A loss_fn returning a detached loss raised torch's bare 'element 0 of tensors does not
    require grad'."""
    import torch

    model, optimizer, batches = _tiny_torch()
    before = [p.detach().clone() for p in model.parameters()]

    def detached(m, batch):
        return torch.nn.functional.mse_loss(m(batch[0]), batch[1]).detach()

    with pytest.raises(TypeError, match=r"Argument `loss_fn` must return a loss computed from the model's parameters"):
        find_lr_torch(model, optimizer, detached, batches, num_steps=5)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), before))
    assert optimizer.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("batches", [None, 3, 2.5])
def test_the_range_tests_name_batches_that_are_not_iterable(batches):
    """batches=None raised "'NoneType' object is not iterable", naming nothing."""
    import jax.numpy as jnp
    import optax
    import torch

    model, optimizer, _ = _tiny_torch()
    with pytest.raises(TypeError, match="Argument `batches` must be an iterable of batches"):
        find_lr_torch(model, optimizer, lambda m, b: torch.zeros((), requires_grad=True), batches, num_steps=5)
    with pytest.raises(TypeError, match="Argument `batches` must be an iterable of batches"):
        find_lr_optax(lambda p, b: jnp.sum(p**2), jnp.ones(2), optax.sgd, batches, num_steps=5)


def test_a_divergence_spike_of_any_size_leaves_the_suggestions_as_they_are():
    """The sweep stops after two or more diverged losses, which the median cannot remove, and the
    moving average spread them back over the curve in proportion to their size: losses 1e8 times
    the rest moved the suggestions 500 times lower, 1e16 times made the curve 'never decrease'.
    Held at the curve's level before its lowest point, every size of spike gives the same
    suggestions, and the steepest descent of 2 - tanh(log10(lr) + 3) is at lr = 1e-3."""
    def run(jump):
        state = {}

        def step_fn(lr):
            base = 2.0 - math.tanh(math.log10(lr) + 3)
            if lr < 0.1:
                return base
            state["loss"] = state.get("loss", base) * jump
            return state["loss"]

        return find_lr(step_fn, start_value=1e-7, end_value=10.0, num_steps=100, progress=False)

    results = [run(jump) for jump in (1e2, 1e4, 1e8, 1e16)]
    assert all(r.diverged and r.losses[-1] > 1e3 for r in results)
    assert len({r.suggestions for r in results}) == 1
    steepest = results[0].suggestions.steepest
    assert 10**-3.2 <= steepest <= 10**-2.8, steepest


def test_find_lr_torch_names_an_optimizer_that_needs_a_closure():
    """LBFGS.step needs a closure: torch's bare 'missing 1 required positional argument'."""
    import torch

    model, _, batches = _tiny_torch()
    optimizer = torch.optim.LBFGS(model.parameters())
    with pytest.raises(TypeError, match=r"Argument `optimizer` must step without a closure .*LBFGS"):
        find_lr_torch(model, optimizer, lambda m, b: torch.nn.functional.mse_loss(m(b[0]), b[1]), batches, num_steps=5)


@pytest.mark.parametrize("library", ["numpy", "jax"])
def test_a_bfloat16_loss_of_numpy_or_jax_is_a_loss(library):
    """ml_dtypes' bfloat16 is NumPy dtype kind V, which the refusal of raw bytes (np.void) caught:
    a JAX or NumPy bfloat16 loss, or a bfloat16 curve for suggest, was refused, torch's taken."""
    import jax.numpy as jnp
    import ml_dtypes

    curve = [3.0 - 0.25 * k for k in range(8)] + [50.0, 2000.0, 80000.0]
    make = (lambda v: np.asarray(v, dtype=ml_dtypes.bfloat16)) if library == "numpy" else (
        lambda v: jnp.asarray(v, dtype=jnp.bfloat16))
    floats = [float(np.float32(make(v))) for v in curve]  # the values the bfloat16 losses hold
    held, plain = list(curve), list(floats)
    got = find_lr(lambda lr: make(held.pop(0)), num_steps=len(curve), progress=False)
    want = find_lr(lambda lr: plain.pop(0), num_steps=len(curve), progress=False)
    assert np.array_equal(got.losses, want.losses) and got.diverged == want.diverged
    lrs = np.geomspace(1e-5, 1.0, 50)
    losses = 2.0 - np.tanh(np.log10(lrs) + 3)
    assert suggest(lrs, losses.astype(ml_dtypes.bfloat16)) == suggest(lrs, losses.astype(ml_dtypes.bfloat16).astype(np.float64))
