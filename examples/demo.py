"""The demo (``./dev demo``): a short narrated walk through the two example projects.

Two projects with their own pins and their own Python; the mistake as people make it (Project A's venv still
active while working in Project B); what ``venvsense check`` says; ``venvsense fix`` making it right from the
local stand-in wheels (no network); and the clean result. Every command shown is run for real, with the
``venvsense`` of the Python running this script, from the folder that holds ``examples/``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
WIDTH = 100


def say(text: str) -> None:
    for paragraph in textwrap.dedent(text).strip().split("\n\n"):
        print()
        print(textwrap.fill(" ".join(paragraph.split()), WIDTH))
    sys.stdout.flush()


def run(shown: str, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> int:
    """Print ``$ shown`` and run ``venvsense args`` (its output goes straight to ours)."""
    print(f"\n$ {shown}")
    sys.stdout.flush()
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "venvsense", *args], cwd=cwd, env=environ, check=False).returncode


def pins(project: Path) -> list[str]:
    lines = (project / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith(("#", "-"))]


def wanted_python(project: Path) -> str:
    return (project / ".python-version").read_text(encoding="utf-8").split()[0]


def python_found(version: str) -> bool:
    """Whether ``venvsense fix`` will find the Python ``version`` (pyenv, or ``python3.X`` on PATH)."""
    from venvsense.actions.interpreters import choose_interpreter
    from venvsense.actions.steps import ActionError

    try:
        choose_interpreter(python_version_file=[version])
    except ActionError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, default=HERE, help="the examples folder (default: this one)")
    examples = parser.parse_args().examples.resolve()
    subprocess.run([sys.executable, str(HERE / "setup_examples.py"), "--examples", str(examples)], check=True,
                   stdout=subprocess.DEVNULL)
    cwd = examples.parent
    a, b = examples / "project-a", examples / "project-b"
    name = examples.name
    say(f"""
        venvsense demo: two projects, two Pythons, one easy mistake.

        Project A ({name}/project-a) wants Python {wanted_python(a)} and pins {", ".join(pins(a))}.

        Project B ({name}/project-b) wants Python {wanted_python(b)} and pins {", ".join(pins(b))}.

        Each has its own .venv, built just now from small stand-in wheels in {name}/wheelhouse (the real names,
        versions and dependencies, not the real code; no network). Project B's was built the way Project A's
        was: with Python {wanted_python(a)}, and without what only B needs.
    """)
    say("1. Project A, with its own venv. Nothing is wrong, and venvsense says so.")
    run(f"venvsense check {name}/project-a", ["check", f"{name}/project-a"], cwd)

    active = a / ".venv"
    say("""
        2. The mistake as people make it: Project A's venv is still active in the terminal (VIRTUAL_ENV) while
        you work on Project B. venvsense never runs the project's interpreter: it reads pyvenv.cfg, the installed
        packages' metadata and the manifests as files.
    """)
    run(f"VIRTUAL_ENV=$PWD/{name}/project-a/.venv venvsense check {name}/project-b",
        ["check", f"{name}/project-b"], cwd, {"VIRTUAL_ENV": str(active)})
    say(f"""
        venvsense checks Project B against B's own .venv, says that the active venv is Project A's, and what B's
        venv lacks: the Python B asks for ({wanted_python(b)}), its pins, and a declared import (yaml) that
        nothing installed provides.
    """)

    fix = ["fix", f"{name}/project-b", "--find-links", f"{name}/wheelhouse", "--no-index"]
    found = python_found(wanted_python(b))
    say("""
        3. venvsense fix makes it right: it rebuilds B's .venv with the Python B asks for (the old one is kept
        until the new one works) and installs B's pins — here from the local wheelhouse, offline.
    """ + ("" if found else f"""

        (This machine has no Python {wanted_python(b)}: fix says so and how to get one — `pyenv install
        {wanted_python(b)}` — and the demo cannot show the clean end.)
    """))
    status = run(f"venvsense {shlex.join(fix)}", fix, cwd)
    if status not in (0, 1):
        say(f"venvsense fix did not finish (exit {status}); what it said is above.")
        return 0

    say("4. The clean result: Project B with its own venv, the Python it asks for and exactly what it pins.")
    clean = run(f"venvsense check {name}/project-b", ["check", f"{name}/project-b"], cwd)
    say("That is the whole story." if clean == 0 else "Something is still wrong: see above.")
    say("""
        In an editor, the language server (venvsense serve, the VS Code extension in extension/) shows the same
        findings as you type, with quick fixes. Run ./dev demo again to start over.
    """)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
