"""Find a learning rate with the range test, then train with it (JAX/optax, scikit-learn digits).

    PYTHONPATH=. python examples/lr_finder.py        # writes lr_finder.png
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits

import lrcore.jax
from lrcore.finder import find_lr_optax

x, y = load_digits(return_X_y=True)
x, y = (x / 16.0).astype(np.float32), y.astype(np.int64)
batches = [(x[i : i + 64], y[i : i + 64]) for i in range(0, 1728, 64)]

k1, k2 = jax.random.split(jax.random.PRNGKey(0))
params = {"w1": jax.random.normal(k1, (64, 64)) * 0.15, "b1": jnp.zeros(64),
          "w2": jax.random.normal(k2, (64, 10)) * 0.15, "b2": jnp.zeros(10)}


def loss_fn(p, batch):
    xb, yb = batch
    logits = jax.nn.relu(xb @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()


result = find_lr_optax(loss_fn, params, optax.adam, batches, start_value=1e-6, end_value=10.0, num_steps=100)
s = result.suggestions
print(f"steepest {s.steepest:.2e}  valley {s.valley:.2e}  minimum/10 {s.minimum:.2e}")
result.plot(path="lr_finder.png")

# Train with the valley suggestion as the peak of a warmup + cosine schedule.
tx = optax.adam(lrcore.jax.warmup_cosine_decay(init_value=0.0, peak_value=s.valley, warmup_steps=50, decay_steps=1000))
opt_state = tx.init(params)


@jax.jit
def step(params, opt_state, batch):
    loss, grads = jax.value_and_grad(loss_fn)(params, batch)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


for i in range(1000):
    params, opt_state, loss = step(params, opt_state, batches[i % len(batches)])
print(f"final training loss {float(loss):.4f}")
