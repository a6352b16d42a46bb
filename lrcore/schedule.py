"""The `Schedule` value, the registry of schedule definitions, and (de)serialization.

A schedule is a frozen value (its name and validated parameters) plus one pure function of
``(k, params, ops)`` registered under that name. Evaluating never mutates anything; backends bind the
same function to their framework's arrays.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import importlib
import inspect
import math
import numbers
import types
import typing
from typing import Any, Callable, ParamSpec

import numpy as np

from . import _array
from . import validate as check

Evaluate = Callable[[Any, dict, _array.Ops], Any]
#: A combinator's value at step 0: ``at_zero(params, ops, zeros, at_zero_of_child)`` (see :func:`register`).
AtZero = Callable[[dict, _array.Ops, Any, Callable[["Schedule"], Any]], Any]
#: A schedule's landmark steps: ``landmarks(params, end, landmarks_of)`` (see :func:`register`).
Landmarks = Callable[[dict, int, Callable[["Schedule", int], Any]], Any]
#: A schedule's bound: ``bound(params, reach) -> float`` (see :class:`Reach`).
Bound = Callable[[dict, "Reach"], float]
#: A combinator's lower bound: ``floor(params, floor_of, bound_of) -> float`` (see :func:`register`).
Floor = Callable[[dict, Callable[["Schedule"], float], Callable[["Schedule"], float]], "float | None"]
_P = ParamSpec("_P")


#: What a schedule's validation function returns: its validated parameters, by name.
Params = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Definition:
    """One schedule: its name, its validation (the author's function), and its evaluation function.

    ``validate`` takes the public parameters and returns the validated ``params`` dict; level
    parameters come back as given when they are arrays, and :meth:`build` decides whether those
    are allowed (the core refuses them, the framework adapters accept 0-d arrays and tracers).
    """

    name: str
    validate: Callable[..., Params]
    evaluate: Evaluate
    # Parameters holding a schedule ("one") or a sequence of schedules ("many").
    children: dict[str, str]
    # Its value at step 0 from its children's (a combinator), or None: evaluated at 0.
    at_zero: AtZero | None
    # Its landmark steps, or None: its whole-step parameters, or its children's landmarks.
    landmarks: Landmarks | None
    # How large its values get, from its parameters and its children's bounds (see Reach).
    bound: Bound
    # A combinator's lower bound on its values from its children's, or None (see register).
    floor: Floor | None
    # What each parameter holds, by name (see PARAMETER_KINDS).
    kinds: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def factory(self) -> Callable[..., "Schedule"]:
        """The public core factory (``lrcore.<name>``)."""
        return _FACTORIES[self.name]

    @property
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.factory)

    def build(self, args, kwargs, *, array_levels: bool = False) -> "Schedule":
        """Validate ``args``/``kwargs`` and make the schedule.

        ``array_levels=False`` (the core) refuses level parameters that are arrays;
        ``array_levels=True`` (the adapters) accepts 0-d arrays and tracers, checked as far as
        they are concrete.
        """
        params = _validated(self, self.validate(*args, **kwargs))
        check.array_levels(params, allowed=array_levels, children=self.children)
        return Schedule(self.name, params)

    def value_at_zero(self, params: dict, ops: _array.Ops, zeros, at_zero_of_child: Callable[["Schedule"], Any]):
        """The schedule's value at step 0, bit for bit its evaluation at ``zeros`` (a step array
        of zeros): its declared ``at_zero``, which reads each child's value at step 0 through
        ``at_zero_of_child(child)`` (one evaluation per nesting level), or its evaluation at 0."""
        if self.at_zero is None:
            return self.evaluate(zeros, params, ops)
        return self.at_zero(params, ops, zeros, at_zero_of_child)

    def landmark_steps(self, params: dict, end: int, landmarks_of: Callable[["Schedule", int], Any]) -> list[int]:
        """The steps in ``[0, end)`` where the schedule's curve has a corner or a jump that its
        parameters place: its declared ``landmarks``; without one, a combinator's children's
        landmarks (``landmarks_of(child, end)``, at the same steps), and a schedule's
        :func:`parameter_landmarks`."""
        if self.landmarks is not None:
            steps = self.landmarks(params, end, landmarks_of)
        elif self.children:
            steps = [q for child in _children_of(self.children, params) for q in landmarks_of(child, end)]
        else:
            steps = parameter_landmarks(params)
        return [q for q in steps if 0 <= q < end]


def _validated(definition: Definition, params) -> dict:
    """What a validation function returned, checked: a dict with one entry per parameter of its
    signature (what ``to_dict`` writes and ``from_dict`` passes back), each a value the schedule can
    own: a list becomes a tuple (a list given later changes nothing), and a dict, a set or another
    unhashable object is refused."""
    name = definition.name
    if not isinstance(params, dict):
        raise TypeError(
            f"The validation function of {name!r} must return the dict of its validated parameters. "
            f"Received: {params!r} (of type {type(params).__name__})"
        )
    expected = list(definition.kinds or inspect.signature(definition.validate).parameters)
    if set(params) != set(expected):
        raise ValueError(
            f"The validation function of {name!r} must return one entry per parameter, named as in its "
            f"signature ({', '.join(expected)}). Received keys: {', '.join(map(repr, params))}"
        )
    out = {}
    for key, value in params.items():
        if key in definition.children:  # checked by the validation (as_schedule); a list of many is kept as a tuple
            out[key] = tuple(value) if definition.children[key] == "many" and isinstance(value, list) else value
            continue
        value = _owned(value)
        if not _array.is_array(value) and not (isinstance(value, tuple) and any(map(_array.is_array, value))):
            try:
                hash(value)
            except TypeError:
                raise TypeError(
                    f"The validation function of {name!r} returned `{key}`={value!r} (of type {type(value).__name__}): "
                    "a parameter is a number, a string, None, a tuple of them or an array level."
                ) from None
        out[key] = value
    return out


def _owned(value):
    """``value`` with its lists made tuples, at every depth."""
    if isinstance(value, (list, tuple)):
        return tuple(_owned(v) for v in value)
    return value


#: Every registered schedule, in registration order (the order of ``lrcore.SCHEDULES``).
REGISTRY: dict[str, Definition] = {}
_FACTORIES: dict[str, Callable[..., "Schedule"]] = {}

#: The deepest nesting of combinators a schedule may have (a plain schedule has depth 1,
#: ``scale(constant(1.0), 2.0)`` depth 2). Evaluation, ``repr``, ``==``, pickling and
#: ``to_dict``/``from_dict`` recurse once per level, so a deeper schedule is refused at construction
#: (``ValueError`` naming the parameter that holds the too-deep child) rather than failing later with
#: a ``RecursionError`` in whatever touches it first.
MAX_DEPTH = 100


#: What a schedule's parameter holds, as generic code (the CLI, the stubs) reads it from the
#: registration: ``"schedule"`` and ``"schedules"`` (declared by ``children=``), ``"sequence"`` (a
#: parameter the validation function annotates as a sequence: ``Sequence[int]``, ``list[float]``,
#: ``tuple[float, ...]``, or one of them ``| None``) and ``"value"`` (anything else: a number, a
#: string, a flag).
PARAMETER_KINDS = ("value", "sequence", "schedule", "schedules")


def _resolved(validate: Callable, parameter: inspect.Parameter):
    """The annotation of ``parameter`` of the validation function ``validate``, evaluated where the
    function is defined (it is a string under ``from __future__ import annotations``); a string
    that does not evaluate there (a name imported inside a function) stays a string."""
    annotation = parameter.annotation
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, dict(getattr(validate, "__globals__", {})))  # noqa: S307 - the author's own annotation
    except Exception:  # noqa: BLE001 - whatever the annotation's names raise: read as text instead
        return annotation


#: The sequence types an annotation names, read from its text where it cannot be evaluated.
_SEQUENCE_NAMES = frozenset({"Sequence", "MutableSequence", "list", "tuple", "List", "Tuple"})


def _names_a_sequence(text: str) -> bool:
    """Whether the annotation text ``text`` is a sequence type (``Sequence[int]``,
    ``abc.Sequence[float] | None``, ``list``), judged by the names it is built from."""
    import ast

    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    parts = [node.left, node.right] if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) else [node]
    for part in parts:
        base = part.value if isinstance(part, ast.Subscript) else part
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
        if name in _SEQUENCE_NAMES:
            return True
    return False


def _is_sequence_type(annotation) -> bool:
    """Whether an annotation says "a sequence" (``Sequence[...]``, ``list``, ``tuple``, …, also
    in a union with ``None``); strings and bytes are not sequences of values."""
    if isinstance(annotation, str):
        return _names_a_sequence(annotation)
    origin = typing.get_origin(annotation) or annotation
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_sequence_type(a) for a in typing.get_args(annotation) if a is not type(None))
    return (
        isinstance(origin, type)
        and issubclass(origin, collections.abc.Sequence)
        and not issubclass(origin, (str, bytes, bytearray))
    )


def _parameter_kinds(validate: Callable, name: str, signature: inspect.Signature, children: dict) -> tuple[dict, inspect.Signature]:
    """Each parameter's kind (:data:`PARAMETER_KINDS`), and the signature with its annotations
    evaluated."""
    unknown = sorted(set(children) - set(signature.parameters))
    if unknown:
        raise ValueError(f"children= of {name!r} names parameters it does not have: {', '.join(unknown)}")
    kinds, parameters = {}, []
    for parameter in signature.parameters.values():
        annotation = _resolved(validate, parameter)
        parameters.append(parameter.replace(annotation=annotation))
        if parameter.name in children:
            kinds[parameter.name] = "schedule" if children[parameter.name] == "one" else "schedules"
        elif annotation is not inspect.Parameter.empty and _is_sequence_type(annotation):
            kinds[parameter.name] = "sequence"
        else:
            kinds[parameter.name] = "value"
    return kinds, signature.replace(parameters=parameters)


def register(
    evaluate: Evaluate,
    children: dict[str, str] | None = None,
    *,
    at_zero: AtZero | None = None,
    landmarks: Landmarks | None = None,
    bound: Bound | None = None,
    floor: Floor | None = None,
) -> Callable[[Callable[_P, Params]], Callable[_P, Schedule]]:
    """Register a schedule: the decorated function is named after the schedule, takes its public
    parameters, validates them (with :mod:`lrcore.validate`) and returns the ``params`` dict;
    ``evaluate(k, params, ops)`` computes its value. Returns the public factory, with the
    decorated function's signature (returning a :class:`Schedule`) and docstring.

    What generic code needs to know of the schedule is declared here, never decided by its name:

    - ``children``: the parameters holding a schedule (``"one"``) or a sequence of them (``"many"``);
    - ``at_zero(params, ops, zeros, at_zero_of_child)``: a combinator's value at step 0, bit for
      bit its evaluation there, from its children's values at step 0 (``at_zero_of_child(child)``),
      so that a warmup reads its inner schedule's first value with one evaluation per nesting
      level. Without it the schedule is evaluated at 0;
    - ``landmarks(params, end, landmarks_of)``: the steps where its curve has a corner or a jump
      (restarts, phase and cycle ends), for plots; a combinator places its children's
      (``landmarks_of(child, end)``, in the child's own steps). Without it: a combinator's
      children's landmarks at the same steps, a schedule's :func:`parameter_landmarks`.
    - ``bound(params, reach) -> float``: how large the schedule's values get (see :class:`Reach`);
      without it, a schedule's values are taken to lie between its float parameters and its
      children's values (an interpolation, a step function, a bound of a child): right for most
      schedules, while one that multiplies or divides declares its own.
    - ``floor(params, floor_of, bound_of) -> float``: a combinator's lower bound on its values,
      from its children's lower bounds (``floor_of(child)``) and bounds on their magnitude
      (``bound_of(child)``), or None where it cannot tell; it decides, for instance, whether a
      momentum schedule can go negative. Without it (or None) a combinator's values are taken to
      reach down to minus its bound; a schedule without children needs none (its values have the
      signs of its levels).

    The validation function's parameter annotations say what each parameter holds: one annotated
    as a sequence (``boundaries: Sequence[int]``) is a list on the command line, where
    ``--boundaries 10`` and ``--boundaries 10,20`` are both lists (see :data:`PARAMETER_KINDS`).

    This one registration gives the schedule its name, ``lrcore.SCHEDULES``, serialization
    (``to_dict``/``from_dict``, pickling), the CLI entry and every adapter's factory
    (``lrcore.numpy``, ``lrcore.jax``, ``lrcore.torch``, ``lrcore.tf``, ``lrcore.keras``), those
    already imported included. It is public as :func:`lrcore.register`; the guide "Schedules of
    your own" (``docs/custom.md``) writes schedules with it.

    Example:
        >>> import lrcore
        >>> def _halving(k, p, ops):
        ...     halvings = ops.tofloat(ops.floordiv(k, p["every"]))
        ...     return ops.f(p["init_value"]) * ops.power(0.5, halvings)
        >>> @lrcore.register(_halving)
        ... def halving(init_value, every):
        ...     "Halve ``init_value`` every ``every`` steps."
        ...     return {
        ...         "init_value": lrcore.validate.level("init_value", init_value),
        ...         "every": lrcore.validate.length("every", every),
        ...     }
        >>> print(float(halving(1.0, every=10)(25)))
        0.25
        >>> lrcore.from_dict({"name": "halving", "params": {"init_value": 1.0, "every": 10}}) == halving(1.0, 10)
        True
        >>> lrcore.schedule.unregister("halving")  # a doctest leaves the registry as it found it
    """

    _check_declaration(evaluate, children, at_zero=at_zero, landmarks=landmarks, bound=bound, floor=floor)

    def decorate(validate: Callable[_P, Params]) -> Callable[_P, Schedule]:
        if not callable(validate):
            raise TypeError(
                "lrcore.register(...) decorates the schedule's validation function. "
                f"Received: {validate!r} (of type {type(validate).__name__})"
            )
        name = getattr(validate, "__name__", None)
        _check_name(name, validate)
        if name in REGISTRY:
            other = REGISTRY[name].validate
            remedy = (
                "it is one of lrcore's own schedules: give yours another name" if _is_builtin(REGISTRY[name])
                else f"give yours another name, or remove that one first with lrcore.schedule.unregister({name!r})"
            )
            raise ValueError(
                f"A schedule named {name!r} is already registered (by {other.__module__}.{other.__qualname__}); {remedy}."
            )
        signature = inspect.signature(validate)
        _check_parameters(name, signature)
        child_kinds = dict(children or {})
        kinds, signature = _parameter_kinds(validate, name, signature, child_kinds)
        definition = Definition(
            name, validate, evaluate, child_kinds, at_zero, landmarks,
            bound or functools.partial(_between_levels, child_kinds), floor, kinds,
        )

        @functools.wraps(validate)
        def factory(*args: _P.args, **kwargs: _P.kwargs) -> Schedule:
            # A combinator given adapter objects (lrcore.jax.*, lrcore.keras.*, ...) returns one of
            # their kind, with their options; core schedules alone give a core schedule.
            target = composed_adapter(definition, signature, args, kwargs) if definition.children else None
            if target is None:
                return definition.build(args, kwargs)
            cls, options = target
            return cls(definition.build(args, kwargs, array_levels=True), **options)

        factory.__signature__ = signature.replace(return_annotation=Schedule)
        factory.__annotations__ = {**getattr(validate, "__annotations__", {}), "return": "Schedule"}
        REGISTRY[name] = definition
        _FACTORIES[name] = factory
        for watcher in _WATCHERS:  # the adapter modules already imported add its factory
            watcher(name, definition)
        return factory

    return decorate


#: Names a schedule cannot take: the adapter modules' own names (``lrcore.torch.scheduler``, …),
#: which a schedule's factory in those modules would replace.
RESERVED_NAMES = frozenset({
    "from_schedule", "scheduler", "ReduceLROnPlateau", "reduce_on_plateau", "ReduceOnPlateauState",
    "LrcoreScheduler", "NumpySchedule", "JaxSchedule", "TorchSchedule", "TFSchedule", "KerasSchedule",
})


def _is_builtin(definition: Definition) -> bool:
    """Whether ``definition`` is one of lrcore's own schedules (``lrcore.SCHEDULES``, the schedules
    registered when lrcore is imported)."""
    import sys

    return definition.name in getattr(sys.modules.get("lrcore"), "SCHEDULES", ())


def _check_declaration(evaluate, children, **functions) -> None:
    """The arguments of :func:`register`: callables, and ``children`` naming kinds ``"one"``/``"many"``."""
    if not callable(evaluate):
        raise TypeError(
            "Argument `evaluate` of lrcore.register must be the evaluation function `(k, params, ops)`. "
            f"Received: evaluate={evaluate!r} (of type {type(evaluate).__name__})"
        )
    for key, function in functions.items():
        if function is not None and not callable(function):
            raise TypeError(f"Argument `{key}` of lrcore.register must be a function or None. Received: {key}={function!r}")
    if children is None:
        return
    if not isinstance(children, dict) or not all(isinstance(k, str) and v in ("one", "many") for k, v in children.items()):
        raise ValueError(
            "Argument `children` of lrcore.register must map parameter names to \"one\" (a schedule) or "
            f"\"many\" (a sequence of schedules). Received: children={children!r}"
        )


def _check_name(name, validate) -> None:
    """A schedule's name (its validation function's): an identifier, public, not a keyword, not
    one of the adapter modules' own names nor a name ``from_dict`` reads as another object."""
    import keyword

    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ValueError(
            "A schedule is named after its validation function, which must have a public Python name "
            "(an identifier not starting with '_', e.g. `def my_schedule(...)`; not a lambda). "
            f"Received: a function named {name!r} ({validate!r})"
        )
    if name in RESERVED_NAMES or name in _OTHER_DICTS:
        raise ValueError(
            f"The name {name!r} is taken by lrcore ({'lrcore.<adapter>.' + name if name in RESERVED_NAMES else 'a dict lrcore.from_dict reads as another object'}); "
            f"give your schedule another name. Received: a function named {name!r}"
        )


