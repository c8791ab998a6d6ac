"""``venvsense show env|deps|imports``: what venvsense sees in each project — the environment's distributions,
the declared dependencies, the classified imports — as text or JSON."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

from venvsense.check import ProjectReport, environment_json
from venvsense.classify.byname import used_by_name
from venvsense.cli.output import relative_path, shown_path, write_json
from venvsense.cli.projects import check_paths, default_disk_cache
from venvsense.environment import read_installed
from venvsense.model import Scopes


def register(commands: Any) -> None:
    """Add ``show`` to the CLI's sub-command parsers (``commands`` from ``add_subparsers``)."""
    show = commands.add_parser("show", help="what venvsense sees: the env, the declared deps, the imports")
    show.add_argument("what", choices=("env", "deps", "imports"))
    show.add_argument("paths", nargs="*", metavar="PATH")
    show.add_argument("--venv", metavar="DIR")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(run=cmd_show)


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    reports = check_paths(args.paths, args.venv, imports=args.what == "imports",
                          disk_cache=default_disk_cache())
    documents: list[dict[str, Any]] = []
    for report in reports:
        document: dict[str, Any] = {"root": str(report.project.root),
                                    "environment": environment_json(report.environment)}
        if args.what == "env":
            document["distributions"] = _distributions_json(report)
        elif args.what == "imports":
            document["imports"] = _imports_json(report)
            document["used_by_name"] = _by_name_json(report)
        elif args.what == "deps":
            document["declared"] = _declared_json(report)
        documents.append(document)
    if args.format == "json":
        write_json(documents, out)
        return 0
    cwd = Path.cwd()
    for document in documents:
        _write_text(args.what, document, out, cwd)
    return 0


def _write_text(what: str, document: dict[str, Any], out: TextIO, cwd: Path) -> None:
    """One project of ``show`` in the text format, from its JSON document (paths relative to ``cwd``)."""
    env = document["environment"]
    root = Path(document["root"])
    out.write(f"{shown_path(root, cwd)}\n")
    out.write(f"  environment: {shown_path(Path(env['path']), cwd)} (Python {env['python'] or '?'}, "
              f"{env['source']})\n" if env else "  environment: none\n")
    if what == "imports":
        for item in document["imports"]:
            flags = "".join(f" [{flag}]" for flag in ("optional", "type_checking") if item[flag])
            provider = f" → {item['distribution']}" if item["distribution"] else ""
            written = "." * item["level"] + item["module"]  # a relative import as written: `.`, `.app`, `..x`
            out.write(f"  {shown_path(_under(root, item['file']), cwd)}:{item['line']}:{item['column']}: {written} "
                      f"({item['kind']}{provider}){flags}\n")
        for use in document["used_by_name"]:
            out.write(f"  {use['file']}:{use['line']}: {use['distribution']} used by name ({use['how']})\n")
    elif what == "env":
        for dist in document["distributions"]:
            flag = " (editable)" if dist["editable"] else ""
            modules = ", ".join(dist["modules"])
            out.write(f"  {dist['name']} {dist['version']}{flag}  [{modules}]\n")
    else:
        for dep in document["declared"]:
            where = f"{shown_path(_under(root, dep['file']), cwd)}:{dep['line']}"
            group = "" if dep["group"] == "main" else f"  ({dep['group']})"
            out.write(f"  {dep['name']}{dep['specifier']}  {where}{group}\n")


def _under(root: Path, relative: str) -> Path:
    """A path of the JSON document (relative to the project, maybe with ``..``) made whole again."""
    return Path(os.path.normpath(root / relative))


def _declared_json(report: ProjectReport) -> list[dict[str, Any]]:
    root = report.project.root
    return [
        {
            "name": d.name, "normalized": d.normalized, "specifier": d.specifier,
            "extras": sorted(d.extras), "marker": d.marker, "kind": d.kind, "url": d.url,
            "file": relative_path(d.file, root), "line": d.range.start.line + 1,
            "group": d.group,
        }
        for d in report.declarations
    ]


def _imports_json(report: ProjectReport) -> list[dict[str, Any]]:
    if report.usage is None:
        return []
    root = report.project.root
    scopes = report.scopes if report.scopes is not None else Scopes(root)
    return [
        {
            "module": item.module, "level": item.statement.level, "top": item.top,
            "file": relative_path(item.file, root),
            "line": item.statement.line + 1, "column": item.statement.column + 1, "kind": item.kind,
            "optional": item.statement.optional, "type_checking": item.statement.type_checking,
            "distribution": item.distribution, "scope": scopes.of(item.file),
        }
        for item in sorted(report.usage.imports, key=lambda i: (str(i.file), i.statement.line, i.statement.column))
    ]


def _by_name_json(report: ProjectReport) -> list[dict[str, Any]]:
    """The declared distributions the project uses by name rather than by import, each with where (the uses
    that keep them from VS303)."""
    if report.usage is None or report.modules is None:
        return []
    index, wanted = report.modules, {}
    for declaration in report.declarations:
        if declaration.normalized and declaration.normalized not in wanted:
            spelled = declaration.name.strip().replace("-", "_").replace(".", "_")
            wanted[declaration.normalized] = (*index.distribution_modules(declaration.normalized), spelled)
    named = used_by_name(report.project.root, report.usage, wanted.items())
    found = []
    for normalized, modules in sorted(wanted.items()):
        use = named.use_of(normalized, modules)
        if use is not None:
            found.append({"distribution": normalized, "file": relative_path(use.file, report.project.root),
                          "line": use.line, "how": use.what})
    return found


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
