"""The README's two commands set themselves up in a project virtual environment, never the system
Python, and the browser step says what it needs where it cannot install a browser."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _dry_run(target: str, **env) -> list[str]:
    """The commands ``make -n <target>`` would run, with ``env`` as the environment's changes."""
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "VENV", "PY", "PYTHON", "TORCH")}
    environ.update(env)
    out = subprocess.run(["make", "--no-print-directory", "-n", "-B", target], cwd=ROOT, env=environ, capture_output=True,
                         text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_make_uses_a_project_venv_unless_one_is_active():
    for target, extra in (("test", ".[test]"), ("demo", ".[demo]")):
        lines = _dry_run(target)
        assert lines[0] == "python3 -m venv .venv", lines
        installs = [line for line in lines if " -m pip install " in line]
        assert all(line.startswith(".venv/bin/python -m pip") for line in installs), installs
        # one pip line with torch pinned beside the extra the target needs; the test target adds one
        # more after it: the peers of the parity tests that are installed without their dependencies
        main = [line for line in installs if "--no-deps" not in line]
        assert len(main) == 1 and installs[0] == main[0], installs
        assert '"torch==2.13.0"' in main[0] and f'"{extra}"' in main[0], installs
        no_deps = installs[1:]
        if target == "demo":
            assert no_deps == [], installs
        else:
            assert len(no_deps) == 1 and " --no-deps " in no_deps[0], installs
            pins = re.findall(r'"([^"]+)"', no_deps[0])  # exact versions: nothing else is checked for them
            assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9.]*", pin) for pin in pins), installs
            assert {pin.split("==")[0] for pin in pins} == {"timm", "mosaicml"}, installs
        assert not any(line.startswith(("pip ", "python3 -m pip", "python -m pip")) for line in lines)

    active = _dry_run("test", VIRTUAL_ENV="/opt/somewhere/env")
    assert all(".venv" not in line for line in active), active
    assert any(line.startswith("/opt/somewhere/env/bin/python -m pip install") for line in active)
    assert any("/opt/somewhere/env/bin/python -m pytest" in line for line in active)


def test_the_demo_installs_only_the_demo_extra():
    (install,) = [line for line in _dry_run("demo") if " -m pip install " in line]
    assert "test" not in install and "docs" not in install, install


def test_framework_state_is_kept_under_the_venv():
    (run,) = [line for line in _dry_run("test") if " -m pytest" in line]
    venv = str(ROOT / ".venv")
    for variable in ("KERAS_HOME", "MPLCONFIGDIR", "HF_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        assert f"{variable}={venv}/" in run, (variable, run)


def test_browser_step_explains_itself_without_a_package_manager(tmp_path):
    # A PATH with a shell and `id` only: no browser, no apt-get.
    for tool in ("bash", "id"):
        (tmp_path / tool).symlink_to(shutil.which(tool))
    result = subprocess.run([str(tmp_path / "bash"), str(ROOT / ".ci" / "browser")],
                            env={"PATH": str(tmp_path)}, capture_output=True, text=True)
    assert result.returncode == 1
    assert "headless Chromium" in result.stderr and "chromium" in result.stderr and "PATH" in result.stderr


def test_ci_runs_the_readme_test_command_in_a_fresh_venv():
    readme = (ROOT / "README.md").read_text()
    assert "make test   # the whole test suite" in readme
    script = (ROOT / ".ci" / "run").read_text()
    assert "rm -rf .venv" in script and "make test" in script
