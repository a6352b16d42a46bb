"""Framework adapters. Each binds the core schedules to one framework; none re-implements math.

``install`` gives an adapter module one factory per schedule, with the core factory's signature
and docstring: it validates through the core (allowing array/tracer level parameters) and wraps
the resulting :class:`lrcore.Schedule` with the adapter's ``bind``.
"""

from __future__ import annotations

import functools

from .. import SCHEDULES, validate
from ..schedule import REGISTRY, as_schedule


def install(namespace: dict, bind) -> list[str]:
    """Define every schedule factory and ``from_schedule`` in ``namespace``; return their names."""
    for name in SCHEDULES:
        namespace[name] = _adapter_factory(REGISTRY[name].factory, bind)

    def from_schedule(schedule, **options):
        """Bind an existing :class:`lrcore.Schedule` (built anywhere) to this framework."""
        return bind(as_schedule("schedule", schedule), **options)

    # Named as a function of the adapter module (help(), pickling and the API reference see it there).
    from_schedule.__module__ = namespace["__name__"]
    from_schedule.__qualname__ = "from_schedule"
    namespace["from_schedule"] = from_schedule
    return [*SCHEDULES, "from_schedule"]


def _adapter_factory(core_factory, bind):
    @functools.wraps(core_factory)
    def factory(*args, **kwargs):
        with validate.array_levels_allowed():
            schedule = core_factory(*args, **kwargs)
        return bind(schedule)

    return factory
