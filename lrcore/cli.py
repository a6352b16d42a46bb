"""The ``lrcore`` command line: plot and tabulate schedules, run the demo.

    lrcore plot cosine_restart --peak-value 1e-3 --first-period 300 --period-mul 1.25 --steps 2000 -o lr.png
    lrcore plot --spec examples/schedules.json --log -o lr.png
    lrcore table exponential_decay --init-value 0.1 --decay-steps 100 --decay-rate 0.5 --at 0,100,1000
    lrcore table --import mypkg.schedules my_schedule --lr 0.1 --at 0,10,100
    lrcore demo --quick -o demo.png

``--import MODULE`` imports a module that registers schedules of one's own (:func:`lrcore.register`)
first, so that they are listed, parsed and evaluated like the built-in ones.
``lrcore plot --help`` and ``lrcore table --help`` give the parameter syntax (values, JSON for the
combinators' schedule parameters, values starting with ``-``, repeated ``--at``, spec files and
their size limit) and every registered schedule with its parameters.

Errors (unknown schedule or parameter, a bad value, an option given twice, unreadable, oversized or
invalid spec files, an output path that cannot be written) print one line ``lrcore: error: ...`` and
exit with status 2.
``lrcore demo`` exits with status 1 when a framework applied a learning rate outside lrcore's
precision promise (its verdict says FAIL), and with 2 when a requested framework is not installed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

__all__ = ["main", "parse_list", "parse_value"]

# ASCII digits only (as JSON and docs/cli.md write numbers): Python's int() and float() would also
# read other scripts' digits ("٣" as 3).
_INT = re.compile(r"[+-]?\d+\Z", re.ASCII)
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z|[+-]?(inf|nan)\Z", re.IGNORECASE | re.ASCII)

#: The most bytes read from one spec file: a spec is a few schedules (a piecewise schedule with a
#: million boundaries is about 10 MB); reading ``/dev/zero`` or an endless pipe stops here.
_SPEC_MAX_BYTES = 16 * 2**20

#: The parameter syntax, spec files and sampling, as ``lrcore plot --help`` and ``lrcore table --help``
#: print it after the options.
_PARAMETER_HELP = f"""\
Schedule parameters are given as --name value or --name=value; - and _ are the same
in names (--peak-value = --peak_value). Values are read as follows, in this order:

- none/null -> None; true/false -> bool (case-insensitive);
- an integer (300, -1) -> int; a float (1e-3, 0.5) -> float (one float64 cannot hold, 1e400
  or a nonzero 1e-400, is an error, not inf or 0);
- text containing a comma, or in brackets -> a list of such values (10,20, [10,20],
  [0.1], []);
- text in braces -> a JSON object;
- anything else -> the text itself (--mode triangular2).

A parameter that takes a list (marked "a list" in the list below, as its schedule declares
it) is always read as one: --boundaries 10 is [10], --boundaries 10,20 and [10,20] are
[10, 20], and an empty value ('' or []) is the empty list.

A combinator's schedule parameter (marked in the list below) is JSON, read whole: a schedule
dict in lrcore.from_dict format, as Schedule.to_dict() gives it, for one schedule; a JSON list of
them for several (quote it for the shell):
  --schedules '[{{"name": "constant", "params": {{"value": 1.0}}}}, {{"name": "constant", "params": {{"value": 0.5}}}}]'

A value may start with - (--end-value -1, --at -3,0): it is a value, never an option.
A parameter or option given twice is an error, except --spec and --at, which add up
(--at 5 --at 6,7 is steps 5, 6 and 7). A step below 0 evaluates as step 0, as everywhere
in lrcore; the table shows the step asked for and notes it on stderr.

