"""Hovers (``textDocument/hover``): on a declared requirement (installed version, where, whether it satisfies
the specifier, which modules of the project import it) and on an import (the distribution that provides it).

Everything comes from the project's latest report; an import under the cursor is found by scanning the
buffer's text with the engine's import scanner (fast, no AST) and mapped with ``venvsense.mapping``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from lsprotocol import types

from venvsense.check import ProjectReport
from venvsense.declarations import Declaration
from venvsense.imports import ImportStatement, scan_source
from venvsense.lsp.context import Context
from venvsense.mapping import ModuleIndex
from venvsense.model import relative_path
from venvsense.rules.declarations import satisfies
from venvsense.stdlib import is_stdlib
from venvsense.text import Position, Range

MAX_IMPORTERS = 8


def _contains(range_: Range, position: Position) -> bool:
    return range_.start <= position <= range_.end


def declaration_at(report: ProjectReport, path: Path, position: Position) -> Declaration | None:
    for declaration in [*report.declarations, *report.constraints]:
        if declaration.file == path and _contains(declaration.range, position):
            return declaration
    return None




def importers(report: ProjectReport, normalized: str) -> list[str] | None:
    """The project files that import ``normalized`` (relative paths), or ``None`` when the report carries no
    import data (import checks are off)."""
    usage = report.usage
    if usage is None:
        return None
    files: dict[str, None] = {}
    for item in usage.third_party:
        provided = item.distribution == normalized
        if not provided and not item.providers and report.modules is not None:
            provided = any(p.distribution == normalized for p in report.modules.providers(item.target))
        if provided:
            files.setdefault(relative_path(item.file, report.project.root), None)
    return list(files)


def requirement_hover(report: ProjectReport, declaration: Declaration) -> str:
    name = declaration.name or declaration.requirement
    lines = [f"**{name}** `{declaration.requirement}`" if declaration.requirement != name else f"**{name}**"]
    if declaration.declaration_set:
        lines.append(f"declared in {declaration.declaration_set}")
    env = report.environment
    if env is None:
        lines.append("no virtual environment: nothing is installed for this project")
    elif report.installed is None:
        lines.append(f"{env.name} cannot be read")
    else:
        dist = report.installed.distributions.get(declaration.normalized)
        if dist is None:
            lines.append(f"not installed in `{env.path}`")
        else:
            where = dist.metadata_path.parent
            lines.append(f"installed: **{dist.version}**{' (editable)' if dist.editable else ''} in `{where}`")
            if declaration.kind == "registry" and declaration.specifier:
                ok = satisfies(declaration.specifier, dist.version)
                verdict = "satisfies" if ok else "does **not** satisfy"
                lines.append(f"{dist.version} {verdict} `{declaration.specifier}`")
    from venvsense.index import newest_cached  # the index answers already read (cache), never the network

    newest = newest_cached(declaration.name) if declaration.name else None
    if newest is not None:
        lines.append(f"newest on the index: **{newest}**")
    found = importers(report, declaration.normalized)
    if found is not None:
        if found:
            shown = ", ".join(f"`{f}`" for f in found[:MAX_IMPORTERS])
            more = f" and {len(found) - MAX_IMPORTERS} more" if len(found) > MAX_IMPORTERS else ""
            lines.append(f"imported by {shown}{more}")
        else:
            lines.append("not imported by any module of the project")
    return "\n\n".join(lines)


def import_at(report: ProjectReport, path: Path, text: str | None, position: Position) -> ImportStatement | None:
    """The absolute import whose module name is under ``position``: from the last check's scan of ``path``
    when there is one, else from a scan of ``text``."""
    statements: Iterable[ImportStatement] = ()
    if report.usage is not None and path in report.usage.scanned:
        statements = report.usage.scanned[path].imports
    elif text is not None:
        statements = scan_source(text).imports
    for statement in statements:
        start = Position(statement.line, statement.column)
        end = Position(statement.end_line, statement.end_column)
        if statement.level == 0 and start <= position <= end:
            return statement
    return None


def import_hover(report: ProjectReport, path: Path, statement: ImportStatement) -> str | None:
    classified = None
    if report.usage is not None:
        classified = next((i for i in report.usage.of_file(path) if i.statement == statement), None)
    top = statement.module.split(".", 1)[0]
    if classified is not None and classified.kind in ("stdlib", "first-party"):
        kind = "standard library" if classified.kind == "stdlib" else "part of this project"
        return f"`{statement.module}`: {kind}"
    if classified is None and is_stdlib(top, report.environment.python if report.environment else None):
        return f"`{statement.module}`: standard library"
    index = report.modules or ModuleIndex(report.installed, module_map=report.settings.module_map)
    providers = list(classified.providers) if classified and classified.providers else index.providers(
        classified.target if classified else statement.module)
    if not providers:
        return None
    env = report.environment
    lines = [f"`import {statement.module}`"]
    for provider in providers:
        if provider.installed is not None:
            lines.append(f"provided by **{provider.installed.name}** {provider.installed.version}"
                         f" (installed in `{env.path if env else '?'}`)")
        elif provider.how == "guess":
            lines.append(f"not provided by any installed distribution (perhaps `{provider.name}`)")
        else:
            lines.append(f"provided by **{provider.name}** ({provider.how}), not installed")
        declared = _declared_in(report.declarations, provider.distribution)
        if declared:
            lines.append(f"declared in {declared}")
    return "\n\n".join(lines)


def _declared_in(declarations: Sequence[Declaration], normalized: str) -> str | None:
    for declaration in declarations:
        if declaration.normalized == normalized:
            return declaration.declaration_set
    return None


def hover_at(ctx: Context, params: types.HoverParams) -> types.Hover | None:
    session = ctx.session
    path = session.path_of_document(params.text_document.uri)
    state = session.project_of(path) if path else None
    if path is None or state is None or state.report is None:
        return None
    position: Position = session.converter_for(path).from_client(params.position)
    report = state.report
    text: str | None = None
    declaration = declaration_at(report, path, position)
    if declaration is not None:
        text = requirement_hover(report, declaration)
    elif path.suffix in (".py", ".pyi"):
        statement = import_at(report, path, session.text_of(path), position)
        if statement is not None:
            text = import_hover(report, path, statement)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))
