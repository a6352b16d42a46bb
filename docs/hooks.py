"""mkdocs hooks: offline MathJax, the API and command-line reference pages, the version.

- MathJax is copied into the site (``assets/mathjax/``) from the ``mathjax`` Python package (the
  ``django-static-mathjax`` distribution of the ``docs`` extra, MathJax 3.2), so formulas render with
  no network.
- The API reference has one page per module of :data:`REFERENCE_MODULES`: ``lrcore`` and every
  module of ``lrcore._ADAPTERS``. Each page renders the module's ``__all__`` with mkdocstrings, so a
  name or adapter module added later appears without editing the docs. ``lrcore.cli``'s page also
  holds the output of ``lrcore --help`` and of ``lrcore COMMAND --help`` for every command.
- The catalog's gallery page shows every schedule of ``lrcore.SCHEDULES``, linked to its section,
  and the catalog's overview lists them by family (page), from the same sections.
- The footer shows ``lrcore.__version__``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pathlib
import re
import subprocess
import sys

from mkdocs.structure.files import File

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # build from a checkout without lrcore installed
    sys.path.insert(0, str(ROOT))

NAV_TITLE = "API reference"
# What is copied from MathJax's es5 folder: the TeX + CHTML component, its fonts and the parts it
# loads on demand (TeX extensions, the menu, assistive MathML).
MATHJAX_PARTS = ("tex-chtml.js", "input", "output/chtml", "ui", "a11y", "adaptors")
MATHJAX_DEST = "assets/mathjax"



def reference_modules() -> list[str]:
    """The modules of the API reference: ``lrcore`` and every adapter module it loads lazily."""
    import lrcore

    return ["lrcore", *(f"lrcore.{name}" for name in lrcore._ADAPTERS)]


def _page_uri(module: str) -> str:
    return f"reference/{module}.md"


def _reference_page(module: str) -> str:
    mod = importlib.import_module(module)
    names = list(mod.__all__)
    lines = [f"# `{module}`", ""]
    if module == "lrcore.cli":
        lines += [
            "The `lrcore` command ([guide](../cli.md)). The help of every command, as printed by",
            "the installed version:",
            "",
            _cli_reference(),
            "",
            "## Python API",
            "",
        ]
    # A function named like its own submodule (`lrcore.plateau`): griffe sees the submodule under
    # that name, so the function is rendered from the submodule, under the public name's anchor.
    shadowed = [n for n in names if not inspect.ismodule(getattr(mod, n)) and _is_submodule(f"{module}.{n}")]
    options = ["    options:", "      show_root_heading: false", "      members:"]
    options += [f"        - {name}" for name in names if name not in shadowed]
    lines += [f"::: {module}", *options, ""]
    for name in shadowed:
        lines += [
            f'<a id="{module}.{name}"></a>',
            "",
            f"::: {module}.{name}.{name}",
            "    options:",
            "      show_root_full_path: false",
            "",
        ]
    return "\n".join(lines)


def _is_submodule(name: str) -> bool:
    parent = importlib.import_module(name.rsplit(".", 1)[0])
    return hasattr(parent, "__path__") and importlib.util.find_spec(name) is not None


def _index_page(modules) -> str:
    import lrcore

    rows = []
    for module in modules:
        mod = importlib.import_module(module)
        summary = (mod.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        summary = summary.replace("``", "`").replace("|", "\\|")
        rows.append(f"| [`{module}`]({module}.md) | {summary} |")
    return "\n".join(
        [
            "# API reference",
            "",
            f"Generated from the docstrings of lrcore {lrcore.__version__}: every name in each module's",
            "`__all__`. Adapter modules import their framework when first used; `import lrcore` imports",
            "none.",
            "",
            "| module | what it holds |",
            "| --- | --- |",
            *rows,
            "",
        ]
    )


def _help_text(args) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env["COLUMNS"] = "100"
    done = subprocess.run(
        [sys.executable, "-m", "lrcore", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`lrcore {' '.join(args)}` failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.rstrip()


def cli_commands(top_help: str) -> list[str]:
    """The commands named in ``lrcore --help``'s usage line (``{demo,plot,table}``)."""
    usage = top_help.split("\n\n", 1)[0]
    found = re.search(r"\{([\w,-]+)\}", usage)
    if not found:
        raise RuntimeError(f"no command list in `lrcore --help`:\n{usage}")
    return found.group(1).split(",")


def _fence(text: str) -> str:
    return "```text\n" + text + "\n```"


def _cli_reference() -> str:
    top = _help_text(["--help"])
    parts = ["## `lrcore`", "", _fence(top)]
    for command in cli_commands(top):
        parts += ["", f"## `lrcore {command}`", "", _fence(_help_text([command, "--help"]))]
    return "\n".join(parts)


