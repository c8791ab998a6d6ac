"""What the code uses: every import of a project classified, mapped to a distribution, and compared with
what is declared and installed (VS301 import-not-installed, VS302 undeclared-import, VS303 unused-dependency).

Pure: it reads files (through the scanner's cache) and never imports or runs project code.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from venvsense import findings as F
from venvsense.declarations import Declaration
from venvsense.environment import Environment, Installed
from venvsense.findings import Finding, Severity
from venvsense.firstparty import first_party_modules, is_local_to_script
from venvsense.imports import ImportStatement, ScanResult, iter_python_files, scan_files, scan_source
from venvsense.mapping import ModuleIndex, Provider, covers, is_typing_only, is_used_without_import
from venvsense.stdlib import stdlib_modules
from venvsense.text import Position, Range
from venvsense.workspace import is_project_root

Kind = Literal["stdlib", "first-party", "third-party", "relative"]


@dataclass(frozen=True)
class ClassifiedImport:
    """One import of the project with what venvsense concluded about it.

    ``module`` is what the statement names (for ``from x import y``: ``x``); ``target`` is the most
    specific module it uses (``x.y`` when that names a module, for namespace packages); ``providers`` are the
    installed distributions providing it (empty for stdlib/first-party/relative or when none is installed).
    """

    file: Path
    statement: ImportStatement
    kind: Kind
    target: str
    providers: tuple[Provider, ...] = ()

    @property
    def module(self) -> str:
        return self.statement.module

    @property
    def top(self) -> str:
        return self.statement.module.split(".", 1)[0]

    @property
    def range(self) -> Range:
        s = self.statement
        return Range(Position(s.line, s.column), Position(s.end_line, s.end_column))

    @property
    def distribution(self) -> str | None:
        return self.providers[0].distribution if self.providers else None


def target_python(environment: Environment | None, requires_python: Iterable[str]) -> str | None:
    """The Python imports are classified for: the venv's, else the lowest ``requires-python`` allows."""
    if environment is not None and environment.python:
        return environment.python
    for spec in requires_python:
        try:
            lower = [s.version for s in SpecifierSet(spec) if s.operator in (">=", "~=", "==", ">")]
        except InvalidSpecifier:
            continue
        if lower:
            return min(lower, key=lambda v: tuple(int(p) for p in v.split(".") if p.isdigit()))
    return None


def _gitignore(root: Path) -> Callable[[str], bool] | None:
    path = root / ".gitignore"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    import pathspec

    spec = pathspec.PathSpec.from_lines("gitignore", lines)
    return spec.match_file


def project_files(root: Path, exclude_globs: Iterable[str] = ()) -> list[Path]:
    """The project's own ``.py`` files: not in nested projects, venvs, ignored (``.gitignore``) or excluded."""
    ignored = _gitignore(root)
    globs = tuple(exclude_globs)

    def exclude(path: Path) -> bool:
        relative = path.relative_to(root).as_posix()
        if path.is_dir():
            if path != root and is_project_root(path):
                return True
            relative += "/"
        if ignored is not None and ignored(relative):
            return True
        return any(fnmatch.fnmatch(relative.rstrip("/"), g) or fnmatch.fnmatch(relative, g) for g in globs)

    return list(iter_python_files(root, exclude=exclude))


@dataclass
class Usage:
    """The imports of one project, classified."""

    imports: list[ClassifiedImport]
    scanned: dict[Path, ScanResult]


def scan_project(
    root: Path, *, installed: Installed | None, python: str | None, module_map: Mapping[str, Iterable[str]],
    known_first_party: Iterable[str], exclude: Iterable[str], overrides: Mapping[Path, str] | None = None,
) -> tuple[Usage, ModuleIndex]:
    """Scan every module of the project and classify each import."""
    files = project_files(root, exclude)
    scanned = scan_files(files)
    for path, text in (overrides or {}).items():
        if path.suffix == ".py" and (path in scanned or _inside(path, root)):
            scanned[path] = scan_source(text)
    index = ModuleIndex(installed, module_map={k: tuple(v) for k, v in module_map.items()})
    stdlib = stdlib_modules(python)
    first_party = first_party_modules(root, known=known_first_party)
    imports: list[ClassifiedImport] = []
    third_party_cache: dict[str, tuple[str, tuple[Provider, ...]]] = {}
    for path, result in scanned.items():
        for statement in result.imports:
            imports.append(_classify(path, statement, stdlib, first_party, index, third_party_cache))
    return Usage(imports, scanned), index


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _classify(
    path: Path, statement: ImportStatement, stdlib: frozenset[str], first_party: frozenset[str],
    index: ModuleIndex, cache: dict[str, tuple[str, tuple[Provider, ...]]],
) -> ClassifiedImport:
    if statement.level:
        return ClassifiedImport(path, statement, "relative", statement.module)
    top = statement.module.split(".", 1)[0]
    if not top:
        return ClassifiedImport(path, statement, "relative", statement.module)
    if top in first_party or is_local_to_script(top, path):
        return ClassifiedImport(path, statement, "first-party", statement.module)
    if top in stdlib or statement.future:
        return ClassifiedImport(path, statement, "stdlib", statement.module)
    # ``from google.cloud import storage``: try the most specific module first (namespace packages).
    candidates = [f"{statement.module}.{name}" for name in statement.names if name != "*"]
    candidates.append(statement.module)
    for candidate in candidates:
        if candidate not in cache:
            cache[candidate] = (candidate, tuple(index.installed_providers(candidate)))
        target, providers = cache[candidate]
        if providers:
            return ClassifiedImport(path, statement, "third-party", target, providers)
    return ClassifiedImport(path, statement, "third-party", statement.module)


