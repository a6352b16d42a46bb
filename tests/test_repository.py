"""The repository stands on its own: no tracked file cites a document it does not hold.

Code, tests, docs and comments say what a thing is ("as docs/step.md defines", "the precision
promise (docs/numerics.md)") instead of pointing at a design document, a style guide's numbered
rule or a bug tracker's history that a reader of the repository cannot open. External sources are
cited by URL.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: What a citation of a missing document looks like: a design document, a style guide (by name or
#: by rule number), a sibling folder outside the repository, an issue number. The patterns are
#: written so that this file does not match them itself.
CITATION = re.compile(
    "|".join(
        [
            r"\bAPI\.md\b",
            r"\bSTYLE\b",  # case-sensitive: the style guide's name, not `_STYLES` or "style"
            r"\.\./shared\b",
            r"(?i:\bissues? #?\d+)",
            r"(?i:\brules? \d+)",
        ]
    )
)


def tracked_files() -> list[pathlib.Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def citations(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of every line of ``text`` that cites a document the repository lacks."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if CITATION.search(line)]


def test_no_tracked_file_cites_a_document_the_repository_lacks():
    files = tracked_files()
    assert any(path.name == "CONTRIBUTING.md" for path in files)  # git sees the checkout
    found = []
    for path in files:
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary (the docs' pictures)
        text = data.decode("utf-8", errors="replace")
        found += [f"{path.relative_to(ROOT)}:{n}: {line}" for n, line in citations(text)]
    assert not found, "say what the thing is instead of citing a missing document:\n" + "\n".join(found)


def test_citation_finder_finds_each_form():
    doc, guide, shared = "API" + ".md", "ST" + "YLE", ".." + "/shared"
    cited = [
        f"as {doc} promises",
        f"(see {guide} rules {3}-5)",
        f"names an editor can find ({guide} 12)",
        f"copied from {shared}/notes",
        f"hostile inputs (issue {10})",
        f"fixed in Issue #{42}",
        f"see rule {7}",
    ]
    assert [bool(citations(line)) for line in cited] == [True] * len(cited)
    plain = [
        "_STYLES = (('C0', '-', 2.2),)",
        "the house style of the repository",
        "as docs/step.md defines",
        "the precision promise (docs/numerics.md)",
        "the plateau rule: 10 steps without improvement",
        "an issue with float32 at step 2**24",
    ]
    assert [bool(citations(line)) for line in plain] == [False] * len(plain)


def _public_operations(cls) -> list[str]:
    """The public methods, class methods and properties ``cls`` defines."""
    return [
        name
        for name, member in vars(cls).items()
        if not name.startswith("_") and (callable(member) or isinstance(member, (classmethod, property)))
    ]


def test_contributing_documents_every_array_operation():
    """CONTRIBUTING.md's table of array operations names every public operation of ``Ops`` (and of
    ``Pieces``, what ``locate`` returns), and each has a docstring of its own."""
    from lrcore import _array

    text = (ROOT / "CONTRIBUTING.md").read_text()
    operations = _public_operations(_array.Ops)
    assert {"i", "f", "locate", "fraction", "lerp", "cos_fraction", "max_step", "run"} <= set(operations)
    missing = [name for name in operations if not re.search(rf"`(Ops\.)?{name}[`(]", text)]
    assert not missing, f"CONTRIBUTING.md does not document Ops.{missing}"
    assert "pick(table)" in text and "`index`" in text
    for cls, name in [(_array.Ops, n) for n in operations] + [(_array.Pieces, "pick")]:
        member = vars(cls)[name]
        function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        assert (function.__doc__ or "").strip(), f"{cls.__name__}.{name} has no docstring"