def catalog_families(nav) -> list[tuple[str, str, list[str]]]:
    """``(title, page, names)`` for every catalog page in the nav's order: its title in the nav,
    its file (``basic.md``) and the schedules of ``lrcore.SCHEDULES`` it has a ``## `name` ``
    section for. Fails while a registered schedule has no section."""
    import lrcore

    titles = {}
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            titles.update(
                (page.split("/", 1)[1], title)
                for entry in value
                if isinstance(entry, dict)
                for title, page in entry.items()
                if isinstance(page, str) and page.startswith("catalog/")
            )
    order = list(titles)
    pages = sorted((ROOT / "docs" / "catalog").glob("*.md"), key=lambda p: (order + [p.name]).index(p.name))
    families, documented = [], set()
    for page in pages:
        names = re.findall(r"^## `(\w+)`\s*$", page.read_text(encoding="utf-8"), flags=re.M)
        names = [name for name in names if name in lrcore.SCHEDULES]
        documented.update(names)
        if names:
            families.append((titles.get(page.name, page.stem), page.name, names))
    missing = [name for name in lrcore.SCHEDULES if name not in documented]
    if missing:
        raise RuntimeError(f"no catalog section for: {', '.join(missing)}")
    return families


#: Where docs/catalog/index.md receives its table of families.
CATALOG_MARKER = re.compile(r"<!-- docs/hooks.py writes here the table of families.*?-->", re.S)


def _catalog_table(nav) -> str:
    """The catalog overview's table: each family page, and every schedule it documents, linked."""
    rows = [
        f"| [{title}]({page}) | " + ", ".join(f"[`{name}`]({page}#{name})" for name in names) + " |"
        for title, page, names in catalog_families(nav)
    ]
    return "\n".join(["| family | schedules |", "| --- | --- |", *rows])


def _gallery_page(nav) -> str:
    """Every schedule's picture, in the catalog's order, each linked to its catalog section."""
    cells = [
        # Unindented: an indented picture line would be followed by a line break (<br>), which
        # pushes the caption away from its picture.
        f'<figure markdown="span">\n![{name}](../img/generated/{name}.png)\n'
        f'<figcaption markdown="span">[`{name}`]({page}#{name})</figcaption>\n</figure>'
        for _, page, names in catalog_families(nav)
        for name in names
    ]
    return "\n".join(
        [
            "# Gallery",
            "",
            "Every schedule and combinator of lrcore, drawn by lrcore itself when the site is built",
            "(`docs/gen_plots.py`); each title is the call that drew it. Click a name for its formula,",
            "parameters and peers.",
            "",
            '<div class="gallery" markdown>',
            "",
            *cells,
            "",
            "</div>",
            "",
        ]
    )


# -- mkdocs events ----------------------------------------------------------------------------------
def on_config(config, **kwargs):
    import lrcore

    config.copyright = f"lrcore {lrcore.__version__} · {config.copyright or ''}".rstrip(" ·")
    modules = reference_modules()
    section = [{"Overview": "reference/index.md"}] + [{m: _page_uri(m)} for m in modules]
    nav = config.nav or []
    for i, item in enumerate(nav):
        if isinstance(item, dict) and NAV_TITLE in item:
            nav[i] = {NAV_TITLE: section}
            break
    else:
        raise RuntimeError(f"mkdocs.yml's nav has no {NAV_TITLE!r} entry")
    return config


def _mathjax_root() -> pathlib.Path:
    try:
        import mathjax
    except ImportError as exc:
        raise RuntimeError('MathJax is missing: pip install -e ".[docs]" (django-static-mathjax)') from exc
    return pathlib.Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def on_page_markdown(markdown, page, config, **kwargs):
    if page.file.src_uri == "catalog/index.md":
        if not CATALOG_MARKER.search(markdown):
            raise RuntimeError("docs/catalog/index.md has lost the marker of its table of families")
        return CATALOG_MARKER.sub(lambda _: _catalog_table(config.nav), markdown)
    return markdown


def on_files(files, config, **kwargs):
    modules = reference_modules()
    files.append(File.generated(config, "catalog/gallery.md", content=_gallery_page(config.nav)))
    files.append(File.generated(config, "reference/index.md", content=_index_page(modules)))
    for module in modules:
        files.append(File.generated(config, _page_uri(module), content=_reference_page(module)))
    es5 = _mathjax_root()
    for part in MATHJAX_PARTS:
        source = es5 / part
        paths = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        for path in paths:
            uri = f"{MATHJAX_DEST}/{path.relative_to(es5).as_posix()}"
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