A spec file (--spec FILE) is JSON in lrcore.from_dict format: one schedule dict, a list of
them (each may carry a "label" key, a string), or an object mapping labels to schedule dicts. Every
schedule given is overlaid in one plot (or one table column each). At most
{_SPEC_MAX_BYTES // 2**20} MiB are read from a spec file; it may be a pipe (--spec <(...)).

lrcore plot evaluates each schedule at a few thousand evenly spread steps plus its landmarks
(piecewise and join boundaries, warmup and phase ends, restarts, the last step) and at both sides of
every jump, located exactly by bisection: a plot of 10**9 steps costs as little as one of 10**4."""


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Once(argparse.Action):
    """Store an option's value, refusing the option given a second time (argparse keeps the last)."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = namespace.__dict__.setdefault("_given", set())
        if self.dest in given:
            raise CliError(f"argument {'/'.join(self.option_strings)} given twice; give it once")
        given.add(self.dest)
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as one-line :class:`CliError` instead of usage + exit, and
    its own option strings recorded: ``flags`` (taking a value) and ``switches``."""

    def __init__(self, *args, **kwargs):
        self.flags, self.switches = set(), set()
        super().__init__(*args, **kwargs)  # adds -h/--help through add_argument

    def add_argument(self, *args, **kwargs):
        action = super().add_argument(*args, **kwargs)
        (self.switches if action.nargs == 0 else self.flags).update(action.option_strings)
        return action

    def error(self, message):
        raise CliError(message)


def _json_float(text: str) -> float:
    """A JSON number as a float (``json.loads``'s ``parse_float``): one past float64 (``1e400``) is
    refused as written, not read as an infinity, and a nonzero one below it (``1e-400``) is refused,
    not read as 0."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {_short(text)} is beyond the float64 range (at most 1.8e308 in magnitude)")
    _refuse_underflow(text, value, ValueError)
    return value


def _json_int(text: str) -> int:
    """A JSON integer (``json.loads``'s ``parse_int``): one with more digits than Python converts
    is refused in lrcore's words, not Python's."""
    if len(text) > 4000:  # Python refuses to convert longer digit strings (sys.int_info)
        raise ValueError(f"the integer {_short(text)} is too large")
    return int(text)


def _json_object(pairs) -> dict:
    """A JSON object (``json.loads``'s ``object_pairs_hook``): a key given twice is refused, as a
    parameter given twice on the command line is, not read as its last value."""
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} is given twice in one object")
        out[key] = value
    return out


def _json_loads(text: str):
    """``json.loads`` of a spec or a schedule parameter, with lrcore's number and key rules."""
    return json.loads(text, parse_float=_json_float, parse_int=_json_int, object_pairs_hook=_json_object)


def _refuse_underflow(text: str, value: float, error) -> None:
    """Raise ``error`` for a number written nonzero that float64 rounds to 0 (``1e-400``)."""
    # Any decimal digit float() reads (Unicode's too: "１e-400"), other than a zero.
    if value == 0.0 and any(c.isdecimal() and int(c) for c in re.split("[eE]", text, maxsplit=1)[0]):
        raise error(
            f"the number {_short(text)} is nonzero but below the float64 range (the smallest is "
            "about 4.9e-324 in magnitude): it would be read as 0"
        )


def parse_value(text: str):
    """Parse one command-line parameter value (the rules: ``lrcore plot --help``); a combinator's
    schedule parameter is JSON instead, parsed whole."""
    s = text.strip()
    low = s.lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    if _INT.match(s):
        if len(s) > 4000:  # Python refuses to convert longer digit strings (sys.int_info)
            raise CliError(f"the integer {_short(s)} is too large")
        return int(s)
    if _FLOAT.match(s):
        value = float(s)
        if value in (float("inf"), float("-inf")) and "inf" not in low:  # 1e400: not the number typed
            raise CliError(f"the number {_short(s)} is beyond the float64 range (at most 1.8e308 in magnitude)")
        _refuse_underflow(s, value, CliError)  # 1e-400: not 0, the number typed
        return value
    if s.startswith("{"):
        try:
            return _json_loads(s)
        except json.JSONDecodeError as exc:
            raise CliError(f"cannot parse {text!r} as a JSON object: {exc}") from None
        except ValueError as exc:  # a number past float64, or an integer with more digits than Python converts
            raise CliError(str(exc)) from None
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        return [] if not inner else [parse_value(part) for part in inner.split(",")]
    if "," in s:
        return [parse_value(part) for part in s.split(",")]
    return s


def parse_list(text: str):
    """Parse the value of a parameter that takes a list: always a list (``10`` -> ``[10]``,
    ``10,20`` and ``[10,20]`` -> ``[10, 20]``, ``''`` and ``[]`` -> ``[]``); ``none`` is None."""
    s = text.strip()
    if not s:
        return []
    value = parse_value(s)
    return value if value is None or isinstance(value, list) else [value]


#: What a parameter of each kind (lrcore.schedule.PARAMETER_KINDS) takes, for the list of schedules.
_KIND_HELP = {
    "schedule": "a JSON object (a schedule dict)",
    "schedules": "a JSON list of schedule dicts",
    "sequence": "a list (10 or 10,20)",
}


