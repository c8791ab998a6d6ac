"""The ``venvsense create`` and ``venvsense fix`` commands: print the plan, run it with progress on stderr,
honour Ctrl-C, then print ``venvsense check``'s verdict. ``fix`` on a project whose venv drifted from its lock
file (or whose lock is outdated) does what ``venvsense sync`` does, as the editor's fix-all.

Exit codes: 0 done and no findings at or above warning, 1 done but findings remain, 2 usage error,
3 the action failed (or was refused), 130 interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from venvsense.actions.interpreters import find_uv
from venvsense.actions.planning import Options, plan_create, plan_fix
from venvsense.actions.run import Outcome, ProgressEvent, execute
from venvsense.actions.scripts import plan_script
from venvsense.actions.steps import ActionError, Plan
from venvsense.actions.sync import plan_sync, plan_update_lock
from venvsense.check import ProjectReport, check_project
from venvsense.cli.output import finding_line
from venvsense.cli.projects import UsageError, projects_to_act_on
from venvsense.environment import clear_cache
from venvsense.findings import Severity
from venvsense.fixes import from_uv_lock, lock_fixes
from venvsense.model import Project, project_for_file
from venvsense.protocol import UPDATE_LOCK

# exit code 2 (a usage error) is ``main``'s answer to ``UsageError``
EXIT_OK, EXIT_FINDINGS, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 3, 130


def register(commands: Any) -> None:
    """Add ``create`` and ``fix`` to the CLI's sub-command parsers."""
    create = commands.add_parser("create", help="create the project's venv and install what it declares")
    create.add_argument("path", nargs="?", default=".", metavar="PATH",
                        help="project folder (default .), or a PEP 723 script (its own environment)")
    create.add_argument("--python", metavar="X", help="a version (3.12, 3.12.1) or an interpreter path")
    create.add_argument("--with-group", action="append", default=[], metavar="G",
                        help="also install a dependency group, extra or requirements-G.txt (repeatable)")
    create.add_argument("--only-main", action="store_true",
                        help="install only the main dependencies, not the default development set (the dev/"
                             "test groups, requirements-dev*.txt)")
    create.add_argument("--recreate", action="store_true",
                        help="replace an existing venv (built beside it, swapped in only on success)")
    create.add_argument("--venv-name", default=".venv", metavar="NAME",
                        help="the venv folder (default .venv)")
    _common(create)
    create.set_defaults(run=cmd_create)

    fix = commands.add_parser("fix", help="install what is missing, fix versions, recreate a broken venv")
    fix.add_argument("path", nargs="?", default=".", metavar="PATH", help="project folder (default .)")
    fix.add_argument("--python", metavar="X", help="for a venv that has to be (re)created")
    _common(fix)
    fix.set_defaults(run=cmd_fix, with_group=[], venv_name=".venv", only_main=False)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--installer", choices=("uv", "pip"),
                        help="force an installer (default: uv if available)")
    parser.add_argument("--find-links", action="append", default=[], metavar="DIR",
                        help="also look for packages here (passed to the installer)")
    parser.add_argument("--no-index", action="store_true", help="do not use the package index (offline)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    parser.add_argument("--allow-index-url", action="store_true",
                        help="accept the index options (-i, --extra-index-url, --find-links) that the project's "
                             "requirements files set; without it such a plan is shown and not run")


def _options(args: argparse.Namespace) -> Options:
    return Options(venv_name=args.venv_name, python=args.python, installer=args.installer,
                   groups=tuple(args.with_group), find_links=tuple(args.find_links), no_index=args.no_index,
                   only_main=args.only_main)


