"""``venvsense check``: report what is wrong with each project — as text for people (``readable``), one
concise line per finding for tools, or JSON — and exit 1 on warnings or errors."""

from __future__ import annotations

import os
import sys

# `check` of an empty folder answers without the engine (``cli.nothing``): the engine is imported in
# ``cmd_check``, when a project must be read
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any, TextIO

    from venvsense.check import ProjectReport
    from venvsense.cli.memo import Memo
    from venvsense.findings import Finding


# the options' values when none is given (``register`` and ``plain_arguments`` share them)
DEFAULTS = {"venv": None, "format": "text", "color": "auto", "select": None, "ignore": None}


def plain_arguments(words: Sequence[str]) -> object | None:
    """The parsed arguments of ``check PATH...`` when every word after ``check`` is a path (none starts with
    ``-``): what ``argparse`` would give, without importing it; else ``None``."""
    if not words or words[0] != "check" or any(word.startswith("-") or not word for word in words[1:]):
        return None
    from types import SimpleNamespace

    return SimpleNamespace(command="check", paths=list(words[1:]), run=cmd_check, **DEFAULTS)


def register(commands: Any) -> None:
    """Add ``check`` to the CLI's sub-command parsers (``commands`` from ``add_subparsers``)."""
    check = commands.add_parser("check", help="report what is wrong (exit 1 on warnings or errors)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="project folders or manifest files (default .)")
    check.add_argument("--venv", metavar="DIR", help="the venv to check against, instead of discovery")
    check.add_argument("--format", choices=("text", "concise", "json"),
                       help="text: for people (default); concise: one 'path:line:col: CODE message' line per "
                            "finding, for tools; json: the documented schema")
    check.add_argument("--color", "--colour", choices=("auto", "always", "never"),
                       help="colour the text format (auto: on a terminal, unless NO_COLOR is set)")
    check.add_argument("--select", metavar="CODES", help="only these codes (comma-separated; VS2 = all VS2xx)")
    check.add_argument("--ignore", metavar="CODES", help="not these codes (comma-separated)")
    check.set_defaults(run=cmd_check, **DEFAULTS)


def _codes(text: str | None) -> list[str]:
    """``VS201,not-installed,VS3`` → codes and code prefixes, validated."""
    if not text:
        return []
    from venvsense import findings
    from venvsense.cli.projects import UsageError

    out = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        if item.upper().startswith("VS") and item[2:].isdigit() and len(item) < 5:
            out.append(item.upper())
            continue
        try:
            out.append(findings.lookup(item).code)
        except KeyError:
            raise UsageError(f"unknown finding code {item!r}") from None
    return out


def _selected(finding: Finding, select: list[str], ignore: list[str]) -> bool:
    if select and not any(finding.code.startswith(s) for s in select):
        return False
    return not any(finding.code.startswith(i) for i in ignore)


def _interactive(out: TextIO) -> bool:
    try:
        return out.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _with_index_answers(report: ProjectReport, disk_cache: Any) -> ProjectReport:
    """With ``check-outdated`` (and not ``offline``): ask the project's index for the declared names whose cached
    answers are missing or old (short timeouts), and check again when one changed (VS210 reads the cache)."""
    if not report.settings.check_outdated or report.settings.offline or not report.settings.trusted:
        return report
    from venvsense.check import check_project
    from venvsense.index import DiskCache, IndexService, indexes_of, refresh_stale

    cache = DiskCache.default()
    data = report.pyproject_toml.data if report.pyproject_toml is not None else None
    indexes = indexes_of(report.manifests, data, os.environ)
    names = [d.normalized for d in report.declarations if d.kind == "registry" and d.normalized]
    if cache is None or not indexes or not refresh_stale(IndexService(cache), indexes, names):
        return report
    return check_project(report.project, report.settings, disk_cache=disk_cache)


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from venvsense.cli.nothing import empty_roots, write_empty

    roots = None if args.venv else empty_roots(args.paths, os.environ)
    if roots is not None and write_empty(roots, args, out):
        return 0
    # the answer of the last check with the same arguments, when nothing it read has changed (``cli.memo``):
    # given without importing the engine
    from venvsense.cli.memo import Memo

    memo = Memo.of(args, out)
    return _check(args, out, []) if memo is None else _memoised(args, out, memo)


def _memoised(args: argparse.Namespace, out: TextIO, memo: Memo) -> int:
    import time
    from typing import cast

    from venvsense.cli.memo import Recorder, Tee

    started = time.time_ns()
    answer = memo.lookup()
    if answer is not None and not memo.verify:
        out.write(answer[0])
        return answer[1]
    tee = Tee(out)
    reports: list[ProjectReport] = []
    if answer is not None:  # VENVSENSE_MEMO_VERIFY: the engine's answer must be the memo's
        code = _check(args, cast("TextIO", tee), reports)
        if (tee.text(), code) != answer:
            print(f"venvsense: the memo's answer differs from the engine's (exit code {answer[1]} against "
                  f"{code}; memo {memo.path}):\n{answer[0]}", file=sys.stderr)
            return 2
        return code
    with Recorder(memo.folder) as recorder:
        code = _check(args, cast("TextIO", tee), reports)
    if any(report.settings.check_outdated for report in reports):
        memo.report("not stored: check-outdated asks the package index")
    else:
        memo.store(tee.text(), code, recorder, started)
    return code


def _check(args: argparse.Namespace, out: TextIO, checked: list[ProjectReport]) -> int:
    """The engine's check, written to ``out``; ``checked`` gets the projects' reports."""
    from contextlib import nullcontext
    from pathlib import Path

    from venvsense.check import environment_json
    from venvsense.cli.output import finding_json, finding_line, write_json
    from venvsense.cli.projects import check_paths, default_disk_cache
    from venvsense.findings import Severity

    select, ignore = _codes(args.select), _codes(args.ignore)
    cwd = Path.cwd()
    progress = None
    if args.format != "json" and _interactive(out):
        from venvsense.cli.progress import Progress

        progress = Progress(sys.stderr, cwd)
    with progress if progress is not None else nullcontext():
        disk_cache = default_disk_cache()
        reports = check_paths(args.paths, args.venv, disk_cache=disk_cache, watcher=progress)
        reports = [_with_index_answers(report, disk_cache) for report in reports]
    checked.extend(reports)
    worst = Severity.OFF
    shown: list[tuple[ProjectReport, list[Finding]]] = []
    for report in reports:
        kept = [f for f in report.findings if _selected(f, select, ignore)]
        worst = max([worst, *(f.severity for f in kept)])
        shown.append((report, kept))
    if args.format == "json":
        write_json([{
            "root": str(report.project.root),
            "environment": environment_json(report.environment),
            "findings": [finding_json(f, report.project.root) for f in kept],
        } for report, kept in shown], out)
    elif args.format == "concise":
        for _, kept in shown:
            for finding in kept:
                out.write(finding_line(finding, cwd) + "\n")
    else:
        # the text for people (and the fix policy it reads) only when asked for: tools' formats start faster
        from venvsense.cli.readable import Paint, use_colour, write_text

        write_text(shown, args.paths, out, Paint(use_colour(args.color, out)), cwd)
    return 1 if worst >= Severity.WARNING else 0