def _schedule_catalogue() -> str:
    import inspect

    from lrcore.schedule import REGISTRY, names

    lines = ["schedules and their parameters (--name value):"]
    for name in names():  # the registry's: a registered schedule is listed and parsed like any other
        definition = REGISTRY[name]
        signature = definition.signature
        plain = signature.replace(
            parameters=[p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()],
            return_annotation=inspect.Signature.empty,
        )
        notes = "; ".join(f"--{key}: {_KIND_HELP[kind]}" for key, kind in definition.kinds.items() if kind in _KIND_HELP)
        lines.append(f"  {name}{plain}" + (f"  [{notes}]" if notes else ""))
    return "\n".join(lines)


def _split_params(argv, own_flags, own_switches):
    """Separate this command's own options from ``--param value`` schedule parameters.

    Returns ``(own, params)``: ``own`` for argparse, with each option's value attached as
    ``--flag=value`` (so a value starting with ``-``, such as ``--at -3,0``, is never taken for an
    option); ``params`` maps each parameter name to ``(flag as given, text)``, parsed once the
    schedule is known (:func:`_parse_params`).
    """
    own, params = [], {}
    i = 0
    while i < len(argv):
        token = argv[i]
        key = token.split("=", 1)[0]
        if key in own_switches:
            own.append(token)
        elif key in own_flags:
            if "=" in token:
                own.append(token)
            elif i + 1 >= len(argv):
                raise CliError(f"argument {token}: expected a value")
            else:
                own.append(f"{token}={argv[i + 1]}")
                i += 1
        elif token.startswith("--") and len(token) > 2:
            if "=" in token:
                value = token.split("=", 1)[1]
            elif i + 1 < len(argv):
                value = argv[i + 1]
                i += 1
            else:
                raise CliError(f"parameter {token} needs a value")
            name = key[2:].replace("-", "_")
            if name in params:
                first = params[name][0]
                also = f" (as {first} and {key})" if first != key else ""
                raise CliError(f"parameter --{name} given twice{also}; give it once")
            params[name] = (key, value)
        else:
            own.append(token)
        i += 1
    return own, params


