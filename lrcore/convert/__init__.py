"""Converters from the schedulers users already have to the exact lrcore schedule.

``from_torch`` (a live torch scheduler), ``from_keras`` (a Keras schedule or its config),
``from_hf`` (a transformers ``get_scheduler`` name and arguments), ``from_timm`` (timm's
``create_scheduler_v2`` arguments), ``from_composer`` (a Composer scheduler) and ``from_paddle`` (a
PaddlePaddle scheduler). Each reads its
peer by duck typing (class names, attributes, config dicts), so this package imports no framework.
A configuration lrcore cannot express raises a ``ValueError`` naming it and the remedy; where the
peer's values depart from its documented curve at the given parameters, a ``UserWarning`` says so
and the documented curve is returned.
"""

from .composer import from_composer as from_composer
from .hf import from_hf as from_hf
from .keras import from_keras as from_keras
from .paddle import from_paddle as from_paddle
from .timm import from_timm as from_timm
from .torch import from_torch as from_torch

__all__ = ["from_torch", "from_keras", "from_hf", "from_timm", "from_composer", "from_paddle"]