def _check_parameters(name: str, signature: inspect.Signature) -> None:
    """Parameters that ``from_dict`` and unpickling can pass by name: no ``*args``, ``**kwargs``
    or positional-only parameters."""
    for parameter in signature.parameters.values():
        if parameter.kind not in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            raise TypeError(
                f"The validation function of {name!r} must take named parameters, which to_dict/from_dict "
                f"and pickling pass by name; `{parameter}` is {parameter.kind.description}. "
                f"Received: {name}{signature}"
            )


#: The most landmark steps taken from one repeating schedule (restarts, cycles): beyond that, a
#: plot's landmarks are sub-pixel.
MAX_LANDMARKS = 4096


def parameter_landmarks(params: dict) -> list[int]:
    """The landmarks a schedule's parameters place by themselves: every whole-step parameter (a
    length, a boundary, each of a sequence of boundaries) and the running sums of the
    whole-number parameters, in their order (phases that follow each other)."""
    points, total = [], 0
    for value in params.values():
        points += [v for v in (value if isinstance(value, tuple) else (value,)) if _whole(v)]
        if _whole(value):
            total += value
            points.append(total)
    return points


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _children_of(children: dict[str, str], params: dict) -> list:
    """The schedules held by the parameters that ``children`` declares, in order."""
    return [c for key, kind in children.items() for c in (params[key] if kind == "many" else (params[key],))]