def _attach_values(argv, flags):
    """``argv`` with each option in ``flags`` joined to its value (``--seed -1`` -> ``--seed=-1``)."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in flags and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def _parse_child(flag: str, kind: str, text: str):
    """A schedule-valued parameter (``kind``: ``"schedule"`` or ``"schedules"``): JSON as
    ``Schedule.to_dict()`` gives it, parsed whole."""
    expected = _KIND_HELP[kind]
    try:
        value = _json_loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"argument {flag}: cannot parse {_short(text)!r} as {expected}: {exc}") from None
    except RecursionError:
        raise CliError(f"argument {flag}: the JSON is nested too deeply to be a schedule") from None
    except ValueError as exc:  # a number past float64, or an integer with more digits than Python converts
        raise CliError(f"argument {flag}: {exc}") from None
    if kind == "schedule" and not isinstance(value, dict):
        raise CliError(f"argument {flag}: expected {expected}, got {_short(text)!r}")
    if kind == "schedules" and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
        raise CliError(f"argument {flag}: expected {expected}, got {_short(text)!r}")
    return value


def _parse_params(name, raw):
    """Parse each ``(flag, text)`` of ``raw`` for the schedule ``name`` by the kind its
    registration declares: schedule-valued parameters as JSON, lists by :func:`parse_list`, the
    others by :func:`parse_value`."""
    from .schedule import REGISTRY

    kinds = REGISTRY[name].kinds if name in REGISTRY else {}
    out = {}
    for key, (flag, text) in raw.items():
        kind = kinds.get(key, "value")
        if kind in ("schedule", "schedules"):
            out[key] = _parse_child(flag, kind, text)
        else:
            try:
                out[key] = parse_list(text) if kind == "sequence" else parse_value(text)
            except CliError as exc:
                raise CliError(f"argument {flag}: {exc}") from None
    return out


def _read_spec(path) -> bytes:
    """The bytes of a spec file, at most :data:`_SPEC_MAX_BYTES`. A regular file larger than that
    is refused by its size, unread; anything else (a pipe, ``--spec <(...)``, a device) is read up
    to one byte past the limit."""
    import os
    import stat

    too_large = f"argument --spec: spec file {path!r} is larger than {_SPEC_MAX_BYTES // 2**20} MiB, the limit for a spec file"
    try:
        with open(path, "rb") as f:
            info = os.fstat(f.fileno())
            if stat.S_ISDIR(info.st_mode):  # where open() lets a directory through
                raise CliError(f"cannot read spec file {path!r}: Is a directory")
            if stat.S_ISREG(info.st_mode) and info.st_size > _SPEC_MAX_BYTES:
                raise CliError(too_large)
            data = f.read(_SPEC_MAX_BYTES + 1)
    except OSError as exc:
        raise CliError(f"cannot read spec file {path!r}: {exc.strerror or exc}") from None
    if len(data) > _SPEC_MAX_BYTES:
        raise CliError(too_large)
    return data


def _load_specs(paths):
    """(label, Schedule) pairs from JSON spec files."""
    import lrcore

    out = []
    for path in paths:
        data = _read_spec(path)
        try:
            spec = _json_loads(data.decode("utf-8"))
        except json.JSONDecodeError as exc:
            raise CliError(f"spec file {path!r} is not valid JSON: {exc}") from None
        except UnicodeDecodeError as exc:
            raise CliError(f"spec file {path!r} is not UTF-8 text: {exc.reason}") from None
        except RecursionError:
            raise CliError(f"spec file {path!r} is nested too deeply to be a schedule") from None
        except ValueError as exc:  # an integer with more digits than Python converts, a number past float64
            raise CliError(f"spec file {path!r}: {exc}") from None
        if isinstance(spec, dict) and "name" in spec:
            items = [spec]
        elif isinstance(spec, dict):
            items = [{**d, "label": label} if isinstance(d, dict) else d for label, d in spec.items()]
        elif isinstance(spec, list):
            items = spec
        else:
            raise CliError(f"spec file {path!r} must hold a schedule dict, a list or an object of them")
        if not items:
            raise CliError(f"spec file {path!r} holds no schedule (an empty list or object)")
        for item in items:
            if not isinstance(item, dict):
                raise CliError(f"spec file {path!r}: each schedule must be a JSON object, got {item!r}")
            item = dict(item)
            label = item.pop("label", None)
            if label is not None and not isinstance(label, str):
                raise CliError(
                    f"spec file {path!r}: a schedule's \"label\" must be a string (the name shown for it). "
                    f"Received: label={label!r}"
                )
            try:
                schedule = lrcore.from_dict(item)
            except (ValueError, TypeError) as exc:
                raise CliError(f"spec file {path!r}: {exc}") from None
            out.append((label if label is not None else _label(schedule), schedule))
    return out


def _label(schedule) -> str:
    params = ", ".join(f"{k}={v}" for k, v in schedule.to_dict()["params"].items() if not isinstance(v, (dict, list)))
    return f"{schedule.name}({params})"


def _import_modules(modules):
    """Import each module of ``--import``: its ``lrcore.register`` calls add its schedules."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise CliError(
                f"argument --import: cannot import {module!r} ({exc}); it must be importable from "
                "the Python path (python -m lrcore adds the current directory; otherwise set PYTHONPATH)"
            ) from None
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - whatever the module raises, said as its own
            what = f"SystemExit({exc.code!r})" if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}"
            raise CliError(
                f"argument --import: importing {module!r} raised {what}"
            ) from None


def _schedules(name, params, specs):
    import lrcore
    from lrcore.schedule import REGISTRY

    out = []
    if name is not None:
        if name.endswith(".json"):
            if params:
                raise CliError("parameters cannot be given with a spec file")
            specs = [name, *specs]
        else:
            try:
                schedule = lrcore.from_dict({"name": name, "params": _parse_params(name, params)})
            except ValueError as exc:
                if name in REGISTRY or not str(exc).startswith("Unknown schedule name"):
                    raise
                raise CliError(f"{exc}. A schedule of your own: --import the module that registers it") from None
            out.append((_label(schedule), schedule))
    elif params:
        raise CliError("parameters given but no schedule NAME")
    out = _load_specs(specs) + out
    if not out:
        raise CliError("give a schedule NAME (see --help) or --spec FILE")
    return out


_INT64_MAX = 2**63 - 1


def _short(text: str, limit: int = 60) -> str:
    """``text`` for an error message, elided in the middle when long."""
    text = str(text)
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]} ({len(text)} characters)"


