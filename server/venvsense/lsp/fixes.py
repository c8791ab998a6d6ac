"""Code actions for findings: commands that run the actions layer, and text edits returned as WorkspaceEdits.

=========  ==================================================================================================
VS101      Create .venv here (command)
VS102      Use this project's .venv (``venvsense.recheck`` with ``venv``) — or Create .venv here when it has none
VS103      Recreate .venv with Python X (command; in-project venvs only)
VS104      Recreate .venv (command)
VS201/203  Install <declared requirement>, Install all missing (commands)
VS202      Install <declared requirement> (command), Change pin to name==installed (edit)
VS301      Install X when X is declared (command); else Add X to requirements.txt / pyproject.toml (edits)
VS302      Add X to requirements.txt / pyproject.toml (edits)
source     ``source.fixAll.venvsense``: what ``venvsense fix`` does (create, recreate or install)
=========  ==================================================================================================

Commands that run a process are left out when the workspace is not trusted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from venvsense.actions.edits import specifier_edit
from venvsense.analysis import ProjectReport
from venvsense.environment import in_project_environments
from venvsense.findings import Finding
from venvsense.lsp import convert, edits
from venvsense.text import Position, Range

CREATE = "venvsense.createEnvironment"
INSTALL = "venvsense.installMissing"
FIX = "venvsense.fixVersions"
RECREATE = "venvsense.recreateEnvironment"
RECHECK = "venvsense.recheck"
COMMANDS = (CREATE, INSTALL, FIX, RECREATE, RECHECK)
PROCESS_COMMANDS = frozenset({CREATE, INSTALL, FIX, RECREATE})
FIX_ALL = "source.fixAll.venvsense"
_VERSION = re.compile(r"\d+(\.\d+){0,2}")


@dataclass(frozen=True)
class Context:
    """What building actions needs besides the report: the editor's text of a file, position conversion."""

    report: ProjectReport
    project_uri: str
    trusted: bool
    text_of: Callable[[Path], str | None]
    converter_for: Callable[[Path], convert.PositionConverter]
    codec: PositionCodec


def _command(title: str, name: str, arguments: dict[str, Any]) -> types.Command:
    return types.Command(title=title, command=name, arguments=[arguments])


def _quickfix(title: str, finding: Finding, ctx: Context, *, command: types.Command | None = None,
              edit: types.WorkspaceEdit | None = None, preferred: bool = False) -> types.CodeAction:
    return types.CodeAction(
        title=title, kind=types.CodeActionKind.QuickFix,
        diagnostics=[convert.diagnostic(finding, ctx.converter_for(finding.file))],
        command=command, edit=edit, is_preferred=preferred or None,
    )


def _declared(report: ProjectReport, package: str) -> bool:
    return any(d.normalized == package for d in report.declarations)


def _display_name(report: ProjectReport, package: str, finding: Finding | None = None) -> str:
    shown = finding.data.get("distribution") if finding is not None else None
    if isinstance(shown, str) and shown:
        return shown
    if report.installed is not None and package in report.installed.distributions:
        return report.installed.distributions[package].name
    return package


def _replacement_edit(path: Path, text: str, replacement: edits.Replacement,
                      ctx: Context) -> types.WorkspaceEdit:
    where = edits.range_of(text, replacement)
    converter = convert.PositionConverter(ctx.codec, text.splitlines())
    edit = types.TextEdit(range=converter.range_to_client(where), new_text=replacement.new_text)
    return types.WorkspaceEdit(changes={convert.uri_of(path): [edit]})


def add_requirement_actions(finding: Finding, package: str, ctx: Context) -> list[types.CodeAction]:
    """Add ``package`` to the main requirements file and/or ``pyproject.toml`` of the project."""
    report, project = ctx.report, ctx.report.project
    name = _display_name(report, package, finding)
    actions: list[types.CodeAction] = []
    targets: list[Path] = []
    if project.main_requirements:
        targets.append(project.main_requirements[0])
    if project.pyproject is not None:
        targets.append(project.pyproject)
    for path in targets:
        text = ctx.text_of(path)
        if text is None:
            continue
        if path.name == "pyproject.toml":
            if edits.declares(text, name):
                continue
            replacement = edits.add_to_pyproject(text, name)
        else:
            replacement = edits.add_to_requirements(text, name)
        if replacement is None:
            continue
        actions.append(_quickfix(f"Add {name} to {path.name}", finding, ctx,
                                 edit=_replacement_edit(path, text, replacement, ctx),
                                 preferred=len(actions) == 0))
    return actions


def change_pin_action(finding: Finding, ctx: Context) -> types.CodeAction | None:
    """Rewrite the declared specifier to accept the installed version (``venvsense.actions.edits``)."""
    installed = finding.data.get("installed")
    if not isinstance(installed, str) or finding.package is None:
        return None
    declaration = next((d for d in [*ctx.report.declarations, *ctx.report.constraints]
                        if d.file == finding.file and d.range == finding.range), None)
    text = ctx.text_of(finding.file)
    if declaration is None or text is None:
        return None
    edit = specifier_edit(declaration, installed, text)
    if edit is None:
        return None
    converter = convert.PositionConverter(ctx.codec, text.splitlines())
    name = declaration.name or finding.package
    title = (f"Change pin to {name}{edit.new_text}" if edit.new_text.startswith("==")
             else f"Change specifier to {name}{edit.new_text}")
    text_edit = types.TextEdit(range=converter.range_to_client(edit.range), new_text=edit.new_text)
    return _quickfix(title, finding, ctx,
                     edit=types.WorkspaceEdit(changes={convert.uri_of(edit.file): [text_edit]}))


