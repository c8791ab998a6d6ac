"""The ``venvsense`` command line: argument parsing and output only; the work is in the engine."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from venvsense import __version__
from venvsense import findings as F
from venvsense.analysis import ProjectReport, check_project
from venvsense.config import Settings
from venvsense.environment import Environment, read_installed
from venvsense.findings import Finding, Severity
from venvsense.imports import enable_persistent_cache
from venvsense.workspace import find_projects

SCHEMA = 1


class UsageError(Exception):
    """Bad arguments or an unusable path: one line on stderr, exit 2."""


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
            out.append(F.lookup(item).code)
        except KeyError:
            raise UsageError(f"unknown finding code {item!r}") from None
    return out


def _selected(finding: Finding, select: list[str], ignore: list[str]) -> bool:
    if select and not any(finding.code.startswith(s) for s in select):
        return False
    return not any(finding.code.startswith(i) for i in ignore)


def _reports(args: argparse.Namespace, *, imports: bool = True) -> list[ProjectReport]:
    settings = Settings(venv=Path(args.venv).resolve() if args.venv else None, check_imports=imports)
    reports = []
    for raw in args.paths or ["."]:
        try:
            projects = find_projects(Path(raw))
        except FileNotFoundError:
            raise UsageError(f"{raw}: no such file or directory") from None
        except OSError as error:
            raise UsageError(f"{raw}: {error.strerror or error}") from None
        for project in projects:
            reports.append(check_project(project, settings))
    return reports


def _environment_json(env: Environment | None) -> dict[str, Any] | None:
    if env is None:
        return None
    return {"path": str(env.path), "python": env.python, "source": env.source}


def _position(line: int, column: int) -> dict[str, int]:
    return {"line": line + 1, "column": column + 1}


def finding_json(finding: Finding, root: Path) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "file": _relative(finding.file, root),
        "range": {
            "start": _position(finding.range.start.line, finding.range.start.column),
            "end": _position(finding.range.end.line, finding.range.end.column),
        },
        "package": finding.package,
        "set": finding.declared_in,
    }


def finding_line(finding: Finding, cwd: Path) -> str:
    """The text format of one finding: ``path:line:column: CODE message`` (1-based; path relative to cwd)."""
    start = finding.range.start
    return f"{_relative(finding.file, cwd)}:{start.line + 1}:{start.column + 1}: {finding.code} {finding.message}"


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        try:
            return os.path.relpath(path, base)
        except ValueError:
            return str(path)


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    select, ignore = _codes(args.select), _codes(args.ignore)
    reports = _reports(args)
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
            "environment": _environment_json(report.environment),
            "findings": [finding_json(f, report.project.root) for f in kept],
        })
    if args.format == "json":
        json.dump({"schema": SCHEMA, "projects": documents}, out, indent=2)
        out.write("\n")
    else:
        for line in lines:
            out.write(line + "\n")
    return 1 if worst >= Severity.WARNING else 0


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    reports = _reports(args, imports=args.what == "imports")
    documents: list[dict[str, Any]] = []
    for report in reports:
        document: dict[str, Any] = {"root": str(report.project.root),
                                    "environment": _environment_json(report.environment)}
        if args.what == "env":
            document["distributions"] = _distributions_json(report)
        elif args.what == "imports":
            document["imports"] = _imports_json(report)
        elif args.what == "deps":
            document["declared"] = [
                {
                    "name": d.name, "normalized": d.normalized, "specifier": d.specifier,
                    "extras": sorted(d.extras), "marker": d.marker, "kind": d.kind, "url": d.url,
                    "file": _relative(d.file, report.project.root), "line": d.range.start.line + 1,
                    "group": d.group,
                }
                for d in report.declarations
            ]
        documents.append(document)
    if args.format == "json":
        json.dump({"schema": SCHEMA, "projects": documents}, out, indent=2)
        out.write("\n")
        return 0
    for document in documents:
        env = document["environment"]
        out.write(f"{document['root']}\n")
        out.write(f"  environment: {env['path']} (Python {env['python'] or '?'}, {env['source']})\n"
                  if env else "  environment: none\n")
        if args.what == "imports":
            for item in document["imports"]:
                flags = "".join(f" [{flag}]" for flag in ("optional", "type_checking") if item[flag])
                provider = f" → {item['distribution']}" if item["distribution"] else ""
                out.write(f"  {item['file']}:{item['line']}:{item['column']}: {item['module'] or '.'} "
                          f"({item['kind']}{provider}){flags}\n")
        elif args.what == "env":
            for dist in document["distributions"]:
                flag = " (editable)" if dist["editable"] else ""
                modules = ", ".join(dist["modules"])
                out.write(f"  {dist['name']} {dist['version']}{flag}  [{modules}]\n")
        else:
            for dep in document["declared"]:
                where = f"{dep['file']}:{dep['line']}"
                group = "" if dep["group"] == "main" else f"  ({dep['group']})"
                out.write(f"  {dep['name']}{dep['specifier']}  {where}{group}\n")
    return 0


def _imports_json(report: ProjectReport) -> list[dict[str, Any]]:
    if report.usage is None:
        return []
    root = report.project.root
    return [
        {
            "module": item.module, "top": item.top, "file": _relative(item.file, root),
            "line": item.statement.line + 1, "column": item.statement.column + 1, "kind": item.kind,
            "optional": item.statement.optional, "type_checking": item.statement.type_checking,
            "distribution": item.distribution,
        }
        for item in sorted(report.usage.imports, key=lambda i: (str(i.file), i.statement.line, i.statement.column))
    ]


def _distributions_json(report: ProjectReport) -> list[dict[str, Any]]:
    env = report.environment
    if env is None:
        return []
    installed = report.installed if report.installed is not None else read_installed(env)
    return [
        {"name": d.name, "normalized": d.normalized, "version": d.version, "modules": sorted(d.modules),
         "editable": d.editable, "requires": list(d.requires)}
        for d in sorted(installed.distributions.values(), key=lambda d: d.normalized)
    ]


def build_parser(*, engine_only: bool = False) -> argparse.ArgumentParser:
    """The parser of every command; ``engine_only``: only ``check`` and ``show`` (which then need not import the
    actions and the language server)."""
    parser = argparse.ArgumentParser(
        prog="venvsense",
        description="Check that each Python project has its own venv with exactly what it declares installed.",
    )
    parser.add_argument("--version", action="version", version=f"venvsense {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="report what is wrong (exit 1 on warnings or errors)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="project folders or manifest files (default .)")
    check.add_argument("--venv", metavar="DIR", help="the venv to check against, instead of discovery")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--select", metavar="CODES", help="only these codes (comma-separated; VS2 = all VS2xx)")
    check.add_argument("--ignore", metavar="CODES", help="not these codes (comma-separated)")
    check.set_defaults(run=cmd_check)

    show = commands.add_parser("show", help="what venvsense sees: the env, the declared deps, the imports")
    show.add_argument("what", choices=("env", "deps", "imports"))
    show.add_argument("paths", nargs="*", metavar="PATH")
    show.add_argument("--venv", metavar="DIR")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(run=cmd_show)

    if engine_only:
        return parser
    from venvsense.actions.commands import register_action_commands  # actions import the CLI-free engine

    register_action_commands(commands)

    from venvsense.lsp import register_serve_command  # pygls is imported only when `serve` runs

    register_serve_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:2] if argv is None else list(argv[:1])
    parser = build_parser(engine_only=words in (["check"], ["show"]))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 2
    # A check allocates a hundred thousand small, long-lived and acyclic objects (the imports of every module):
    # the cyclic collector would walk them again and again for nothing (a fifth of a large check's time). Only
    # for the short commands; `serve` runs with the collector as usual.
    collect = args.command in ("check", "show") and gc.isenabled()
    if collect:
        gc.disable()
    if args.command in ("check", "show"):
        # repeated runs on a large project reuse the import scans of the last one (``~/.cache/venvsense``);
        # the language server keeps its scans in memory instead
        enable_persistent_cache()
    try:
        result: int = args.run(args, sys.stdout)
        return result
    except UsageError as error:
        print(f"venvsense: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        print("venvsense: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug of ours: one clear line, not a traceback (VENVSENSE_DEBUG=1 shows it)
        if os.environ.get("VENVSENSE_DEBUG"):
            raise
        print(f"venvsense: internal error ({type(error).__name__}: {error}); "
              "run again with VENVSENSE_DEBUG=1 for the traceback and please report it", file=sys.stderr)
        return 2
    finally:
        if collect:
            if argv is None:
                # the program itself (not a caller passing arguments) is about to exit: move what it made into
                # the collector's permanent generation, so exiting does not walk the hundred thousand objects
                # (a third of a warm check's time)
                gc.freeze()
            gc.enable()
