"""What the manifest features (inlay hints, hovers, code lens, references, definitions) share: the project report
a request is about (current with the buffers), the declarations of a document (a manifest's, or a script's PEP 723
block), what is installed for a declaration, and where each distribution is imported.

Everything comes from the project's latest report; the import-site index and a report's ``ModuleIndex`` are
computed once per report (``lsp.features.per_report``), never per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from venvsense.caches import MemoryCache
from venvsense.check import ProjectReport
from venvsense.classify import ClassifiedImport
from venvsense.declarations import Declaration
from venvsense.environment import Distribution, marker_environment
from venvsense.environment.details import details
from venvsense.imports import ImportStatement, scan_source
from venvsense.lsp.context import Context
from venvsense.lsp.features.scriptblock import SCRIPT_HEAD, SCRIPT_MARK, script_declarations
from venvsense.lsp.jsonrpc import RawResult
from venvsense.lsp.session import ProjectState
from venvsense.mapping import ModuleIndex
from venvsense.rules.declarations import marker_holds, satisfies
from venvsense.text import Position

# how long a request about a document waits for the check of its newest buffer (then it answers from the last
# report): a keystroke's re-check of a requirements file takes milliseconds
CURRENT_WAIT = 2.0
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """A request's document: its path, its project and that project's report."""

    path: Path
    state: ProjectState
    report: ProjectReport


def target_of(ctx: Context, uri: str) -> Target | None:
    session = ctx.session
    path = session.path_of_document(uri)
    state = session.project_of(path) if path is not None else None
    if path is None or state is None or state.report is None:
        return None
    return Target(path, state, state.report)


async def current_target(ctx: Context, uri: str) -> Target | None:
    """``target_of`` once the project's check answers its newest generation (or ``CURRENT_WAIT`` passed)."""
    session = ctx.session
    path = session.path_of_document(uri)
    state = session.project_of(path) if path is not None else None
    if state is None:
        return None
    if not state.current:  # quietly: a long first check is no news for each hint request made meanwhile
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(state.fresh.wait(), CURRENT_WAIT)
    return target_of(ctx, uri)


# what the manifest features compute from a project's report (its import sites by distribution, its ModuleIndex when
# the check made none, the venv's marker values), for its newest report only: a new report replaces the entry, and
# the scheduler's ``after_check`` drops it (``forget``) so no superseded report stays alive
PER_REPORT: MemoryCache[Path, tuple[ProjectReport, dict[str, Any]]] = MemoryCache(
    name="lsp.features.per_report",
    key="a project root (the entry keeps the report its values were computed from, compared by identity)",
    invalidation="a value is used only for that very report; each published report drops the entry",
    owner="the language server (the manifest features)",
    limit=256,
)


def per_report(report: ProjectReport, name: str, make: Callable[[], T], *, key: object = None) -> T:
    """A value computed once per report (and ``key``: a value of another key replaces it, so each name keeps
    one value, the last asked for)."""
    root = report.project.root
    entry = PER_REPORT.get(root)
    if entry is None or entry[0] is not report:
        entry = PER_REPORT.put(root, (report, {}))
    values = entry[1]
    kept = values.get(name)
    if kept is None or kept[0] != key:
        kept = values[name] = (key, make())
    return kept[1]


def forget(root: Path) -> None:
    """A project has a new report: drop what was computed from the old one."""
    PER_REPORT.pop(root)


def may_declare(ctx: Context, uri: str) -> bool:
    """Whether a document can hold declarations: any but a module without a PEP 723 block (asked before waiting
    for a check: an editor asks every visible module for its hints and lenses)."""
    path = ctx.session.path_of_document(uri)
    if path is None:
        return False
    if path.suffix != ".py":
        return True
    text = ctx.session.text_of(path)
    return text is not None and SCRIPT_MARK in text[:SCRIPT_HEAD]


def declarations_in(ctx: Context, target: Target) -> list[Declaration]:
    """The declarations written in the target's document: a manifest's (and its constraints), or the
    ``dependencies`` of a module's PEP 723 block (read from the buffer)."""
    path, report = target.path, target.report
    if path.suffix == ".py":
        text = ctx.session.text_of(path)
        return script_declarations(path, text) if text is not None else []
    if path not in report.files:
        return []
    return [d for d in (*report.declarations, *report.constraints) if d.file == path]


