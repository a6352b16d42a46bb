"""A griffe extension: lrcore's docstrings use a few reStructuredText forms; render them as Markdown.

- ``.. math::`` blocks become ``$$ ... $$`` and ``:math:`x``` becomes ``\\(x\\)`` (MathJax renders both,
  through pymdownx.arithmatex);
- ``:func:`x```, ``:class:`~a.b```, ``:meth:``, ``:data:``, ``:attr:``, ``:mod:`` become code;
- ``` ``code`` ``` becomes ``` `code` ```;
- doctest examples (``>>>``) become ```` ```pycon ```` blocks.

Only the text is rewritten; Google-style sections (``Args:``, ``Example:``) are parsed by mkdocstrings.
"""

from __future__ import annotations

import re

import griffe

_MATH_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*\n(?P<body>(?:(?P=indent)[ \t]+.*\n?|[ \t]*\n)+)", re.M)
_MATH_LINE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]+(?P<body>\S.*)$", re.M)
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_XREF_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|data|attr|mod|obj|exc):`~?([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``")


def _math_block(match: re.Match) -> str:
    indent = match.group("indent")
    lines = [line.strip() for line in match.group("body").splitlines() if line.strip()]
    return f"{indent}$$\n" + "".join(f"{indent}{line}\n" for line in lines) + f"{indent}$$\n\n"


def _doctests_fenced(text: str) -> str:
    """Doctest examples (``>>>`` lines and their output, up to a blank line) as ```pycon blocks;
    Markdown would read ``>>>`` as nested quotes."""
    out, block, indent = [], [], ""
    for line in text.split("\n"):
        stripped = line.lstrip()
        if not block and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            block = [line]
        elif block and stripped and line.startswith(indent):
            block.append(line)
        else:
            if block:
                out += [f"{indent}```pycon", *block, f"{indent}```"]
                block = []
            if stripped.startswith(">>>"):
                indent = line[: len(line) - len(stripped)]
                block = [line]
            else:
                out.append(line)
    if block:
        out += [f"{indent}```pycon", *block, f"{indent}```"]
    return "\n".join(out)


def rst_to_markdown(text: str) -> str:
    """The docstring ``text`` with lrcore's reStructuredText forms rewritten as Markdown."""
    text = _doctests_fenced(text)
    text = _MATH_BLOCK.sub(_math_block, text if text.endswith("\n") else text + "\n")
    text = _MATH_LINE.sub(lambda m: f"{m['indent']}$$\n{m['indent']}{m['body'].strip()}\n{m['indent']}$$", text)
    text = _MATH_ROLE.sub(lambda m: "\\(" + m.group(1) + "\\)", text)
    text = _XREF_ROLE.sub(lambda m: "`" + m.group(1) + "`", text)
    text = _LITERAL.sub(lambda m: "`" + m.group(1) + "`", text)
    return text.rstrip("\n")


class RstToMarkdown(griffe.Extension):
    """Rewrite every docstring as it is loaded (static or dynamic analysis)."""

    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)

    def on_attribute_instance(self, *, node, attr, **kwargs) -> None:
        # Dynamic analysis gives a constant the docstring of its type (tuple's, for SCHEDULES).
        value = getattr(node, "obj", None)
        if attr.docstring is not None and value is not None and value.__doc__ == type(value).__doc__:
            attr.docstring = None