@contextmanager
def _ctrl_c(cancel: threading.Event, err: TextIO) -> Iterator[None]:
    """The first Ctrl-C cancels the action (its clean-up still runs); a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        err.write("venvsense: cancelling (Ctrl-C again to stop at once)\n")
        err.flush()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _progress_printer(err: TextIO) -> Callable[[ProgressEvent], None]:
    last: list[str] = []

    def show(event: ProgressEvent) -> None:
        percent = f"{event.percent:3.0f}%" if event.percent is not None else "    "
        line = f"  [{percent}] {event.phase}: {event.message}"
        if last and last[0] == line:
            return
        last[:] = [line]
        err.write(line + "\n")
        err.flush()

    return show


def print_verdict(project: Project, out: TextIO) -> int:
    """``venvsense check``'s verdict for one project, in ``check``'s text format."""
    clear_cache()
    report = check_project(project)
    return print_findings(report, out)


def print_findings(report: ProjectReport, out: TextIO) -> int:
    cwd = Path.cwd()
    worst = Severity.OFF
    for finding in report.findings:
        worst = max(worst, finding.severity)
        out.write(finding_line(finding, cwd) + "\n")
    counts = {label: n for label, n in report.counts().items() if n}
    summary = ", ".join(f"{n} {label}" for label, n in counts.items()) or "no findings"
    out.write(f"venvsense check: {report.project.root.name}: {summary}\n")
    return EXIT_FINDINGS if worst >= Severity.WARNING else EXIT_OK


def _run_plan(plan: Plan, out: TextIO, err: TextIO, allow_index: bool) -> tuple[int, Outcome | None]:
    out.write(plan.describe() + "\n")
    out.flush()
    if plan.index_to_confirm and not allow_index:
        where = "; ".join(f"{setting} ({setting.origin})" for setting in plan.index_to_confirm)
        err.write(f"venvsense: not run: the project's files choose where packages come from ({where}); read the "
                  "plan, then run again with --allow-index-url to accept it\n")
        return EXIT_FAILED, None
    cancel = threading.Event()
    try:
        with _ctrl_c(cancel, err):
            outcome = execute(plan, progress=_progress_printer(err), cancel=cancel)
    except ActionError as error:
        err.write(f"venvsense: {error}\n")
        return EXIT_FAILED, None
    except KeyboardInterrupt:
        err.write("venvsense: interrupted\n")
        return EXIT_INTERRUPTED, None
    stream = out if outcome.ok else err
    stream.write(("" if outcome.ok else "venvsense: ") + outcome.message + "\n")
    if not outcome.ok and outcome.output:
        err.write("  installer output:\n")
        for line in outcome.output:
            err.write(f"    {line}\n")
    if outcome.status == "cancelled":
        return EXIT_INTERRUPTED, outcome
    if outcome.status == "failed":
        return EXIT_FAILED, outcome
    return EXIT_OK, outcome


def cmd_create(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    err = err or sys.stderr
    if args.path.endswith(".py") and Path(args.path).is_file():
        return _create_for_script(args, out, err)
    projects = projects_to_act_on(args.path)
    if len(projects) != 1:
        roots = ", ".join(str(p.root) for p in projects[:5])
        raise UsageError(f"{args.path} holds {len(projects)} projects ({roots}); name one")
    project = projects[0]
    code = _plan_and_run(lambda: plan_create(check_project(project), _options(args), recreate=args.recreate),
                         args, out, err)
    if code is None:
        return EXIT_OK  # (--dry-run)
    if code == EXIT_FAILED and (project.root / args.venv_name).exists():
        print_verdict(project, out)  # the venv is still there (a failed recreate): show where it stands
    if code != EXIT_OK:
        return code
    return print_verdict(project, out)


def _create_for_script(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``venvsense create script.py``: "Create an environment for this script" (``actions.scripts``)."""
    path = Path(args.path).absolute()
    project = project_for_file(path)
    code = _plan_and_run(lambda: plan_script(check_project(project), path, _options(args)), args, out, err)
    if code is None:
        return EXIT_OK  # (--dry-run)
    if code != EXIT_OK:
        return code
    return print_verdict(project, out)


def _plan_and_run(make: Callable[[], Plan], args: argparse.Namespace, out: TextIO, err: TextIO) -> int | None:
    """Make the plan (an ``ActionError``: one line, ``EXIT_FAILED``) and run it: its exit code; ``None`` for
    ``--dry-run`` (the plan printed, nothing run)."""
    try:
        plan = make()
    except ActionError as error:
        err.write(f"venvsense: {error}\n")
        return EXIT_FAILED
    if args.dry_run:
        out.write(plan.describe() + "\n")
        return None
    code, _ = _run_plan(plan, out, err, args.allow_index_url)
    return code


def sync_project(project: Project, report: ProjectReport, options: Options, *, update_lock: bool, dry_run: bool,
                 allow_index: bool, out: TextIO, err: TextIO) -> int:
    """``venvsense sync`` for one project (also what ``fix`` does for a project with a lock it drifted from):
    update the lock first when asked, then sync the venv with it; the verdict after."""
    if update_lock:
        try:
            update = plan_update_lock(report, options)
        except ActionError as error:
            err.write(f"venvsense: {project.root}: {error}\n")
            return EXIT_FAILED
        if dry_run:
            out.write(update.describe() + "\n")
            out.write("Then (planned from the lock as it is now; planned again once it is updated):\n")
        else:
            code, _ = _run_plan(update, out, err, allow_index)
            if code != EXIT_OK:
                return code
            clear_cache()
            report = check_project(project)
    try:
        plan = plan_sync(report, options)
    except ActionError as error:
        err.write(f"venvsense: {project.root}: {error}\n")
        return EXIT_FAILED
    if dry_run:
        out.write(plan.describe() + "\n")
        return EXIT_OK
    code, _ = _run_plan(plan, out, err, allow_index)
    if code == EXIT_INTERRUPTED:
        return code
    verdict = print_verdict(project, out)  # after a failure too: what the installer left is re-checked
    return code if code != EXIT_OK else verdict


def cmd_fix(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    err = err or sys.stderr
    projects = projects_to_act_on(args.path)
    worst = EXIT_OK
    for project in projects:
        report = check_project(project)
        locked = lock_fixes(report)
        if locked or (from_uv_lock(report) and find_uv() is not None):  # the lock's fix first, as the fix-all
            code = sync_project(project, report, _options(args), update_lock=bool(locked) and
                                locked[0].command == UPDATE_LOCK, dry_run=args.dry_run,
                                allow_index=args.allow_index_url, out=out, err=err)
            if code == EXIT_INTERRUPTED:
                return code
            worst = max(worst, code)
            continue
        try:
            plan = plan_fix(report, _options(args))
        except ActionError as error:
            err.write(f"venvsense: {project.root}: {error}\n")
            worst = max(worst, EXIT_FAILED)
            continue
        if plan is None:
            out.write(f"{project.root}: nothing venvsense can fix by installing\n")
            worst = max(worst, print_findings(report, out) if not args.dry_run else EXIT_OK)
            continue
        if args.dry_run:
            out.write(plan.describe() + "\n")
            continue
        code, _ = _run_plan(plan, out, err, args.allow_index_url)
        if code == EXIT_INTERRUPTED:
            return code
        verdict = print_verdict(project, out)  # after a failure too: what the installer left is re-checked
        worst = max(worst, code if code != EXIT_OK else verdict)
    return worst
