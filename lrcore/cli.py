"""The ``lrcore`` command line: plot and tabulate schedules, run the demo.

    lrcore plot cosine_restart --peak-value 1e-3 --first-period 300 --period-mul 1.25 --steps 2000 -o lr.png
    lrcore plot --spec schedules.json --log -o lr.png
    lrcore table exponential_decay --init-value 0.1 --decay-steps 100 --decay-rate 0.5 --at 0,100,1000
    lrcore demo --quick -o demo.png

Schedule parameters are given as ``--name value`` or ``--name=value``; ``-`` and ``_`` are the same
in names (``--peak-value`` = ``--peak_value``). Values are read as follows, in this order:

- ``none``/``null`` -> None; ``true``/``false`` -> bool (case-insensitive);
- an integer (``300``, ``-1``) -> int; a float (``1e-3``, ``0.5``) -> float;
- text containing a comma, or in brackets -> a list of such values (``10,20``, ``[10,20]``,
  ``[0.1]``, ``[]``); a single-element list needs the brackets;
- text in braces -> a JSON object (a nested schedule in ``lrcore.from_dict`` format, for the
  combinators' ``schedule`` parameter);
- anything else -> the text itself (``--mode triangular2``).

A spec file (``--spec FILE``) is JSON in ``lrcore.from_dict`` format: one schedule dict, a list of
them (each may carry a ``"label"`` key), or an object mapping labels to schedule dicts. Every
schedule given is overlaid in one plot (or one table column each).

Errors (unknown schedule or parameter, a bad value) print one line ``lrcore: error: ...`` and exit
with status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

__all__ = ["main", "parse_value"]

_INT = re.compile(r"[+-]?\d+\Z")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z|[+-]?(inf|nan)\Z", re.IGNORECASE)


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as one-line :class:`CliError` instead of usage + exit."""

    def error(self, message):
        raise CliError(message)


def parse_value(text: str):
    """Parse one command-line parameter value (see the module docstring for the rules)."""
    s = text.strip()
    low = s.lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s):
        return float(s)
    if s.startswith("{"):
        try:
            return json.loads(s)
        except json.JSONDecodeError as exc:
            raise CliError(f"cannot parse {text!r} as a JSON object: {exc}") from None
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        return [] if not inner else [parse_value(part) for part in inner.split(",")]
    if "," in s:
        return [parse_value(part) for part in s.split(",")]
    return s


def _schedule_catalogue() -> str:
    from lrcore.schedule import REGISTRY, names

    lines = ["schedules and their parameters (--name value):"]
    for name in names():  # the registry's: a registered schedule is listed and parsed like any other
        params = str(REGISTRY[name].signature).split(" ->")[0]
        lines.append(f"  {name}{params}")
    return "\n".join(lines)


def _split_params(argv, own_flags, own_switches):
    """Separate this command's own options from ``--param value`` schedule parameters."""
    own, params = [], {}
    i = 0
    while i < len(argv):
        token = argv[i]
        key = token.split("=", 1)[0]
        if key in own_switches:
            own.append(token)
        elif key in own_flags:
            own.append(token)
            if "=" not in token:
                if i + 1 >= len(argv):
                    raise CliError(f"argument {token}: expected a value")
                own.append(argv[i + 1])
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
                raise CliError(f"parameter --{name} given twice")
            params[name] = parse_value(value)
        else:
            own.append(token)
        i += 1
    return own, params