def _guessed(report: ProjectReport, finding: Finding) -> bool:
    """Whether the distribution named for an import is only a guess from the import's name."""
    module = finding.data.get("module")
    if not isinstance(module, str) or report.modules is None:
        return False
    providers = report.modules.providers(module)
    return bool(providers) and providers[0].how == "guess"


def _recreate_python(report: ProjectReport) -> str | None:
    pvf = report.python_version_file
    if pvf and pvf.versions and _VERSION.fullmatch(pvf.versions[0][0]):
        return pvf.versions[0][0]
    return None


def actions_for(finding: Finding, ctx: Context) -> list[types.CodeAction]:
    """The quick fixes for one finding, the process-running ones only when trusted."""
    report = ctx.report
    env = report.environment
    project = {"project": ctx.project_uri}
    run = ctx.trusted
    out: list[types.CodeAction] = []
    code = finding.code
    if code == "VS101" and run:
        out.append(_quickfix("Create .venv here", finding, ctx, preferred=True,
                             command=_command("Create .venv here", CREATE, project)))
    elif code == "VS102":
        own = [p for p in in_project_environments(report.project.root) if env is None or p != env.path]
        if own:
            title = f"Use this project's {own[0].name}"
            out.append(_quickfix(title, finding, ctx, preferred=True,
                                 command=_command(title, RECHECK, {**project, "venv": str(own[0])})))
        elif run:
            out.append(_quickfix("Create .venv here", finding, ctx,
                                 command=_command("Create .venv here", CREATE, project)))
    elif code in ("VS103", "VS104") and run and env is not None and env.source == "in-project":
        wanted = finding.data.get("wanted") if code == "VS103" else _recreate_python(report)
        arguments = dict(project)
        if isinstance(wanted, str) and _VERSION.fullmatch(wanted):
            title = f"Recreate {env.name} with Python {wanted}"
            arguments["python"] = wanted
        elif isinstance(wanted, str):
            title = f"Recreate {env.name} with a Python matching {wanted}"
        else:
            title = f"Recreate {env.name}"
        out.append(_quickfix(title, finding, ctx, preferred=True, command=_command(title, RECREATE, arguments)))
    elif code in ("VS201", "VS203") and run and finding.package:
        wanted = str(finding.data.get("wanted") or finding.package)
        title = f"Install {wanted}"
        out.append(_quickfix(title, finding, ctx, preferred=True,
                             command=_command(title, INSTALL, {**project, "packages": [finding.package]})))
        missing = {f.package for f in report.findings if f.code == "VS201" and f.package}
        if len(missing) > 1:
            out.append(_quickfix("Install all missing", finding, ctx,
                                 command=_command("Install all missing", INSTALL, project)))
    elif code == "VS202" and finding.package:
        if run:
            wanted = str(finding.data.get("wanted") or finding.package)
            title = f"Install {wanted}"
            out.append(_quickfix(title, finding, ctx,
                                 command=_command(title, FIX, {**project, "packages": [finding.package]})))
        pin = change_pin_action(finding, ctx)
        if pin is not None:
            out.append(pin)
    elif code == "VS301" and finding.package:
        if _declared(report, finding.package):
            if run:
                title = f"Install {_display_name(report, finding.package)}"
                out.append(_quickfix(title, finding, ctx, preferred=True,
                                     command=_command(title, INSTALL, {**project, "packages": [finding.package]})))
        elif not _guessed(report, finding):
            out.extend(add_requirement_actions(finding, finding.package, ctx))
    elif code == "VS302" and finding.package:
        out.extend(add_requirement_actions(finding, finding.package, ctx))
    return out


def fix_all_action(ctx: Context) -> types.CodeAction | None:
    """``source.fixAll.venvsense``: create a missing venv, recreate a broken one, or install what is missing
    or mismatched — one command, as ``venvsense fix`` does."""
    if not ctx.trusted:
        return None
    report = ctx.report
    codes = {f.code for f in report.findings}
    project = {"project": ctx.project_uri}
    env = report.environment
    if env is None and report.declarations:
        command = _command("Create .venv and install the declared dependencies", CREATE, project)
    elif env is not None and env.source == "in-project" and codes & {"VS103", "VS104"}:
        command = _command(f"Recreate {env.name}", RECREATE, project)
    elif codes & {"VS201", "VS202", "VS203"}:
        command = _command("Install missing and mismatched dependencies", FIX, project)
    else:
        return None
    return types.CodeAction(title=f"venvsense: {command.title}", kind=FIX_ALL, command=command)


def wanted_kind(kind: str, only: Sequence[str] | None) -> bool:
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


def code_actions(ctx: Context, path: Path, start: Position, end: Position, only: Sequence[str] | None,
                 diagnosed: Collection[tuple[str, Range]] = ()) -> list[types.CodeAction]:
    """The actions for the findings of ``path`` that touch ``start``–``end`` or that the client named in its
    context (``diagnosed``: code and range of each diagnostic it sent)."""
    out: list[types.CodeAction] = []
    if wanted_kind(types.CodeActionKind.QuickFix, only):
        seen: set[str] = set()
        for finding in ctx.report.findings:
            if finding.file != path:
                continue
            if (finding.code, finding.range) not in diagnosed and not convert.overlaps(finding.range, start, end):
                continue
            for action in actions_for(finding, ctx):
                if action.title not in seen:
                    seen.add(action.title)
                    out.append(action)
    if wanted_kind(FIX_ALL, only) and (only or any(f.file == path for f in ctx.report.findings)):
        fix_all = fix_all_action(ctx)
        if fix_all is not None:
            out.append(fix_all)
    return out
