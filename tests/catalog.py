"""The schedule catalog's structure (``docs/catalog/*.md``), read as plain Markdown.

Used by ``tests/test_docs.py`` (the catalog is complete) and ``tests/test_registration.py`` (a newly
registered schedule is reported until it has its section); it needs no docs toolchain.
"""

from __future__ import annotations

import pathlib
import re

from lrcore.schedule import REGISTRY, names

CATALOG = pathlib.Path(__file__).resolve().parents[1] / "docs" / "catalog"


def catalog_sections() -> dict[str, str]:
    """schedule name -> the text of its `## \\`name\\`` section in docs/catalog/*.md."""
    sections = {}
    for page in sorted(CATALOG.glob("*.md")):
        if page.name == "gallery.md":
            continue
        parts = re.split(r"^## `(\w+)`\s*$", page.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2]):
            assert name not in sections, f"{name} is documented twice"
            sections[name] = body
    return sections


def catalog_problems(sections: dict[str, str]) -> list[str]:
    """What the catalog misses for the registered schedules: a section per schedule with a formula, a
    parameter table naming exactly the factory's parameters, and its generated plot."""
    problems = []
    registered = names()
    problems += [f"{name}: no catalog section" for name in registered if name not in sections]
    problems += [f"{name}: documented but not registered" for name in sections if name not in registered]
    for name, body in sections.items():
        if name not in registered:
            continue
        if "$$" not in body:
            problems.append(f"{name}: no formula")
        if "| parameter | meaning |" not in body:
            problems.append(f"{name}: no parameter table")
        if f"![{name}](../img/generated/{name}.png)" not in body:
            problems.append(f"{name}: no generated plot")
        documented = set(re.findall(r"^\| `(\w+)", body, flags=re.M))
        arguments = set(REGISTRY[name].signature.parameters)
        if documented != arguments:
            problems.append(f"{name}: parameter table {sorted(documented)} != {sorted(arguments)}")
    return problems
