"""``venvsense check``: report what is wrong with each project, as text lines or JSON; exit 1 on warnings or
errors."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from venvsense import findings
from venvsense.check import environment_json
from venvsense.cli.output import finding_json, finding_line, write_json
from venvsense.cli.projects import UsageError, check_paths
from venvsense.findings import Finding, Severity


def register(commands: Any) -> None:
    """Add ``check`` to the CLI's sub-command parsers (``commands`` from ``add_subparsers``)."""
    check = commands.add_parser("check", help="report what is wrong (exit 1 on warnings or errors)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="project folders or manifest files (default .)")
    check.add_argument("--venv", metavar="DIR", help="the venv to check against, instead of discovery")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--select", metavar="CODES", help="only these codes (comma-separated; VS2 = all VS2xx)")
    check.add_argument("--ignore", metavar="CODES", help="not these codes (comma-separated)")
    check.set_defaults(run=cmd_check)


def _codes(text: str | None) -> list[str]:
    """``VS201,not-installed,VS3`` → codes and code prefixes, validated."""
    if not text:
        return []
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


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    select, ignore = _codes(args.select), _codes(args.ignore)
    reports = check_paths(args.paths, args.venv, disk_cache=args.disk_cache)
    worst = Severity.OFF
    documents = []
    cwd = Path.cwd()
    lines = []
    for report in reports:
        kept = [f for f in report.findings if _selected(f, select, ignore)]
        for finding in kept:
            worst = max(worst, finding.severity)
            lines.append(finding_line(finding, cwd))
        documents.append({
            "root": str(report.project.root),
            "environment": environment_json(report.environment),
            "findings": [finding_json(f, report.project.root) for f in kept],
        })
    if args.format == "json":
        write_json(documents, out)
    else:
        for line in lines:
            out.write(line + "\n")
    return 1 if worst >= Severity.WARNING else 0
