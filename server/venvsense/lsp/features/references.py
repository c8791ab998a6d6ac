"""References and definitions between declarations and imports.

* ``textDocument/references`` on a declaration (a manifest's, or a script's PEP 723 block's): every import of the
  project's modules that the distribution provides (from the check's import scan), and the declarations of the
  same distribution when the client asks for the declaration too. On an import: the same, for the distribution
  that provides it.
* ``textDocument/definition`` on an import: the declaration lines that provide it (the script's own block first,
  then the project's manifests), then the installed module's file (its package's ``__init__.py``, the module,
  or its stub) in the venv or an editable install's source folder. On a declaration: the files of the top-level
  modules its installed distribution provides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from lsprotocol import types

from venvsense.check import ProjectReport
from venvsense.declarations import Declaration
from venvsense.environment.details import details
from venvsense.imports import ImportStatement
from venvsense.lsp import convert
from venvsense.lsp.context import Context
from venvsense.lsp.features.declared import (
    Target,
    current_target,
    declaration_at,
    declarations_in,
    import_at,
    import_sites,
    installed_of,
    module_index,
)
from venvsense.lsp.session import Session
from venvsense.text import START, Position, Range

_MODULE_FILES = ("__init__.py", "__init__.pyi")
_SUFFIXES = (".py", ".pyi")


def _location(session: Session, path: Path, range_: Range) -> types.Location:
    converter = session.converter_for(path) if range_ != START else None
    client_range = converter.range_to_client(range_) if converter else types.Range(
        types.Position(0, 0), types.Position(0, 0))
    return types.Location(uri=session.document_uris.get(path) or convert.uri_of(path), range=client_range)


def _providing(ctx: Context, target: Target, position: Position) -> tuple[list[str], ImportStatement | None]:
    """The distributions the thing under ``position`` is about (a declaration's, or the providers of an
    import), and the import when it is one."""
    declaration = declaration_at(declarations_in(ctx, target), position)
    if declaration is not None:
        return ([declaration.normalized] if declaration.normalized else []), None
    if target.path.suffix not in _SUFFIXES:
        return [], None
    statement = import_at(target.report, target.path, ctx.session.text_of(target.path), position)
    if statement is None:
        return [], None
    return _providers_of(target.report, target.path, statement), statement


def _providers_of(report: ProjectReport, path: Path, statement: ImportStatement) -> list[str]:
    classified = None
    if report.usage is not None:
        classified = next((i for i in report.usage.of_file(path) if i.statement == statement), None)
    if classified is not None and classified.kind != "third-party":
        return []
    if classified is not None and classified.providers:
        return list(dict.fromkeys(p.distribution for p in classified.providers))
    providers = module_index(report).providers(classified.target if classified else statement.module)
    return list(dict.fromkeys(p.distribution for p in providers if p.how != "guess" or p.installed is not None))


def _declarations_of(report: ProjectReport, names: Sequence[str]) -> list[Declaration]:
    wanted = set(names)
    return [d for d in (*report.declarations, *report.constraints) if d.normalized in wanted]


async def references(ctx: Context, params: types.ReferenceParams) -> list[types.Location]:
    target = await current_target(ctx, params.text_document.uri)
    if target is None:
        return []
    session, report = ctx.session, target.report
    names, _ = _providing(ctx, target, session.converter_for(target.path).from_client(params.position))
    found: list[types.Location] = []
    if params.context.include_declaration:
        found.extend(_location(session, d.file, d.range) for d in _declarations_of(report, names))
    seen: set[tuple[Path, Range]] = set()
    for name in names:
        for item in import_sites(report, name) or ():
            key = (item.file, item.range)
            if key not in seen:
                seen.add(key)
                found.append(_location(session, item.file, item.range))
    return found


def _module_file(folders: Iterable[Path], module: str) -> Path | None:
    """The file that defines ``module`` (or, failing that, the nearest package above it) in ``folders``."""
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        for folder in folders:
            base = folder.joinpath(*parts[:depth])
            for candidate in [base / name for name in _MODULE_FILES] + [base.with_name(base.name + s)
                                                                         for s in _SUFFIXES]:
                if candidate.is_file():
                    return candidate
    return None


def installed_module_file(report: ProjectReport, names: Sequence[str], module: str) -> Path | None:
    """Where the venv (or an editable install's source folder) holds ``module`` of one of the distributions."""
    env = report.environment
    if env is None:
        return None
    folders = list(env.site_packages)
    for name in names:
        dist = report.installed.distributions.get(name) if report.installed else None
        location = details(dist).editable_location if dist is not None and dist.editable else None
        if location is not None:
            folders[:0] = [location / "src", location]
    return _module_file(folders, module)


def _declared_module_files(ctx: Context, target: Target, position: Position) -> list[types.Location] | None:
    """On a declaration: the files of the top-level modules its installed distribution provides (``None``: not on
    a declaration)."""
    declaration = declaration_at(declarations_in(ctx, target), position)
    if declaration is None:
        return None
    dist = installed_of(target.report, declaration)
    if dist is None:
        return []
    found = (installed_module_file(target.report, [dist.normalized], module) for module in dist.modules)
    return [_location(ctx.session, path, START) for path in dict.fromkeys(f for f in found if f is not None)]


async def definition(ctx: Context, params: types.DefinitionParams) -> list[types.Location]:
    target = await current_target(ctx, params.text_document.uri)
    if target is None:
        return []
    session, report = ctx.session, target.report
    position = session.converter_for(target.path).from_client(params.position)
    on_declaration = _declared_module_files(ctx, target, position)
    if on_declaration is not None or target.path.suffix not in _SUFFIXES:
        return on_declaration or []
    statement = import_at(report, target.path, session.text_of(target.path), position)
    if statement is None:
        return []
    names = _providers_of(report, target.path, statement)
    if not names:
        return []
    own = [d for d in declarations_in(ctx, target) if d.normalized in names]  # the script's PEP 723 block
    found = [_location(session, d.file, d.range) for d in (*own, *_declarations_of(report, names))]
    module_file = installed_module_file(report, names, statement.module)
    if module_file is not None:
        found.append(_location(session, module_file, START))
    return found