def _load_specs(paths):
    """(label, Schedule) pairs from JSON spec files."""
    import lrcore

    out = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                spec = json.load(f)
        except OSError as exc:
            raise CliError(f"cannot read spec file {path!r}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CliError(f"spec file {path!r} is not valid JSON: {exc}") from None
        if isinstance(spec, dict) and "name" in spec:
            items = [spec]
        elif isinstance(spec, dict):
            items = [{**d, "label": label} if isinstance(d, dict) else d for label, d in spec.items()]
        elif isinstance(spec, list):
            items = spec
        else:
            raise CliError(f"spec file {path!r} must hold a schedule dict, a list or an object of them")
        for item in items:
            if not isinstance(item, dict):
                raise CliError(f"spec file {path!r}: each schedule must be a JSON object, got {item!r}")
            item = dict(item)
            label = item.pop("label", None)
            schedule = lrcore.from_dict(item)
            out.append((str(label) if label is not None else _label(schedule), schedule))
    return out


def _label(schedule) -> str:
    params = ", ".join(f"{k}={v}" for k, v in schedule.to_dict()["params"].items() if not isinstance(v, (dict, list)))
    return f"{schedule.name}({params})"


def _schedules(name, params, specs):
    import lrcore

    out = []
    if name is not None:
        if name.endswith(".json"):
            if params:
                raise CliError("parameters cannot be given with a spec file")
            specs = [name, *specs]
        else:
            schedule = lrcore.from_dict({"name": name, "params": params})
            out.append((_label(schedule), schedule))
    elif params:
        raise CliError("parameters given but no schedule NAME")
    out = _load_specs(specs) + out
    if not out:
        raise CliError("give a schedule NAME (see --help) or --spec FILE")
    return out


def _steps_list(text):
    try:
        steps = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CliError(f"argument --at: expected comma-separated integer steps, got {text!r}") from None
    if not steps:
        raise CliError("argument --at: no steps given")
    return steps


def _cmd_plot(own, params):
    parser = _Parser(prog="lrcore plot", allow_abbrev=False)
    parser.add_argument("name", nargs="?")
    parser.add_argument("--spec", action="append", default=[])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("-o", "--output", default="lr_schedule.png")
    parser.add_argument("--log", action="store_true")
    parser.add_argument("--title")
    args = parser.parse_args(own)
    if args.steps < 1:
        raise CliError(f"argument --steps must be >= 1, got {args.steps}")
    import numpy as np

    import lrcore.numpy as lnp

    steps = np.arange(args.steps)
    curves = [(label, steps, lnp.from_schedule(s)(steps)) for label, s in _schedules(args.name, params, args.spec)]
    if args.log and any(np.any(values <= 0) for _, _, values in curves):
        raise CliError("--log needs positive values, but a schedule reaches <= 0 (set end_value > 0)")
    from .plot import schedules_figure

    schedules_figure(curves, path=args.output, log=args.log, title=args.title)
    print(f"wrote {args.output} ({len(curves)} schedule{'s' * (len(curves) != 1)}, {args.steps} steps)")


def _cmd_table(own, params):
    parser = _Parser(prog="lrcore table", allow_abbrev=False)
    parser.add_argument("name", nargs="?")
    parser.add_argument("--spec", action="append", default=[])
    parser.add_argument("--at", required=True)
    args = parser.parse_args(own)
    import numpy as np

    import lrcore.numpy as lnp

    steps = np.asarray(_steps_list(args.at), dtype=np.int64)
    schedules = _schedules(args.name, params, args.spec)
    columns = [lnp.from_schedule(s)(steps) for _, s in schedules]
    header = ["step"] + (["value"] if len(schedules) == 1 else [label for label, _ in schedules])
    print("\t".join(header))
    for i, step in enumerate(steps):
        print("\t".join([str(int(step))] + [repr(float(c[i])) for c in columns]))


def _cmd_demo(own, params):
    if params:
        raise CliError(f"unknown option(s) for demo: {', '.join('--' + k for k in params)}")
    from . import demo

    return demo.main(own)


_COMMANDS = {
    "plot": (_cmd_plot, {"--spec", "--steps", "-o", "--output", "--title"}, {"--log", "-h", "--help"}),
    "table": (_cmd_table, {"--spec", "--at"}, {"-h", "--help"}),
    "demo": (_cmd_demo, {"--epochs", "-o", "--output", "--frameworks", "--seed"}, {"--quick", "-h", "--help"}),
}


def _top_parser():
    parser = argparse.ArgumentParser(
        prog="lrcore",
        description="Plot and tabulate lrcore learning-rate schedules, or run the demo.",
        epilog=_schedule_catalogue() + "\n\n" + __doc__.split("\n\n", 2)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=sorted(_COMMANDS))
    return parser


def _help(command):
    if command == "plot":
        usage = (
            "usage: lrcore plot [NAME] [--param value ...] [--spec FILE ...] [--steps N] [--log] [--title T] [-o OUT.png]\n\n"
            "Plot one or more schedules (steps 0..N-1, default N=1000) into a PNG (default lr_schedule.png).\n"
        )
    elif command == "table":
        usage = (
            "usage: lrcore table [NAME] [--param value ...] [--spec FILE ...] --at STEP,STEP,...\n\n"
            "Print the value at each step (NumPy backend, float64).\n"
        )
    else:
        from . import demo

        demo.main(["--help"])
        return
    rules = __doc__.split("\n\n", 2)[2].split("\n\nErrors")[0].replace("``", "")
    print(usage + "\n" + rules + "\n\n" + _schedule_catalogue())


def main(argv=None) -> int:
    """Entry point of the ``lrcore`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        _top_parser().print_help()
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in _COMMANDS:
        print(f"lrcore: error: unknown command {command!r} (choose from {', '.join(sorted(_COMMANDS))})", file=sys.stderr)
        return 2
    handler, flags, switches = _COMMANDS[command]
    if command != "demo" and any(t in ("-h", "--help") for t in rest):
        _help(command)
        return 0
    try:
        own, params = _split_params(rest, flags, switches)
        status = handler(own, params)
    except (CliError, ValueError, TypeError) as exc:
        message = " ".join(str(exc).split())
        print(f"lrcore: error: {message}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse already printed its one-line message
        return int(exc.code or 0)
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
