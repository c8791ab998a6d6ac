"""``venvsense freeze [PATH] [--all] [--output FILE] [--venv DIR]``: a requirements file from the project's
venv — what its code imports, pinned to the installed versions (``rules.freeze``), written by
``actions.freeze``: ``PATH/requirements.txt`` unless ``--output`` says otherwise (``-``: standard output)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from venvsense.actions.freeze import FileExists, write_requirements
from venvsense.check import check_project
from venvsense.cli.projects import UsageError, projects_to_act_on
from venvsense.config import Settings
from venvsense.model import relative_path
from venvsense.rules.freeze import CannotFreeze, freeze_text, pins


def register(commands: Any) -> None:
    freeze = commands.add_parser(
        "freeze", help="write a requirements file from the project's venv: what its code imports, pinned")
    freeze.add_argument("path", nargs="?", default=".", metavar="PATH", help="project folder (default .)")
    freeze.add_argument("--all", action="store_true", dest="transitive",
                        help="also what the imported distributions require (transitively), as installed")
    freeze.add_argument("--output", "-o", metavar="FILE",
                        help="where to write (default PATH/requirements.txt, never overwritten; a file named "
                             "here is replaced; - prints to standard output)")
    freeze.add_argument("--venv", metavar="DIR", help="the venv to read, instead of discovery")
    freeze.set_defaults(run=cmd_freeze)


def cmd_freeze(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    err = err or sys.stderr
    projects = projects_to_act_on(args.path)
    if len(projects) != 1:
        roots = ", ".join(str(p.root) for p in projects[:5])
        raise UsageError(f"{args.path} holds {len(projects)} projects ({roots}); name one")
    project = projects[0]
    settings = Settings(venv=Path(args.venv).resolve() if args.venv else None)
    report = check_project(project, settings)
    try:
        text = freeze_text(report, transitive=args.transitive)
        count = len(pins(report, transitive=args.transitive))
    except CannotFreeze as error:
        raise UsageError(str(error)) from None
    if args.output == "-":
        out.write(text)
        return 0
    target = Path(args.output) if args.output else project.root / "requirements.txt"
    try:
        replaced = write_requirements(target, text, overwrite=args.output is not None)
    except FileExists as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror or error}") from None
    shown = relative_path(target.resolve(), Path.cwd().resolve(), climb=True)
    what = f"{count} pinned requirement{'s' if count != 1 else ''}"
    out.write(f"{'replaced' if replaced else 'wrote'} {shown}: {what}\n")
    return 0
