"""Framework adapters. Each binds the core schedules to one framework; none re-implements math.

An adapter is a small class wrapping a :class:`lrcore.Schedule` (``NumpySchedule``,
``JaxSchedule``, …). ``install`` gives the public adapter module (``lrcore.jax`` …) one factory per
registered schedule, with the core factory's parameters, the adapter's return type and docs: it
validates through the core's registration, allowing 0-d array and tracer level parameters, and
wraps the resulting schedule with the adapter class.

The static view of the same factories (for editors and type checkers) is in the generated stubs
``lrcore/<adapter>.pyi``, written by ``python -m lrcore._stubs`` from :data:`ADAPTERS` and kept
true by ``tests/test_stubs.py``.
"""

from __future__ import annotations

import inspect

from ..schedule import REGISTRY, Definition, as_schedule, names

#: The public adapter modules (``lrcore.<name>``) and the class each one's factories return.
ADAPTERS = {
    "numpy": "NumpySchedule",
    "jax": "JaxSchedule",
    "torch": "TorchSchedule",
    "tf": "TFSchedule",
    "keras": "KerasSchedule",
}


def install(namespace: dict, bind) -> list[str]:
    """Define every schedule factory and ``from_schedule`` in ``namespace``; return their names."""
    module = namespace["__name__"]
    for name in names():
        namespace[name] = adapter_factory(REGISTRY[name], bind, module)

    def from_schedule(schedule, **options):
        """Bind an existing :class:`lrcore.Schedule` (built anywhere) to this framework."""
        return bind(as_schedule("schedule", schedule), **options)

    from_schedule.__module__ = module
    from_schedule.__qualname__ = "from_schedule"
    namespace["from_schedule"] = from_schedule
    return [*names(), "from_schedule"]


def adapter_doc(definition: Definition, bind_name: str, module: str, *, full: bool = True) -> str:
    """The adapter factory's docstring: the core's summary, what the adapter returns, then the core
    factory's documentation (``full``) or a pointer to it (the stubs, which should not copy it)."""
    core = inspect.getdoc(definition.factory) or ""
    summary, _, rest = core.partition("\n")
    adapter = (
        f"``{module}.{definition.name}(...)`` is ``lrcore.{definition.name}(...)`` bound to a "
        f":class:`{bind_name}`; level parameters may also be 0-d arrays of the framework."
    )
    if not full:
        rest = f"\nFormula, arguments and their ranges: :func:`lrcore.{definition.name}`."
    return f"{summary}\n\n{adapter}\n{rest}"


def adapter_factory(definition: Definition, bind, module: str):
    """The adapter's factory for one schedule: the core's validation, then ``bind``."""

    def factory(*args, **kwargs):
        return bind(definition.build(args, kwargs, array_levels=True))

    factory.__name__ = factory.__qualname__ = definition.name
    factory.__module__ = module
    factory.__doc__ = adapter_doc(definition, bind.__name__, module)
    factory.__signature__ = definition.signature.replace(return_annotation=bind)
    factory.__wrapped__ = definition.factory
    return factory
