"""Hovers (``textDocument/hover``): on a declared requirement (in a manifest or a script's PEP 723 block: the
installed version and where, an editable install's source folder, whether it satisfies the specifier, the
distribution's summary, license and links from its metadata, which installed distributions require it, which files
of the project import it) and on an import (the distribution that provides it).

Everything comes from the project's latest report (``declared.py``); an import under the cursor is found with the
engine's import scanner (fast, no AST) and mapped with ``venvsense.mapping``. Reads of metadata are capped and
cached (``environment.details``); reverse dependencies are computed once per venv state (``ModuleIndex.dependents``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from venvsense.check import ProjectReport
from venvsense.declarations import Declaration
from venvsense.environment import Distribution
from venvsense.environment.details import details
from venvsense.imports import ImportStatement
from venvsense.lsp.context import Context
from venvsense.lsp.features.declared import (
    declaration_at,
    declarations_in,
    import_at,
    importers,
    installed_of,
    module_index,
    target_of,
)
from venvsense.model import relative_path
from venvsense.rules.declarations import satisfies
from venvsense.stdlib import is_stdlib
from venvsense.text import Position

MAX_IMPORTERS = 8
MAX_REQUIRED_BY = 8


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _installed_lines(declaration: Declaration, dist: Distribution) -> list[str]:
    found = details(dist)
    where = dist.metadata_path.parent
    editable = ""
    if dist.editable:
        editable = f" (editable: `{found.editable_location}`)" if found.editable_location else " (editable)"
    lines = [f"installed: **{dist.version}**{editable} in `{where}`"]
    if declaration.kind == "registry" and declaration.specifier:
        ok = satisfies(declaration.specifier, dist.version)
        verdict = "satisfies" if ok else "does **not** satisfy"
        lines.append(f"{dist.version} {verdict} `{declaration.specifier}`")
    if found.license:
        lines.append(f"license: {found.license}")
    if found.links:
        lines.append(" · ".join(f"[{label}]({url})" for label, url in found.links))
    return lines


def _required_by(report: ProjectReport, normalized: str) -> str | None:
    """Which installed distributions require this one (the venv's reverse dependencies)."""
    env, installed = report.environment, report.installed
    if installed is None:
        return None
    dependents = module_index(report).dependents(env.python if env else None).get(normalized, ())
    if not dependents:
        return "required by no other installed distribution"
    shown = []
    for name, extra in dependents[:MAX_REQUIRED_BY]:
        dist = installed.distributions.get(name)
        text = f"`{dist.name}` {dist.version}" if dist else f"`{name}`"
        shown.append(f"{text} (extra `{extra}`)" if extra else text)
    more = f" and {len(dependents) - MAX_REQUIRED_BY} more" if len(dependents) > MAX_REQUIRED_BY else ""
    return f"required by {', '.join(shown)}{more}"


def _importers_line(report: ProjectReport, normalized: str) -> str | None:
    found = importers(report, normalized)
    if found is None:
        return None
    if not found:
        return "not imported by any module of the project"
    shown = ", ".join(f"`{relative_path(f, report.project.root)}`" for f in found[:MAX_IMPORTERS])
    more = f" and {len(found) - MAX_IMPORTERS} more" if len(found) > MAX_IMPORTERS else ""
    return f"imported by {_plural(len(found), 'file')}: {shown}{more}"


def requirement_hover(report: ProjectReport, declaration: Declaration) -> str:
    name = declaration.name or declaration.requirement
    lines = [f"**{name}** `{declaration.requirement}`" if declaration.requirement != name else f"**{name}**"]
    env = report.environment
    dist = installed_of(report, declaration) if env is not None else None
    summary = details(dist).summary if dist is not None else None
    if summary:
        lines.append(f"_{summary}_")
    if declaration.declaration_set:
        lines.append(f"declared in {declaration.declaration_set}")
    if env is None:
        lines.append("no virtual environment: nothing is installed for this project")
    elif report.installed is None:
        lines.append(f"{env.name} cannot be read")
    elif dist is None and not declaration.normalized:
        lines.append("the line names no distribution (no name, `#egg=` or wheel file name): what it installs is "
                     "not known before it is built")
    elif dist is None:
        lines.append(f"not installed in `{env.path}`")
    else:
        lines.extend(_installed_lines(declaration, dist))
        lines.append(_required_by(report, dist.normalized) or "")
    lines.append(_importers_line(report, dist.normalized if dist else declaration.normalized) or "")
    lines.extend(index_lines(report, declaration))
    return "\n\n".join(line for line in lines if line)


def index_lines(report: ProjectReport, declaration: Declaration) -> list[str]:
    """What the package index says about the declaration, from its cache only (never a request here): the
    newest version."""
    from venvsense.index import newest_cached  # the index answers already read (cache), never the network

    newest = newest_cached(declaration.name) if declaration.name else None
    return [f"newest on the index: **{newest}**"] if newest is not None else []


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
    index = module_index(report)
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
    target = target_of(ctx, params.text_document.uri)
    if target is None:
        return None
    session, path, report = ctx.session, target.path, target.report
    position: Position = session.converter_for(path).from_client(params.position)
    text: str | None = None
    declaration = declaration_at(declarations_in(ctx, target), position)
    if declaration is not None:
        text = requirement_hover(report, declaration)
    elif path.suffix in (".py", ".pyi"):
        statement = import_at(report, path, session.text_of(path), position)
        if statement is not None:
            text = import_hover(report, path, statement)
    if text is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))
