"""Framework adapters. Each binds the core schedules to one framework; none re-implements math.

An adapter is a small class wrapping a :class:`lrcore.Schedule` (``NumpySchedule``,
``JaxSchedule``, …). ``install`` gives the public adapter module (``lrcore.jax`` …) one factory per
registered schedule, with the core factory's parameters, the adapter's return type and docs: it
validates through the core's registration, allowing 0-d array and tracer level parameters, and
wraps the resulting schedule with the adapter class.

Adapter objects compose like core schedules, keeping their adapter: ``jax_a * 0.5``,
``jax_a * jax_b`` and ``lrcore.multiply([keras_a, keras_b])`` (every combinator) return an object of
the same adapter with the same options (:class:`Composable`).

The static view of the same factories (for editors and type checkers) is in the generated stubs
``lrcore/<adapter>.pyi``, written by ``python -m lrcore._stubs`` from :data:`ADAPTERS` and kept
true by ``tests/test_stubs.py``.
"""

from __future__ import annotations

import inspect
import numbers

from ..schedule import REGISTRY, Definition, Schedule, as_schedule, composed_adapter, is_adapter, is_number, names, sum_of, watch

#: The public adapter modules (``lrcore.<name>``) and the class each one's factories return.
ADAPTERS = {
    "numpy": "NumpySchedule",
    "jax": "JaxSchedule",
    "torch": "TorchSchedule",
    "tf": "TFSchedule",
    "keras": "KerasSchedule",
}


class Composable:
    """What makes an adapter class composable: ``*``, ``+``, ``-`` and the combinators keep the adapter.

    ``a * b`` (``a`` or ``b`` an adapter object, the other an adapter object of the same kind or a
    core :class:`lrcore.Schedule`) is :func:`lrcore.multiply` ``([a, b])``; ``a * c`` and ``c * a``
    with a number ``c`` are :func:`lrcore.scale` ``(a, c)``; ``a + b``, ``a - b``, ``a + c``,
    ``c - a`` and ``-a`` are :func:`lrcore.add` of the same terms as for core schedules. The core combinators, given adapter
    objects, return an object of their adapter class built with ``cls(schedule, **options)``, the
    options being :meth:`compose_options`; adapter objects of two kinds are refused
    (``TypeError``), as are objects of one kind with different options (``ValueError``).
    """

    __slots__ = ()
    #: NumPy defers every operator to these methods (an array operand is refused, not broadcast
    #: into an array of schedules).
    __array_ufunc__ = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The public module whose `from_schedule` binds to this class (for error messages).
        module = next((m for m, name in ADAPTERS.items() if name == cls.__name__), None)
        cls.public_module = f"lrcore.{module}" if module else cls.__module__

    def compose_options(self) -> dict:
        """The constructor options a composition of this object keeps (none by default)."""
        return {}

    def __eq__(self, other):
        """Equal to an object of the same adapter class holding an equal schedule with the same
        options (a dtype), as core schedules compare by value."""
        if type(other) is not type(self):
            return NotImplemented
        return (self.schedule, self.compose_options()) == (other.schedule, other.compose_options())

    def __hash__(self):
        return hash((type(self).__name__, self.schedule))

    def __mul__(self, other):
        if isinstance(other, Schedule) or is_adapter(other):
            return REGISTRY["multiply"].factory([self, other])
        if isinstance(other, numbers.Real):
            return REGISTRY["scale"].factory(self, other)
        return NotImplemented

    def __rmul__(self, other):
        # `core_schedule * adapter` (Schedule.__mul__ declines adapters) or `number * adapter`.
        if isinstance(other, Schedule) or is_adapter(other):
            return REGISTRY["multiply"].factory([other, self])
        if isinstance(other, numbers.Real):
            return REGISTRY["scale"].factory(self, other)
        return NotImplemented

    # `+` and `-` as the core's (lrcore.schedule.sum_of): a number is a `constant`, `-a` a scale.
    def __add__(self, other):
        if isinstance(other, Schedule) or is_adapter(other) or is_number(other):
            return sum_of(self, other)
        return NotImplemented

    def __radd__(self, other):
        # `core_schedule + adapter` (Schedule.__add__ declines adapters) or `number + adapter`.
        if isinstance(other, Schedule) or is_adapter(other) or is_number(other):
            return sum_of(other, self)
        return NotImplemented

    def __neg__(self):
        return REGISTRY["scale"].factory(self, -1.0)

    def __sub__(self, other):
        if isinstance(other, Schedule) or is_adapter(other) or is_number(other):
            return sum_of(self, other, subtract=True)
        return NotImplemented

    def __rsub__(self, other):
        if isinstance(other, Schedule) or is_adapter(other) or is_number(other):
            return sum_of(other, self, subtract=True)
        return NotImplemented


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

    def keep_in_step(name: str, definition: Definition | None) -> None:
        """A schedule registered (or removed) after this module's import: its factory and its
        entry in ``__all__`` (before ``from_schedule``, as :func:`names` orders them)."""
        exported = namespace.get("__all__")
        if definition is None:
            namespace.pop(name, None)
            if exported is not None and name in exported:
                exported.remove(name)
            return
        namespace[name] = adapter_factory(definition, bind, module)
        if exported is not None and name not in exported:
            exported.insert(exported.index("from_schedule"), name)

    watch(keep_in_step)
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

    signature = definition.signature

    def factory(*args, **kwargs):
        # Objects of this adapter among the schedules given to a combinator: their options
        # (e.g. lrcore.jax's dtype) are kept. Other adapters' objects are rebound to this one.
        own = composed_adapter(definition, signature, args, kwargs, only=bind) if definition.children else None
        options = own[1] if own is not None else {}
        return bind(definition.build(args, kwargs, array_levels=True), **options)

    factory.__name__ = factory.__qualname__ = definition.name
    factory.__module__ = module
    factory.__doc__ = adapter_doc(definition, bind.__name__, module)
    factory.__signature__ = definition.signature.replace(return_annotation=bind)
    factory.__wrapped__ = definition.factory
    return factory
