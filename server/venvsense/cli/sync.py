"""The ``venvsense sync`` command: make each project's venv hold exactly what its lock file selects
(``uv sync --frozen``, ``poetry install --sync``, the exact pins), after updating the lock with
``--update-lock``; print the plan, run it with progress on stderr, then print ``venvsense check``'s verdict.

Exit codes as ``create``/``fix``: 0 done and no findings at or above warning, 1 done but findings remain,
2 usage error, 3 the action failed (or was refused, or there is no lock), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from venvsense.actions.planning import Options
from venvsense.check import check_project
from venvsense.cli.create_fix import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, _common, sync_project
from venvsense.cli.projects import projects_to_act_on


def register(commands: Any) -> None:
    """Add ``sync`` to the CLI's sub-command parsers."""
    sync = commands.add_parser("sync", help="make the venv match the project's lock file exactly (uv.lock, "
                                            "poetry.lock, pylock.toml, Pipfile.lock)")
    sync.add_argument("path", nargs="?", default=".", metavar="PATH", help="project folder (default .)")
    sync.add_argument("--update-lock", action="store_true",
                      help="first bring the lock in line with the manifest (uv lock, poetry lock, pipenv lock)")
    _common(sync)
    sync.set_defaults(run=cmd_sync)


def _options(args: argparse.Namespace) -> Options:
    return Options(installer=args.installer, find_links=tuple(args.find_links), no_index=args.no_index)


def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    err = err or sys.stderr
    projects = projects_to_act_on(args.path)
    # a lock file, or a main requirements file pip-compile / uv pip compile made (the model's lock)
    reports = {p.root: check_project(p) for p in projects}
    locked = [p for p in projects if reports[p.root].lock is not None]
    if not locked:
        named = projects[0].root if len(projects) == 1 else args.path
        err.write(f"venvsense: {named} has no lock file (uv.lock, poetry.lock, pylock.toml, Pipfile.lock, "
                  "pdm.lock, a compiled requirements.txt): there is nothing to sync with\n")
        return EXIT_FAILED
    roots = {p.root for p in locked}
    for project in projects:
        if project.root not in roots:
            out.write(f"{project.root}: no lock file, nothing to sync\n")
    worst = EXIT_OK
    for project in locked:
        code = sync_project(project, reports[project.root], _options(args), update_lock=args.update_lock,
                            dry_run=args.dry_run, allow_index=args.allow_index_url, out=out, err=err)
        if code == EXIT_INTERRUPTED:
            return code
        worst = max(worst, code)
    return worst