def _count(text):
    """An integer written in ASCII digits, as ``--at`` takes its steps (Python's ``int`` reads
    other scripts' digits too: ``--steps ١٠٠`` was 100 where ``--at ١`` is refused)."""
    if not _INT.match(text.strip()):
        raise argparse.ArgumentTypeError(f"expected an integer, got {_short(text)!r}")
    return int(text)


def _steps_list(texts):
    """The steps of every ``--at`` given, in order (``--at 5 --at 6,7`` -> ``[5, 6, 7]``)."""
    parts = [part.strip() for text in texts for part in text.split(",")]
    if not any(parts):
        raise CliError("argument --at: no steps given")
    for part in parts:
        if not part:
            raise CliError(f"argument --at: an empty entry (no step between commas) in {_short(','.join(texts))!r}")
        if not _INT.match(part):
            raise CliError(f"argument --at: expected comma-separated integer steps, got {_short(part)!r}")
        if len(part.lstrip("+-")) > 19 or not -_INT64_MAX - 1 <= int(part) <= _INT64_MAX:
            raise CliError(f"argument --at: steps must fit in a 64-bit integer, got {_short(part)}")
    return [int(part) for part in parts]


def _output_path(text):
    """The file ``-o`` names, checked before any work: a writable directory, a known image format."""
    import os

    from matplotlib.figure import Figure

    if not text or text.endswith(("/", os.sep)) or os.path.isdir(text):
        raise CliError(f"argument -o: {text!r} is a directory; give a file name such as {os.path.join(text or '.', 'lr.png')!r}")
    root, ext = os.path.splitext(text)
    formats = Figure().canvas.get_supported_filetypes()
    if not ext or not os.path.basename(root):
        raise CliError(f"argument -o: {text!r} has no file extension; give one of {', '.join('.' + f for f in sorted(formats))}")
    if ext[1:].lower() not in formats:
        raise CliError(f"argument -o: unknown image format {ext!r}; give one of {', '.join('.' + f for f in sorted(formats))}")
    directory = os.path.dirname(text) or "."
    if not os.path.isdir(directory):
        raise CliError(f"argument -o: the directory {directory!r} does not exist")
    if not os.access(directory, os.W_OK):
        raise CliError(f"argument -o: the directory {directory!r} is not writable")
    return text


