"""The migration pages' converter tables hold: each row's converter call gives the row's lrcore
schedule, and that schedule's values are the real peer's (built from the row's first cell).

docs/migration/ has a page per peer; each opens with its one-line converter and a runnable example,
and holds one table after a ``<!-- checked: <peer> -->`` line, whose rows are
``| `peer object` | `converter call` | `lrcore schedule` |``, where ``opt`` is an optimizer whose
lr is 0.1 and ``s`` the peer object.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler
from transformers import optimization

import lrcore
from tests.helpers import assert_ulp_close
from tests.peers import composer_scheduler_module, composer_values, drive_timm, keras, keras_values
from tests.peers import timm_scheduler_module

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = ROOT / "docs" / "migration"
LR = 0.1
#: peer -> (its page, its converter)
PEERS = {
    "keras": ("keras.md", "from_keras"),
    "torch": ("torch.md", "from_torch"),
    "hf": ("transformers.md", "from_hf"),
    "timm": ("timm.md", "from_timm"),
    "composer": ("composer.md", "from_composer"),
    "paddle": ("paddle.md", "from_paddle"),
}


def tables() -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """peer -> (the page that holds its table, its rows as (peer object, converter call, lrcore schedule) source)."""
    out = {}
    for page in sorted(PAGES.glob("*.md")):
        peer = None
        for line in page.read_text(encoding="utf-8").splitlines():
            marker = re.fullmatch(r"<!-- checked: (\w+) -->", line.strip())
            if marker:
                peer = marker.group(1)
                assert peer not in out, f"a second table of {peer} in {page.name}"
                out[peer] = (page.name, [])
                continue
            if peer is None:
                continue
            rows = out[peer][1]
            if not line.startswith("|"):
                if rows:
                    peer = None
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if all(re.fullmatch(r"`[^`]+`", c) for c in cells):
                rows.append(tuple(c[1:-1] for c in cells))
    return out


def test_every_peer_has_a_checked_table_on_its_page():
    found = tables()
    assert set(found) == set(PEERS)
    assert {peer: page for peer, (page, _) in found.items()} == {peer: page for peer, (page, _) in PEERS.items()}
    assert all(len(rows) >= 5 for _, rows in found.values()), {p: len(r) for p, (_, r) in found.items()}


def test_the_migration_pages_are_the_overview_and_one_page_per_peer():
    assert not (ROOT / "docs" / "migration.md").exists()
    names = {p.name for p in PAGES.glob("*.md")}
    assert names == {"index.md", "optax.md", *(page for page, _ in PEERS.values())}
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert all(f"migration/{name}" in nav for name in names)


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_each_page_opens_with_its_converter_and_a_runnable_example(peer):
    """Before its first section: the converter named, and a Python block (run by tests/test_docs.py)
    that calls it."""
    page, converter = PEERS[peer]
    text = (PAGES / page).read_text(encoding="utf-8")
    assert text.startswith("# From "), page
    opening = text[: text.index("\n## ")]
    assert f"lrcore.{converter}(" in opening.split("```")[0], page
    blocks = re.findall(r"```python\n(.*?)```", opening, flags=re.S)
    assert blocks and f"lrcore.{converter}(" in blocks[0], page


#: Paddle schedulers that compute each value from the one before (tests/test_parity_paddle.py).
CHAINED = ("CosineAnnealingDecay(", "LinearLR(")
ROWS = [(peer, row) for peer, (_, rows) in tables().items() for row in rows]
LRCORE = {name: getattr(lrcore, name) for name in lrcore.__all__}


def optimizer():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(()))], lr=LR, momentum=0.9)


def drive(scheduler, opt, n, key="lr"):
    out = []
    for i in range(n):
        out.append(float(opt.param_groups[0][key]))
        opt.step()
        if i < n - 1:
            scheduler.step()
    return np.asarray(out)


def _torch_namespace(opt):
    names = {k: getattr(lr_scheduler, k) for k in dir(lr_scheduler) if not k.startswith("_")}
    return {**names, "opt": opt, "get_scheduler": optimization.get_scheduler,
            "get_linear_schedule_with_warmup": optimization.get_linear_schedule_with_warmup}


def convert_and_values(peer: str, row):
    """(what the converter call gives, the peer's values, their float width)."""
    made, call, _ = row
    if peer in ("torch", "hf"):
        # Up to num_training_steps (transformers' cosines climb back after it).
        total = re.search(r"num_training_steps=(\d+)", call)
        n = 100 if peer == "torch" or not total else int(total.group(1)) + 1
        opt = optimizer()
        s = eval(made, _torch_namespace(opt))
        got = eval(call, {"from_torch": lrcore.from_torch, "from_hf": lrcore.from_hf, "s": s})
        return got, drive(s, opt, n, "momentum" if "momentum=True" in call else "lr"), 64
    if peer == "keras":
        schedules = keras().optimizers.schedules
        s = eval(made, {k: getattr(schedules, k) for k in dir(schedules) if not k.startswith("_")})
        got = eval(call, {"from_keras": lrcore.from_keras, "s": s, "keras": keras()})
        return got, keras_values(s, np.arange(300), vectorized=False), 32
    if peer == "timm":
        factory = timm_scheduler_module("scheduler_factory").create_scheduler_v2
        got = eval(call, {"from_timm": lrcore.from_timm})
        want = drive_timm(lambda o: eval(made, {"opt": o, "create_scheduler_v2": lambda *a, **k: factory(*a, **k)[0]}),
                          150, lr=LR)
        return got, want, 64
    module = composer_scheduler_module()
    s = eval(made, {k: getattr(module, k) for k in dir(module) if k.endswith("Scheduler")})
    seen = {}

    def from_composer(scheduler, max_duration, steps_per_epoch=None, *, ssr=1.0, lr=1.0, samples_per_batch=None,
                      tokens_per_batch=None):
        seen.update(max_duration=max_duration, dataloader_len=steps_per_epoch, ssr=ssr, lr=lr,
                    samples=samples_per_batch or 0, tokens=tokens_per_batch or 0)
        return lrcore.from_composer(scheduler, max_duration, steps_per_epoch, ssr=ssr, lr=lr,
                                    samples_per_batch=samples_per_batch, tokens_per_batch=tokens_per_batch)

    got = eval(call, {"from_composer": from_composer, "s": s})
    want = seen["lr"] * composer_values(s, 300, seen["max_duration"], seen["dataloader_len"], ssr=seen["ssr"],
                                        samples_per_batch=seen["samples"], tokens_per_batch=seen["tokens"])
    return got, want, 64


def _paddle_child(rows_path: str, out_path: str) -> None:
    """In a child process (Paddle and TensorFlow cannot share one): each row's Paddle scheduler,
    converted, and its values after construction and each of 149 ``step()`` calls."""
    from tests.peers import paddle_lr

    lr = paddle_lr()
    names = {k: getattr(lr, k) for k in dir(lr) if not k.startswith("_")}
    with open(rows_path) as f:
        rows = json.load(f)
    out = []
    for made, call, _ in rows:
        s = eval(made, names)
        got = eval(call, {"from_paddle": lrcore.from_paddle, "s": s}).to_dict()
        values = [float(s())]
        for _ in range(149):
            if type(s).__name__ == "OneCycleLR" and s.last_epoch == s.total_steps:
                break  # Paddle refuses a step past total_steps
            s.step()
            values.append(float(s()))
        out.append([got, values])
    with open(out_path, "w") as f:
        json.dump(out, f)


@pytest.fixture(scope="module")
def paddle_rows():
    rows = tables()["paddle"][1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    with tempfile.TemporaryDirectory() as tmp:
        with open(f"{tmp}/rows.json", "w") as f:
            json.dump(rows, f)
        code = "import sys; from tests.test_convert_docs import _paddle_child; _paddle_child(sys.argv[1], sys.argv[2])"
        done = subprocess.run([sys.executable, "-c", code, f"{tmp}/rows.json", f"{tmp}/out.json"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-4000:]
        with open(f"{tmp}/out.json") as f:
            results = json.load(f)
    return {tuple(row): (lrcore.from_dict(got), np.asarray(values)) for row, (got, values) in zip(rows, results)}


@pytest.mark.parametrize(("peer", "row"), ROWS, ids=[f"{p}-{r[0][:50]}" for p, r in ROWS])
def test_row(peer, row, request):
    if peer == "paddle":
        got, want = request.getfixturevalue("paddle_rows")[tuple(row)]
        bits = 64
        want = want[:100] if "OneCycleLR" in row[0] else want  # Paddle's step total_steps is past its end
    else:
        got, want, bits = convert_and_values(peer, row)
    expected = eval(row[2], LRCORE)
    assert got == expected, (got, expected)
    ulps = 8 if bits == 32 else 16
    if peer == "paddle" and row[0].startswith(CHAINED):
        ulps += len(want)  # lr_n computed from lr_{n-1}: a rounding per step accumulates
    assert_ulp_close(expected(np.arange(len(want))), want, bits, ulps, context=repr(row))
    assert len(set(want.tolist())) > 1