def declaration_at(declarations: Sequence[Declaration], position: Position) -> Declaration | None:
    for declaration in declarations:
        if declaration.range.start <= position <= declaration.range.end:
            return declaration
    return None


def installed_of(report: ProjectReport, declaration: Declaration) -> Distribution | None:
    """The installed distribution of a declaration; for a name-less local folder (``-e ../lib``), the editable
    install of that folder."""
    if report.installed is None:
        return None
    if declaration.normalized:
        return report.installed.distributions.get(declaration.normalized)
    if declaration.kind not in ("editable", "path"):
        return None
    written = (declaration.url or declaration.requirement).removeprefix("file://")
    folder = (declaration.file.parent / written).resolve()
    for dist in report.installed.distributions.values():
        location = details(dist).editable_location if dist.editable else None
        if location is not None and location.resolve() == folder:
            return dist
    return None


def marker_false(report: ProjectReport, declaration: Declaration) -> bool:
    """Whether the declaration's environment marker is false for the venv (it is not meant to be installed)."""
    env = report.environment
    if not declaration.marker or env is None:
        return False
    markers = per_report(report, "markers", lambda: marker_environment(env.python))
    return not marker_holds(declaration.marker, markers)


@functools.lru_cache(maxsize=4096)
def _satisfies(specifier: str, version: str) -> bool:
    """``satisfies``, memoized: a manifest's hints ask it for every pin on every request (a pure memo of
    packaging's parse)."""
    return satisfies(specifier, version)


def as_json(ctx: Context, items: list[dict[str, Any]]) -> Any:
    """A request's answer of plain JSON values: sent as text without pygls' conversion (``RawResult``) when the
    protocol can, else the values themselves."""
    return RawResult(json.dumps(items)) if ctx.client.raw_protocol is not None else items


def document_version(ctx: Context, path: Path) -> int | None:
    document = ctx.session.open_document(path)
    return document.version if document is not None else None


def installed_label(report: ProjectReport, declaration: Declaration) -> str | None:
    """The short verdict shown after a declaration: ``2.2.3``, ``not installed`` or ``2.2.3 ≠ ==1.5.3``;
    ``None`` when there is nothing to say (no venv, an unreadable one, a declaration without a name)."""
    if report.environment is None or report.installed is None:
        return None
    dist = installed_of(report, declaration)
    if dist is None and not declaration.normalized:
        return None
    if dist is None:
        return "not installed (marker false here)" if marker_false(report, declaration) else "not installed"
    if declaration.kind == "registry" and declaration.specifier and not _satisfies(declaration.specifier,
                                                                                    dist.version):
        return f"{dist.version} ≠ {declaration.specifier}"
    return dist.version


def module_index(report: ProjectReport) -> ModuleIndex:
    """The report's import ↔ distribution index (made once when import checks were off)."""
    if report.modules is not None:
        return report.modules
    return per_report(report, "modules",
                      lambda: ModuleIndex(report.installed, module_map=report.settings.module_map))


def _import_sites(report: ProjectReport) -> Mapping[str, list[ClassifiedImport]]:
    sites: dict[str, list[ClassifiedImport]] = {}
    if report.usage is None:
        return sites
    modules = report.modules
    for item in report.usage.third_party:
        providers = item.providers or (tuple(modules.providers(item.target)) if modules is not None else ())
        for distribution in dict.fromkeys(p.distribution for p in providers):
            sites.setdefault(distribution, []).append(item)
    return sites


def import_sites(report: ProjectReport, normalized: str) -> list[ClassifiedImport] | None:
    """Every third-party import of the project that a distribution provides, in file order; ``None`` when the
    report carries no import data (import checks are off)."""
    if report.usage is None:
        return None
    return per_report(report, "sites", lambda: _import_sites(report)).get(normalized, [])


def importers(report: ProjectReport, normalized: str) -> list[Path] | None:
    """The project files that import a distribution, each once, in order (``None``: import checks are off)."""
    sites = import_sites(report, normalized)
    if sites is None:
        return None
    return list(dict.fromkeys(item.file for item in sites))


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