def _relaxed(statement: ImportStatement) -> str | None:
    if statement.optional:
        return "inside try/except ImportError"
    if statement.type_checking:
        return "under if TYPE_CHECKING"
    return None


def import_findings(
    usage: Usage, index: ModuleIndex, *, declarations: list[Declaration], environment: Environment | None,
    installed: Installed | None, project_name: str | None, check_unused: bool,
    used_without_import: Iterable[str] = (),
) -> list[Finding]:
    """VS301, VS302 and VS303 for one project."""
    out: list[Finding] = []
    declared = {d.normalized for d in declarations if d.normalized}
    if project_name:
        declared.add(canonicalize_name(project_name))
    reported_missing: set[tuple[Path, int, str]] = set()
    usable = environment is not None and installed is not None and not environment.problems
    for item in usage.imports:
        if item.kind != "third-party":
            continue
        relaxed = _relaxed(item.statement)
        if not item.providers:
            if not usable:
                continue  # VS101/VS104 stand for these
            assert environment is not None
            key = (item.file, item.statement.line, item.top)
            if key in reported_missing:
                continue
            reported_missing.add(key)
            suggestion = _suggestion(index.providers(item.target))
            why = f"; it is {relaxed}, so the code runs without it" if relaxed else ""
            finding = F.make(
                "VS301", f"'{item.module}' is imported but not installed in {environment.name}{suggestion}{why}",
                item.file, item.range, package=_suggested_package(index.providers(item.target)),
                module=item.module,
            )
            if relaxed:
                finding = finding.with_severity(Severity.HINT)
            out.append(finding)
            continue
        if any(p.distribution in declared for p in item.providers):
            continue
        if all(is_typing_only(p.distribution) for p in item.providers):
            continue
        provider = item.providers[0]
        out.append(F.make(
            "VS302", f"'{item.module}' is imported but not declared ({_how_installed(provider, installed)})",
            item.file, item.range, package=provider.distribution, module=item.module,
            distribution=provider.name, installed=provider.installed.version if provider.installed else None,
        ))
    if check_unused and usage.scanned:
        out.extend(_unused(usage, index, declarations, project_name, tuple(used_without_import)))
    return out


def _suggestion(providers: list[Provider]) -> str:
    if not providers:
        return ""
    provider = providers[0]
    if provider.how == "guess":
        return f" (probably provided by '{provider.name}' — a guess from the name)"
    names = " or ".join(p.name for p in providers)
    return f" ({names} provides it)"


def _suggested_package(providers: list[Provider]) -> str | None:
    return providers[0].distribution if providers else None


def _how_installed(provider: Provider, installed: Installed | None) -> str:
    dist = provider.installed
    if dist is None:
        return f"provided by {provider.name}"
    what = f"installed: {dist.name} {dist.version}"
    if installed is None:
        return what
    parents = sorted(
        other.name for other in installed.distributions.values()
        if other.normalized != dist.normalized and any(_requires(r) == dist.normalized for r in other.requires)
    )
    if dist.requested is False and parents:
        return f"{what}, only as a dependency of {', '.join(parents)}"
    if dist.requested:
        return f"{what}, installed by hand"
    return what


def _requires(requirement: str) -> str:
    name = requirement.split(";", 1)[0]
    for stop in "[<>=!~ (@":
        name = name.split(stop, 1)[0]
    return canonicalize_name(name.strip()) if name.strip() else ""


def _unused(usage: Usage, index: ModuleIndex, declarations: list[Declaration], project_name: str | None,
            extra_allowed: tuple[str, ...]) -> list[Finding]:
    out: list[Finding] = []
    imported = {item.target for item in usage.imports if item.kind == "third-party"}
    imported |= {item.module for item in usage.imports if item.kind == "third-party"}
    used_distributions = {p.distribution for item in usage.imports for p in item.providers}
    own = canonicalize_name(project_name) if project_name else None
    seen: set[tuple[Path, Range]] = set()
    for declaration in declarations:
        name = declaration.normalized
        if not name or declaration.transitive or name == own or declaration.kind == "editable":
            continue
        if (declaration.file, declaration.range) in seen:
            continue
        seen.add((declaration.file, declaration.range))
        if name in used_distributions or is_typing_only(name) or is_used_without_import(name, extra_allowed):
            continue
        modules = index.distribution_modules(name)
        if any(covers(module, imp) for module in modules for imp in imported):
            continue
        out.append(F.make(
            "VS303", f"'{declaration.name}' is declared but never imported"
            + ("" if declaration.primary else f" ({declaration.declared_in})"),
            declaration.file, declaration.range, package=name, secondary=not declaration.primary,
            declared_in=declaration.declared_in, modules=list(modules),
        ))
    return out
