"""``lrcore.torch``: every schedule on torch tensors, and an ``LRScheduler`` for any optimizer.

    sched = lrcore.torch.scheduler(opt, lrcore.cosine_restart(peak_value=1e-3, first_period=1000))

``lrcore.torch.<name>(...)`` returns a :class:`TorchSchedule`: a callable of integer step tensors
(or Python ints) returning float32 tensors, which works under ``torch.compile(fullgraph=True)``.
"""

from .backends import install as _install
from .backends.torch import LrcoreScheduler as LrcoreScheduler
from .backends.torch import ReduceLROnPlateau as ReduceLROnPlateau
from .backends.torch import TorchSchedule as TorchSchedule
from .backends.torch import scheduler as scheduler

# The factories are generated from the registry; lrcore/torch.pyi (python -m lrcore._stubs) is
# their static view for editors and type checkers.
__all__ = [*_install(globals(), TorchSchedule), "TorchSchedule", "LrcoreScheduler", "scheduler", "ReduceLROnPlateau"]