def names() -> tuple[str, ...]:
    """Every registered schedule's name: the schedules, then the combinators (those taking schedules)."""
    return tuple(sorted(REGISTRY, key=lambda name: bool(REGISTRY[name].children)))


def unregister(name: str) -> None:
    """Remove a registered schedule (a test's temporary one, or one of your own to redefine it);
    the adapter modules drop its factory. lrcore's own schedules stay (a ``ValueError``)."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(f"Argument `name` must name a registered schedule. Received: name={name!r}")
    if _is_builtin(REGISTRY[name]):
        raise ValueError(
            f"Argument `name` names one of lrcore's own schedules, which lrcore itself builds on; "
            f"only schedules registered with lrcore.register can be removed. Received: name={name!r}"
        )
    del REGISTRY[name]
    del _FACTORIES[name]
    for watcher in _WATCHERS:
        watcher(name, None)


#: Called with ``(name, definition)`` after each registration and ``(name, None)`` after each
#: removal: the adapter modules (:func:`lrcore.backends.install`) keep their factories in step.
_WATCHERS: list[Callable[[str, "Definition | None"], None]] = []


def watch(watcher: Callable[[str, "Definition | None"], None]) -> None:
    """Call ``watcher(name, definition)`` after every later registration, ``watcher(name, None)``
    after every removal (how an adapter module offers schedules registered after its import)."""
    _WATCHERS.append(watcher)


class Schedule:
    """An immutable, hashable, picklable learning-rate schedule.

    Build one with a factory such as :func:`lrcore.cosine_decay`; evaluate it with ``schedule(step)``
    on a Python int (giving a NumPy float64) or on any array-API array (giving an array of that
    library, with the step's shape).

    Example:
        >>> import lrcore
        >>> s = lrcore.cosine_decay(init_value=1.0, decay_steps=100)
        >>> print(round(float(s(50)), 12))  # float64: within 4·2⁻⁵² of the exact 0.5
        0.5
    """

    __slots__ = ("_name", "_params", "_hash", "_depth", "_bounds", "_small", "_fits32", "__weakref__")

    def __init__(self, name: str, params: dict):
        depth = 1
        for key, value in params.items():
            children = value if isinstance(value, tuple) else (value,)
            inner = max((c._depth for c in children if isinstance(c, Schedule)), default=0)
            if inner >= MAX_DEPTH:
                raise ValueError(
                    f"Argument `{key}` nests combinators {inner + 1} deep; lrcore supports at most "
                    f"{MAX_DEPTH} levels (lrcore.schedule.MAX_DEPTH). Received: {key} of depth {inner}"
                )
            depth = max(depth, inner + 1)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_params", dict(params))
        object.__setattr__(self, "_hash", None)
        object.__setattr__(self, "_depth", depth)
        object.__setattr__(self, "_bounds", {})  # format -> (bound on its values, largest number formed)
        # Refused now if even float64 cannot hold what it computes (e.g. 1e200 * 1e200).
        largest = _reach(self, _FLOAT64)[1]
        object.__setattr__(self, "_small", largest <= _SMALL)
        try:  # what fits float32 fits float64 too: the two dtypes schedules are evaluated in
            _reach(self, _FLOAT32)
            object.__setattr__(self, "_fits32", True)
        except ValueError:
            object.__setattr__(self, "_fits32", False)

    # -- identity -----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The schedule's name, e.g. ``"cosine_restart"``."""
        return self._name

    @property
    def params(self) -> dict:
        """A copy of the validated parameters (including defaults)."""
        return dict(self._params)

    def nodes(self) -> list:
        """``(name, params)`` of this schedule and of every schedule inside it, depth first, the
        parameters as a read-only mapping. Read as ``torch.compile`` can trace it: a combinator's
        evaluation may ask what its schedules hold."""
        out = [(self._name, types.MappingProxyType(self._params))]
        for child in _children_of(REGISTRY[self._name].children, self._params):
            out.extend(child.nodes())
        return out

    def __setattr__(self, key, value):
        raise AttributeError(f"Schedule is immutable; cannot set `{key}`.")

    def __delattr__(self, key):
        raise AttributeError(f"Schedule is immutable; cannot delete `{key}`.")

    def __eq__(self, other):
        if not isinstance(other, Schedule):
            return NotImplemented
        if self is other:
            return True
        if self._name != other._name or self._params.keys() != other._params.keys():
            return False
        return all(_key(v) == _key(other._params[k]) for k, v in self._params.items())

    def __hash__(self):
        if self._hash is None:
            items = tuple(sorted((k, _key(v)) for k, v in self._params.items()))
            object.__setattr__(self, "_hash", hash((self._name, items)))
        return self._hash

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{self._name}({args})"

    def __reduce__(self):
        # Array levels (given to an adapter factory) are saved as themselves and rebuilt as such;
        # a tracer has no value to save, so saving refuses at once, naming the parameter.
        for key, value in self._params.items():
            for v in value if isinstance(value, tuple) else (value,):
                if _array.is_array(v) and _concrete(v) is None:
                    raise TypeError(
                        f"Parameter `{key}` of {self._name!r} holds a traced value "
                        f"({type(v).__name__}), which cannot be saved; build the schedule outside "
                        f"the traced function (jit/vmap/grad) to pickle it. Received: {key}={v!r}"
                    )
        # The module that registers it, so that unpickling in another process (a DataLoader
        # worker, a checkpoint loaded later) registers a schedule of one's own by importing it.
        return (_rebuild, (self._name, self._params, REGISTRY[self._name].validate.__module__))

    # -- arithmetic ---------------------------------------------------------------------------
    # NumPy defers every operator to these methods: an array operand is refused (TypeError), not
    # broadcast into an array of schedules; NumPy scalars are numbers here.
    __array_ufunc__ = None

    # The combinators are looked up by name: that module builds on this one, not the other way round.
    def __mul__(self, other):
        """``schedule * number`` is :func:`lrcore.scale`; ``a * b`` of two schedules is
        :func:`lrcore.multiply` ``([a, b])``. Times an adapter object (``lrcore.jax.*``, …) the
        product is an object of that adapter (the adapter's ``__rmul__``)."""
        if isinstance(other, Schedule):
            return REGISTRY["multiply"].factory([self, other])
        if not isinstance(other, numbers.Real):
            return NotImplemented
        return REGISTRY["scale"].factory(self, other)

    def __rmul__(self, other):
        # Only numbers reach here (Schedule * Schedule is handled by __mul__): factor * schedule.
        if isinstance(other, Schedule) or not isinstance(other, numbers.Real):
            return NotImplemented
        return REGISTRY["scale"].factory(self, other)

    def __add__(self, other):
        """``a + b`` of two schedules is :func:`lrcore.add` ``([a, b])``; ``schedule + number`` is
        ``add([schedule, constant(number)])``. With an adapter object (``lrcore.jax.*``, …) the sum
        is an object of that adapter (the adapter's ``__radd__``)."""
        if not (isinstance(other, Schedule) or is_number(other)):
            return NotImplemented
        return sum_of(self, other)

    def __radd__(self, other):
        # Only numbers reach here: number + schedule is add([constant(number), schedule]).
        if not is_number(other):
            return NotImplemented
        return sum_of(other, self)

    def __neg__(self):
        """``-schedule`` is :func:`lrcore.scale` ``(schedule, -1.0)``."""
        return REGISTRY["scale"].factory(self, -1.0)

    def __sub__(self, other):
        """``a - b`` is ``add([a, -b])``; ``schedule - number`` is ``add([schedule, constant(-number)])``."""
        if not (isinstance(other, Schedule) or is_number(other)):
            return NotImplemented
        return sum_of(self, other, subtract=True)

    def __rsub__(self, other):
        # number - schedule is add([constant(number), -schedule]).
        if not is_number(other):
            return NotImplemented
        return sum_of(other, self, subtract=True)

    # -- evaluation ---------------------------------------------------------------------------
    def __call__(self, step):
        """The learning rate at ``step`` (the number of updates already applied)."""
        return self.evaluate(step)

    def evaluate(self, step, *, xp=None, dtype=None):
        """Like ``schedule(step)``, with the namespace ``xp`` and float ``dtype`` chosen explicitly.

        The adapters use this: ``lrcore.jax`` asks for float32 from int32 counts, for instance.
        ``dtype`` must be a real floating dtype of ``xp`` (a ``TypeError`` otherwise).
        """
        k, ops, scalar, nan = _array.prepare(step, xp=xp, float_dtype=dtype)
        self._check_levels(ops.xp, ops.float)
        if float(ops.xp.finfo(ops.float).eps) > 2.0**-23:
            # float16 and bfloat16 hold neither long phases (65504 at most, whole steps to 2048 or
            # 256) nor the ratios formed: computed in float32, the result rounded once.
            wide = type(ops)(ops.xp, ops.int, ops.xp.float32, ops.device)
            out = wide.run(self.evaluate_with, k)
            # A growth is held at the narrow dtype's largest value, as at float32's (every other
            # value fits it: _check_levels).
            top = wide.f(float(ops.xp.finfo(ops.float).max))
            out = ops.xp.astype(ops.xp.minimum(ops.xp.maximum(out, -top), top), ops.float)
            return _array.finish(out, scalar, nan, ops)
        return _array.finish(ops.run(self.evaluate_with, k), scalar, nan, ops)

    def _check_levels(self, xp, dtype):
        """Refuse a schedule that computes a number ``dtype`` cannot hold: it would become inf (and
        NaN after). See :class:`Reach`."""
        if self._small:  # every number it forms fits every float format (the common case)
            return
        if self._fits32 and dtype in (xp.float32, xp.float64):  # decided when it was built
            return
        info = xp.finfo(dtype)
        name = str(getattr(dtype, "__name__", None) or getattr(dtype, "name", None) or str(dtype)).rsplit(".", 1)[-1]
        if float(info.eps) > 2.0**-23:
            # float16 and bfloat16 results are computed in float32 and rounded once (evaluate): the
            # numbers formed on the way need only fit float32, the values the narrow dtype.
            try:
                check_levels_fit(self, float(info.max), name, eps=float(info.eps))
            except ValueError:
                bound = _reach(self, _FLOAT32)[0]
                if not bound < Reach(float(info.max), float(info.eps), name)._inf:
                    raise  # its values pass the narrow dtype: the message names what makes them
            return
        check_levels_fit(self, float(info.max), name, eps=float(info.eps))

    # -- the evaluation protocol (a combinator's evaluation function evaluates its children) ----------
    def evaluate_with(self, k, ops: _array.Ops):
        """The schedule's values at the step array ``k``, in the operations ``ops``.

        This is how an evaluation function evaluates a schedule it was given (a combinator's
        children): ``k`` is an integer step array already clamped to ``0 <= k <= ops.max_step``
        (the ``k`` the evaluation function received, or one made from it with ``ops``, such as
        ``ops.since(k, b)``), and the result is a float array of ``ops.float`` with ``k``'s shape.
        It runs wherever the caller runs: eagerly, under ``jax.jit``,
        ``torch.compile(fullgraph=True)`` and ``tf.function``. To evaluate a schedule yourself,
        call it (``schedule(step)``) or use :meth:`evaluate`.
        """
        return REGISTRY[self._name].evaluate(k, self._params, ops)

    def value_at_zero(self, zeros, ops: _array.Ops):
        """``self.evaluate_with(zeros, ops)`` bit for bit, for ``zeros`` a step array of zeros,
        with one evaluation per nesting level.

        A combinator that needs its child's first value besides its value at ``k`` (a warmup ramps
        to it) reads it here: each combinator on the way gives its value at step 0 from its
        children's, as its registration declares (``at_zero``), so nested warmups cost one
        evaluation per level rather than ``2**depth``.
        """
        # Read through this method's own `self` (under torch.compile, Dynamo cannot use the
        # result of the `name` property as a dict key).
        return REGISTRY[self._name].value_at_zero(
            self._params, ops, zeros, lambda child: child.value_at_zero(zeros, ops)
        )

    # -- serialization ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """``{"name": ..., "params": {...}}``, JSON-safe and nested for combinators."""
        children = REGISTRY[self._name].children
        params = {}
        for key, value in self._params.items():
            if children.get(key) == "one":
                params[key] = value.to_dict()
            elif children.get(key) == "many":
                params[key] = [s.to_dict() for s in value]
            else:
                params[key] = _json_value(key, value)
        return {"name": self._name, "params": params}


# -- how large a schedule's values get -------------------------------------------------------------
class Reach:
    """How large the numbers a schedule's evaluation forms can get, in one float format.

    Every registered schedule has a bound, ``bound(params, reach) -> float``: an upper bound on the
    magnitude of its values at every step, computed from its parameters and its children's bounds
    through this object. Each number the evaluation forms on the way goes through one of these
    methods, which refuses one beyond the format's largest finite value (a ``ValueError`` naming the
    parameter and the dtype): it would be an inf, and a NaN after. So no finite parameters give an
    inf or a NaN: the values are the exact ones (to the dtype), or the schedule is refused.

    - :meth:`level`: a level of the curve (a value it interpolates, holds or starts from);
    - :meth:`constant`: any other number cast to the float dtype (a rate, an exponent, a factor);
    - :meth:`derived`: a number the evaluation computes from its parameters (a product, a
      quotient), with room for its rounding;
    - :meth:`lerp`: the larger of levels interpolated between (rounding can pass the larger);
    - :meth:`child`: a child schedule's bound (checked inside the child);
    - :meth:`held`: a value the schedule holds at the format's largest finite value instead of
      overflowing (an exponential growth).

    Levels that are tracers have no value yet and count as 0.
    """

    __slots__ = ("limit", "eps", "dtype", "largest", "_where", "_levels", "_inf")

    def __init__(self, limit: float, eps: float, dtype: str):
        self.limit, self.eps, self.dtype = limit, eps, dtype
        # Rounding to nearest makes inf of the largest finite value plus half its ulp and more (a
        # float64 that rounds to float32's largest value is a float32 level, not an overflow).
        # float64's own threshold is past every float64: any finite float64 fits.
        self._inf = limit + eps * 2.0 ** (math.frexp(limit)[1] - 2)
        self.largest = 0.0  # the largest number checked so far
        self._where = None  # the schedule being walked, for messages
        self._levels = None  # names passed to level() (level_names)

    @property
    def format(self) -> tuple:
        return (self.limit, self.eps, self.dtype)

    def _check(self, magnitude: float, name: str, value, what: str, exact: float | None = None, shown=None) -> float:
        """``magnitude`` (of ``value``, named ``name``), refused beyond the format; ``shown`` is the
        signed number the message gives where ``what`` says the value *is* it."""
        if not magnitude < self._inf:  # NaN (0 · inf on the host) is refused too
            size = repr(magnitude) if exact is None else f"{exact!r} ({magnitude!r} with room for its rounding)"
            if shown is not None:
                size = repr(float(shown))
            raise ValueError(
                f"Argument `{name}` of {self._where} {what} {size}, beyond the largest "
                f"{self.dtype} ({self.limit!r}) it is evaluated in: it would give inf. Use a smaller "
                f"value or a wider float dtype. Received: {name}={value!r}"
            )
        self.largest = max(self.largest, magnitude)
        return magnitude

    def level(self, name: str, value) -> float:
        """``|value|`` of a level (0 for None or a tracer), refused beyond the format."""
        if self._levels is not None:
            self._levels.add(name)
        x = check.concrete(value)
        return 0.0 if x is None else self._check(abs(x), name, value, "is", shown=x)

    def levels(self, name: str, values) -> float:
        """The largest ``|value|`` of a sequence of levels (``name[i]`` in messages)."""
        return max((self.level(f"{name}[{i}]", v) for i, v in enumerate(values)), default=0.0)

    def constant(self, name: str, value) -> float:
        """``|value|`` of a number (not a level) cast to the float dtype, refused beyond the format."""
        x = check.concrete(value)
        return 0.0 if x is None else self._check(abs(x), name, value, "is", shown=x)

    def derived(self, name: str, value, magnitude: float, what: str) -> float:
        """A number the evaluation computes from ``name`` (``what`` says how), with room for its
        rounding, refused beyond the format."""
        room = magnitude * (1.0 + 4.0 * self.eps)
        return self._check(room, name, value, f"makes it compute {what} =", None if room == magnitude else magnitude)

    def lerp(self, params: dict, *names: str) -> float:
        """The larger ``|level|`` of ``params[name]`` for ``names``, interpolated between: with
        room for the rounding of the weights, which can give one end times ``1 + eps``."""
        sizes = [(self.level(n, params[n]), n) for n in names if params[n] is not None]
        if not sizes:
            return 0.0
        m, n = max(sizes, key=lambda size: size[0])  # a tie names the first (a default copied from it names it)
        if m == 0.0:
            return 0.0
        return self._check(
            m * (1.0 + 4.0 * self.eps), n, params[n],
            "is too close to the largest float: interpolating to it can round to",
        )

    def product_of_held(self, name: str, value, held: float, other: float) -> None:
        """Refuse a product of a bound ``held`` at the format's largest value (a growth held there,
        or a level there) with a factor of bound ``other`` other than 0 or 1: the exact values pass
        the format, and the product would hold ``other`` times the largest value, not the largest
        value (a factor above 1 passes the format, and is refused as any such product is)."""
        if held >= self.limit and other not in (0.0, 1.0) and other * held < self._inf:
            raise ValueError(
                f"Argument `{name}` of {self._where} multiplies a schedule held at the largest {self.dtype} "
                f"({self.limit!r}: a growth without an end_value ceiling, or a level there) by a factor of "
                f"up to {other!r}: its exact values pass {self.dtype}, so the product would be held at "
                f"another value than theirs. Give the growth an end_value (a ceiling), or clip it. "
                f"Received: {name}={value!r}"
            )

    def child(self, schedule: "Schedule") -> float:
        """The bound of a child schedule in this format (its own numbers checked)."""
        bound, largest = _reach(schedule, self.format)
        self.largest = max(self.largest, largest)
        return bound

    def held(self, magnitude: float) -> float:
        """A value held at the format's largest finite value where it would pass it."""
        return min(magnitude, self.limit)


def _between_levels(children: dict, params: dict, reach: Reach) -> float:
    """The bound of a schedule that declares none: its values lie between its float parameters
    (numbers, arrays, and sequences of them: its levels) and its children's values."""
    bound = 0.0
    for key, value in params.items():
        kind = children.get(key)
        if kind == "one":
            bound = max(bound, reach.child(value))
        elif kind == "many":
            bound = max([bound, *(reach.child(c) for c in value)])
        elif isinstance(value, tuple):
            items = [v for v in value if isinstance(v, float) or _array.is_array(v)]
            if len(items) == len(value):
                bound = max(bound, reach.levels(key, value))
        elif isinstance(value, float) or _array.is_array(value):
            bound = max(bound, reach.level(key, value))
    return bound


def _reach(schedule: "Schedule", fmt: tuple) -> tuple[float, float]:
    """``(bound on |values|, largest number formed)`` of ``schedule`` in the float format ``fmt``
    (``(largest finite value, eps, name)``), cached per format; raises where it does not fit."""
    cached = schedule._bounds.get(fmt)
    if cached is None:
        reach = Reach(*fmt)
        reach._where = schedule._name
        bound = REGISTRY[schedule._name].bound(schedule._params, reach)
        if not bound < reach._inf:  # a bound function that returns what it did not check
            raise ValueError(
                f"{schedule!r} reaches {bound!r}, beyond the largest {reach.dtype} ({reach.limit!r}) "
                "it is evaluated in: it would give inf. Use smaller values or a wider float dtype."
            )
        cached = (bound, max(reach.largest, bound))
        schedule._bounds[fmt] = cached
    return cached


_FLOAT64 = (float(np.finfo(np.float64).max), float(np.finfo(np.float64).eps), "float64")
_FLOAT32 = (float(np.finfo(np.float32).max), float(np.finfo(np.float32).eps), "float32")
#: A schedule whose numbers all stay below this fits every float format (float16 holds 65504).
_SMALL = 2.0**15


def check_levels_fit(schedule: "Schedule", limit: float, dtype_name: str, eps: float | None = None) -> None:
    """Raise a ``ValueError`` naming the parameter of ``schedule`` that makes it compute a number
    beyond ``limit`` (the largest finite value of the float dtype ``dtype_name``, whose machine
    epsilon is ``eps``: float32's when not given). See :class:`Reach`."""
    _reach(schedule, (float(limit), float(np.finfo(np.float32).eps) if eps is None else float(eps), dtype_name))


def value_bound(schedule: "Schedule") -> float:
    """An upper bound on ``|schedule(k)|`` over every step (in float64), from its registered bound."""
    return _reach(schedule, _FLOAT64)[0]


class _Signs(Reach):
    """A walk of one schedule's own bound that also keeps its levels and constants with their signs."""

    __slots__ = ("signed_levels", "signed_constants")

    def __init__(self):
        super().__init__(*_FLOAT64)
        self.signed_levels, self.signed_constants = [], []

    def level(self, name: str, value) -> float:
        x = check.concrete(value)
        if x is not None:
            self.signed_levels.append(float(x))
        return super().level(name, value)

    def constant(self, name: str, value) -> float:
        x = check.concrete(value)
        if x is not None:
            self.signed_constants.append(float(x))
        return super().constant(name, value)


def value_floor(schedule: "Schedule") -> float:
    """A lower bound on ``schedule(k)`` over every step (in float64), from the same walk as
    :func:`value_bound`: a schedule's values have the signs of its levels, so one whose levels are
    all >= 0 stays >= 0, and one with a negative level reaches down to it, or to ``-value_bound``
    where that bound passes the levels (a growing restart, a derived level). A combinator's comes from its registered ``floor`` (a sum,
    a product, a factor's sign, a clip, a warmup's initial value, noise's ``1 ± pct``); one that
    declares none (a user's) gives ``-value_bound(schedule)``. A schedule holding a traced level
    (a JAX tracer: no value yet, of either sign) anywhere gives ``-inf``."""
    if _holds_a_tracer(schedule):
        return -math.inf
    definition, p = REGISTRY[schedule.name], schedule.params
    floor = definition.floor(p, value_floor, value_bound) if definition.floor is not None else None
    if floor is not None:
        return float(floor)
    if definition.children:
        return -value_bound(schedule)
    walk = _Signs()
    walk._where = definition.name
    definition.bound(p, walk)
    known = walk.signed_levels or walk.signed_constants
    if not known:
        return -value_bound(schedule)
    if min(known) >= 0.0:
        return 0.0  # a growth or a derived level keeps its levels' sign
    # A negative level. Where the bound is the levels' own (the values lie between them, or move
    # toward 0), they reach down to the lowest; where it is larger, they grow past the levels (a
    # restart's peak_mul > 1) or derive larger ones (onecycle's peak/div_factor, div_factor < 1),
    # and only |value| <= bound holds (min(0, levels) let clip(add(...)) on top claim values >= 0).
    bound = value_bound(schedule)
    if bound <= max(abs(x) for x in known) * (1.0 + 2.0**-40):
        return min(0.0, *known)
    return -bound


def _holds_a_tracer(schedule: "Schedule") -> bool:
    """Whether a level of ``schedule`` or of a schedule in it is an array with no value yet (a tracer)."""
    children = REGISTRY[schedule.name].children
    for key, value in schedule.params.items():
        kind = children.get(key)
        if kind is not None:
            if any(_holds_a_tracer(c) for c in ((value,) if kind == "one" else value)):
                return True
        elif any(_array.is_array(v) and _array.concrete(v) is None
                 for v in (value if isinstance(value, (list, tuple)) else (value,))):
            return True  # a level, or one of a list of levels (piecewise values)
    return False


def level_names(schedule: "Schedule") -> frozenset[str]:
    """The names of ``schedule``'s level parameters (not its children's): those its bound reads
    with :meth:`Reach.level` (the values of the curve, which scale with it)."""
    reach = Reach(*_FLOAT64)  # a built schedule fits float64: this walk refuses nothing
    reach._where, reach._levels = schedule._name, set()
    REGISTRY[schedule._name].bound(schedule._params, reach)
    return frozenset(name.split("[", 1)[0] for name in reach._levels)


def is_number(value) -> bool:
    """A number an operator adds to a schedule: a real number, not a bool (``s + True`` is a
    ``TypeError``, as ``s * True`` is)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_, np.timedelta64))


def sum_of(left, right, *, subtract: bool = False):
    """``left + right`` (or ``left - right``) as :func:`lrcore.add` of two terms, each a schedule
    (core or adapter object) or a number (a :func:`lrcore.constant`); a subtracted schedule is
    ``scale(right, -1.0)``, a subtracted number its negative (exact). The operators of
    :class:`Schedule` and of the adapter objects build their sums here."""

    def term(value, negate: bool):
        if is_number(value):
            if negate:  # an unsigned NumPy integer would wrap around: negate its exact int
                value = -(int(value) if isinstance(value, numbers.Integral) else value)
            return REGISTRY["constant"].factory(value)
        return REGISTRY["scale"].factory(value, -1.0) if negate else value

    return REGISTRY["add"].factory([term(left, False), term(right, subtract)])


def _json_value(key, value):
    if isinstance(value, tuple):
        return [_json_value(key, v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"Parameter `{key}` holds an array ({type(value).__name__}), which cannot be serialized; "
        "build the schedule with plain numbers to serialize it."
    )


_concrete = _array.concrete


def _key(value):
    """What a parameter is compared and hashed by: itself, or for an array level its library, dtype
    and exact value (:func:`lrcore._array.array_key`), so that ``==`` agrees with the hash and with
    the values (a float32 ``0.1`` is not the float ``0.1``)."""
    if isinstance(value, tuple):
        return tuple(_key(v) for v in value)
    if _array.is_array(value):
        return _array.array_key(value)
    return value


def _rebuild(name, params, module=None):
    """Unpickling: the factory again, with the saved parameters (array levels included). A name
    not registered yet is registered by importing ``module``, the module that registered it."""
    problem = None
    if name not in REGISTRY and module not in (None, "__main__", "__mp_main__"):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            problem = f"; importing it failed: {exc}"
    if name not in REGISTRY:
        raise ValueError(
            f"Unknown schedule name {name!r}: it was registered by the module {module!r}, which must be "
            f"importable (or imported) where the pickle is loaded{problem or ''}. Known: {', '.join(sorted(REGISTRY))}"
        )
    definition = REGISTRY[name]
    parameters = definition.signature.parameters
    extra = sorted(map(str, set(params) - set(parameters)))
    missing = [p.name for p in parameters.values() if p.default is inspect.Parameter.empty and p.name not in params]
    if extra or missing:
        validate = definition.validate
        raise ValueError(
            f"The pickled schedule {name!r} does not match the registration of {name!r} here "
            f"({validate.__module__}.{validate.__qualname__}{definition.signature.replace(return_annotation=inspect.Signature.empty)}): it was saved with another "
            f"definition. Unknown parameter(s): {', '.join(extra) or 'none'}; missing: {', '.join(missing) or 'none'}. "
            f"Received: params={params!r}"
        )
    return definition.build((), params, array_levels=True)


def as_schedule(name: str, value) -> Schedule:
    """Accept a core Schedule, or an adapter object wrapping one (it has a ``.schedule``)."""
    if isinstance(value, Schedule):
        return value
    inner = getattr(value, "schedule", None)
    if isinstance(inner, Schedule):
        return inner
    raise TypeError(
        f"Argument `{name}` must be an lrcore schedule. Received: {name}={value!r} "
        f"(of type {type(value).__name__})"
    )


def is_adapter(value) -> bool:
    """Whether ``value`` is an adapter object: it wraps a core schedule (``.schedule``) and says
    which options a composition of it keeps (``compose_options()``, see :mod:`lrcore.backends`)."""
    return (
        not isinstance(value, Schedule)
        and callable(getattr(type(value), "compose_options", None))
        and isinstance(getattr(value, "schedule", None), Schedule)
    )


def composed_adapter(definition: Definition, signature: inspect.Signature, args, kwargs, *, only=None):
    """``(adapter class, options)`` for a combinator call given adapter objects, or ``None``.

    The schedules are found through the definition's ``children`` (its schedule parameters). Core
    schedules mix with adapter objects of any one kind (the result is of that kind); two kinds
    (e.g. a ``TorchSchedule`` and a ``JaxSchedule``) raise a ``TypeError``, and two objects of one
    kind with different options (e.g. ``dtype``) a ``ValueError``. ``only``: consider the adapter
    objects of this class alone (an adapter's own factory, whose kind is given).
    """
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None  # a call the validation refuses, with its own message
    found = []
    for key, kind in definition.children.items():
        if key not in bound.arguments:
            continue
        value = bound.arguments[key]
        if kind == "one":
            items = [(key, value)]
        elif isinstance(value, (list, tuple)):  # anything else: the validation refuses it
            items = [(f"{key}[{i}]", v) for i, v in enumerate(value)]
        else:
            items = []
        found += [(name, v) for name, v in items if is_adapter(v) and (only is None or type(v) is only)]
    if not found:
        return None
    (first, a), cls = found[0], type(found[0][1])
    for name, b in found[1:]:
        if type(b) is not cls:
            raise TypeError(
                f"Arguments `{first}` and `{name}` are schedules of different adapters ({cls.__name__} and "
                f"{type(b).__name__}): a combinator of adapter objects returns their adapter, which "
                f"is ambiguous here. Bind every schedule to the one framework you train with, e.g. "
                f"{_from_schedule_name(cls)}(s), or combine core schedules (lrcore.<name>(...)) "
                f"and bind the result once. Received: {first}={a!r}, {name}={b!r}"
            )
    options = a.compose_options()
    for name, b in found[1:]:
        theirs = b.compose_options()
        if theirs != options:
            ours_text = ", ".join(f"{k}={v}" for k, v in options.items())
            theirs_text = ", ".join(f"{k}={v}" for k, v in theirs.items())
            raise ValueError(
                f"Arguments `{first}` and `{name}` are {cls.__name__} objects with different options "
                f"({ours_text} and {theirs_text}); the combined schedule can have only one. Bind them "
                f"alike, e.g. {_from_schedule_name(cls)}(s, {ours_text}). Received: {first}={a!r} "
                f"({ours_text}), {name}={b!r} ({theirs_text})"
            )
    return cls, options


def _from_schedule_name(cls) -> str:
    """``lrcore.<adapter>.from_schedule``, for messages."""
    return f"{getattr(cls, 'public_module', cls.__module__)}.from_schedule"


#: Names written by ``to_dict`` of lrcore objects that are not schedules, each with what it is and
#: what rebuilds it (:func:`register_other_dict`).
_OTHER_DICTS: dict[str, tuple[str, str]] = {}


def register_other_dict(name: str, what: str, rebuilt_by: str) -> None:
    """Declare that ``{"name": name, ...}`` is the ``to_dict`` output of an lrcore object that is not
    a schedule (``what``): :func:`from_dict` refuses it with a ``ValueError`` naming ``rebuilt_by``,
    the function that rebuilds it."""
    _OTHER_DICTS[name] = (what, rebuilt_by)


def from_dict(d: dict) -> Schedule:
    """Rebuild a schedule from :meth:`Schedule.to_dict` output.

    Parameters left out take their defaults; unknown names, unknown parameters and missing
    required parameters raise an error naming them. A reduce-on-plateau rule's dict is not a
    schedule: :meth:`lrcore.Plateau.from_dict` rebuilds it.

    Example:
        >>> import lrcore
        >>> s = lrcore.warmup(lrcore.constant(0.1), warmup_steps=10)
        >>> lrcore.from_dict(s.to_dict()) == s
        True
    """
    return _from_dict(d, 1)


def _from_dict(d, depth: int) -> Schedule:
    if not isinstance(d, dict):
        raise TypeError(f"from_dict expects a dict. Received: {type(d).__name__}")
    if depth > MAX_DEPTH:  # refused before recursing further (the dict may be arbitrarily deep)
        raise ValueError(f"The schedule dict nests combinators more than {MAX_DEPTH} deep (lrcore.schedule.MAX_DEPTH).")
    unknown = set(d) - {"name", "params"}
    if unknown or "name" not in d:
        raise ValueError(
            f"A schedule dict has the keys 'name' and 'params'. Received keys: {sorted(d)}"
        )
    name, params = d["name"], d.get("params", {})
    if not isinstance(name, str):
        raise TypeError(f"'name' of a schedule dict must be a str. Received: name={name!r}")
    if name in _OTHER_DICTS:
        what, rebuilt_by = _OTHER_DICTS[name]
        raise ValueError(
            f"{name!r} is not a schedule: it is {what}. Rebuild it with {rebuilt_by}(d). Received: name={name!r}"
        )
    if name not in REGISTRY:
        raise ValueError(f"Unknown schedule name {name!r}. Known: {', '.join(sorted(REGISTRY))}")
    if not isinstance(params, dict):
        raise TypeError(f"'params' of {name!r} must be a dict. Received: {type(params).__name__}")
    definition = REGISTRY[name]
    signature = definition.signature
    extra = sorted(map(str, set(params) - set(signature.parameters)))
    if extra:
        raise ValueError(f"Unknown parameter(s) for {name!r}: {', '.join(extra)}")
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty and p.name not in params
    ]
    if missing:
        raise ValueError(f"Missing parameter(s) for {name!r}: {', '.join(missing)}")
    kwargs = {}
    for key, value in params.items():
        kind = definition.children.get(key)
        if kind == "one":
            kwargs[key] = _from_dict(value, depth + 1) if isinstance(value, dict) else value
        elif kind == "many" and isinstance(value, list):
            kwargs[key] = [_from_dict(v, depth + 1) if isinstance(v, dict) else v for v in value]
        else:
            kwargs[key] = value
    return definition.factory(**kwargs)