def _plot_parser():
    parser = _Parser(
        prog="lrcore plot",
        allow_abbrev=False,
        add_help=False,
        usage="lrcore plot [--import MODULE ...] [NAME] [--param value ...] [--spec FILE ...] [--steps N] [--log] [--title T] [-o OUT.png]",
        description="Plot one or more schedules over steps 0..N-1 into an image file.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="a schedule name (see the list below)")
    parser.add_argument("--spec", action="append", default=[], metavar="FILE", help="a JSON spec file (repeatable)")
    parser.add_argument(
        "--import", dest="imports", action="append", default=[], metavar="MODULE",
        help="import MODULE first: a module that registers schedules of your own with lrcore.register (repeatable)",
    )
    parser.add_argument("--steps", action=_Once, type=_count, default=1000, metavar="N", help="number of steps (default 1000)")
    parser.add_argument("-o", "--output", action=_Once, default="lr_schedule.png", metavar="OUT", help="image file (default lr_schedule.png)")
    parser.add_argument("--log", action="store_true", help="logarithmic learning-rate axis")
    parser.add_argument("--title", action=_Once, metavar="T", help="the plot title (default: the schedule and its parameters)")
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    return parser


def _table_parser():
    parser = _Parser(
        prog="lrcore table",
        allow_abbrev=False,
        add_help=False,
        usage="lrcore table [--import MODULE ...] [NAME] [--param value ...] [--spec FILE ...] --at STEP,STEP,...",
        description="Print the value of one or more schedules at the given steps (NumPy backend, float64).",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="a schedule name (see the list below)")
    parser.add_argument("--spec", action="append", default=[], metavar="FILE", help="a JSON spec file (repeatable)")
    parser.add_argument(
        "--import", dest="imports", action="append", default=[], metavar="MODULE",
        help="import MODULE first: a module that registers schedules of your own with lrcore.register (repeatable)",
    )
    parser.add_argument("--at", action="append", metavar="STEPS", help="comma-separated steps, e.g. 0,100,1000 (required; repeatable)")
    parser.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    return parser


def _demo_parser():
    import textwrap

    from .demo import EXTRAS, FRAMEWORKS, PROMISE

    parser = _Parser(
        prog="lrcore demo",
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train one classifier with the same lrcore schedule in JAX, PyTorch and Keras, and check\n"
        "the learning rate each framework applied at every update against the exact value.",
        epilog=(
            "verdict:\n"
            + textwrap.fill(f"lrcore's precision promise: {PROMISE}.", 92, initial_indent="  ", subsequent_indent="  ")
            + "\n"
            "  One line per framework compares the learning rates its optimizer applied with the\n"
            "  schedule's exact value (256-bit mpmath) and says PASS or FAIL; the last line names the\n"
            "  frameworks that ran and the overall verdict.\n\n"
            "frameworks:\n"
            f"  every framework in --frameworks must be installed (default: all of {','.join(FRAMEWORKS)});\n"
            "  a missing one is an error before any training, naming its extra\n"
            f"  ({', '.join(f'{k}: {v}' for k, v in EXTRAS.items())}; all three: lrcore[demo]).\n"
            "  Run only the installed ones with e.g. --frameworks jax,torch.\n\n"
            "exit status:\n"
            "  0  every framework's applied learning rate is within the promise (PASS)\n"
            "  1  a framework applied a learning rate outside it (FAIL)\n"
            "  2  an error: a bad option, an unwritable -o, a framework that cannot be imported"
        ),
    )
    parser.add_argument("--epochs", action=_Once, type=int, default=None, help="epochs (default 12, or 4 with --quick)")
    parser.add_argument("--quick", action="store_true", help="reduced mode for CI: a data subset, few epochs")
    parser.add_argument("-o", "--output", action=_Once, default="lrcore_demo.png", help="the image to write (default lrcore_demo.png)")
    parser.add_argument(
        "--frameworks", action=_Once, default=",".join(FRAMEWORKS),
        help=f"comma-separated, from {','.join(FRAMEWORKS)} (default all)",
    )
    parser.add_argument("--seed", action=_Once, type=int, default=0, help="seed of the data split, weights and batches (default 0)")
    parser.add_argument(
        "--verbose", action="store_true", help="show the frameworks' own log output (TensorFlow, absl, JAX), hidden by default"
    )
    return parser


def _options(parser):
    """The parser's own option strings: (those taking a value, switches)."""
    return parser.flags, parser.switches


def _parse(parser, argv):
    """This command's own options parsed by ``parser``; every other ``--name value`` is a parameter."""
    own, params = _split_params(argv, *_options(parser))
    return parser.parse_args(own), params


def _command_help(parser):
    return parser.format_help() + "\n" + _PARAMETER_HELP + "\n\n" + _schedule_catalogue()


def _cmd_plot(argv):
    parser = _plot_parser()
    args, params = _parse(parser, argv)
    _import_modules(args.imports)  # before the help, which lists the schedules they register
    if args.help:
        print(_command_help(parser))
        return 0
    if not 1 <= args.steps <= _INT64_MAX:
        raise CliError(f"argument --steps must be in [1, 2**63 - 1], got {args.steps}")
    output = _output_path(args.output)
    import numpy as np

    from .plot import sample_steps, schedules_figure

    schedules = _schedules(args.name, params, args.spec)
    curves = [(label, *sample_steps(schedule, args.steps)) for label, schedule in schedules]
    if args.log and any(np.any(values <= 0) for _, _, values in curves):
        raise CliError("--log needs positive values, but a schedule reaches <= 0 (set end_value > 0)")
    # One schedule: the title shows it with all its parameters (several: the legend names them).
    title = args.title if args.title is not None else (repr(schedules[0][1]) if len(schedules) == 1 else None)
    if args.title is not None:
        try:
            args.title.encode("utf-8")
        except UnicodeEncodeError:  # bytes of another encoding, kept by Python as lone surrogates
            raise CliError(f"argument --title: not UTF-8 text, got {args.title.encode('utf-8', 'backslashreplace')!r}") from None
    try:
        schedules_figure(curves, path=output, log=args.log, title=title)
    except OSError as exc:
        raise CliError(f"cannot write {output!r}: {exc.strerror or exc}") from None
    print(f"wrote {output} ({len(curves)} schedule{'s' * (len(curves) != 1)}, {args.steps} steps)")
    return 0


def _cmd_table(argv):
    parser = _table_parser()
    args, params = _parse(parser, argv)
    _import_modules(args.imports)  # before the help, which lists the schedules they register
    if args.help:
        print(_command_help(parser))
        return 0
    if args.at is None:
        raise CliError("the following arguments are required: --at")
    import numpy as np

    import lrcore.numpy as lnp

    steps = np.asarray(_steps_list(args.at), dtype=np.int64)
    schedules = _schedules(args.name, params, args.spec)
    columns = [lnp.from_schedule(s)(steps) for _, s in schedules]
    header = ["step"] + (["value"] if len(schedules) == 1 else [label for label, _ in schedules])
    print("\t".join(header))
    for i, step in enumerate(steps):
        print("\t".join([str(int(step))] + [repr(float(c[i])) for c in columns]))
    negative = sorted({int(k) for k in steps if k < 0}, reverse=True)
    if negative:  # the library's rule (docs/step.md), said once: the rows show the steps asked for
        listed = _short(",".join(map(str, negative)))
        print(f"lrcore: note: a step below 0 evaluates as step 0, the schedule's start (here: {listed})", file=sys.stderr)
    return 0


def _cmd_demo(argv):
    parser = _demo_parser()
    try:
        args = parser.parse_args(_attach_values(argv, _options(parser)[0]))
    except SystemExit as exc:  # --help printed
        return int(exc.code or 0)
    output = _output_path(args.output)
    frameworks = tuple(f.strip() for f in args.frameworks.split(",") if f.strip())
    from . import demo

    try:
        summary = demo.run(args.epochs, args.quick, frameworks, output, args.seed, verbose=args.verbose)
    except demo.Unavailable as exc:  # its message names the extra to install
        raise CliError(str(exc)) from None
    return 0 if summary["passed"] else 1


#: command -> (handler, one-line description)
_COMMANDS = {
    "plot": (_cmd_plot, "plot schedules given by name and parameters or by JSON spec files into an image"),
    "table": (_cmd_table, "print schedule values at chosen steps (NumPy, float64)"),
    "demo": (_cmd_demo, "train one classifier with the same schedule in JAX, PyTorch and Keras; check the applied lr"),
}


def _top_help():
    from . import __version__

    commands = "\n".join(f"  {name:<7}{text}" for name, (_, text) in _COMMANDS.items())
    return (
        "usage: lrcore {plot,table,demo} ... | lrcore --version | lrcore COMMAND --help\n\n"
        f"Plot and tabulate lrcore learning-rate schedules, or run the demo (lrcore {__version__}).\n\n"
        f"commands:\n{commands}\n\n"
        "options:\n  -h, --help  show this help and exit\n  --version   print the version and exit\n\n"
        "examples:\n"
        "  lrcore plot cosine_restart --peak-value 1e-3 --first-period 300 --period-mul 1.25 --steps 2000 -o lr.png\n"
        "  lrcore plot --spec examples/schedules.json --log -o compare.png\n"
        "  lrcore table exponential_decay --init-value 0.1 --decay-steps 100 --decay-rate 0.5 --at 0,100,1000\n"
        "  lrcore demo --quick -o demo.png\n\n"
        "Run `lrcore plot --help` for the parameter syntax and the list of schedules."
    )


def _error(message) -> int:
    print("lrcore: error: " + " ".join(str(message).split()), file=sys.stderr)
    return 2


def main(argv=None) -> int:
    """Entry point of the ``lrcore`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_top_help())
        return 0 if argv else 2
    if argv[0] == "--version":
        from . import __version__

        print(f"lrcore {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in _COMMANDS:
        return _error(f"unknown command {command!r} (choose from {', '.join(_COMMANDS)}; see lrcore --help)")
    try:
        return int(_COMMANDS[command][0](rest) or 0)
    except CliError as exc:
        return _error(exc)
    except (ValueError, TypeError, OverflowError) as exc:  # lrcore's validation names the parameter
        return _error(exc)
    except ImportError as exc:  # matplotlib (plots) or a framework (demo) is not installed
        return _error(f"{exc}; install lrcore with the `cli` extra: pip install \"lrcore[cli]\"")
    except RecursionError:
        return _error("the schedule is nested too deeply to be built")
    except OSError as exc:
        return _error(f"{exc.filename or ''}: {exc.strerror or exc}" if exc.filename else exc)


if __name__ == "__main__":
    sys.exit(main())
