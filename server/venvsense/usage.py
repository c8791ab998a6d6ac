"""What the code uses: every import of a project classified, mapped to a distribution, and compared with
what is declared and installed (VS301 import-not-installed, VS302 undeclared-import, VS303 unused-dependency).

Pure: it reads files (through the scanner's cache) and never imports or runs project code.
"""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from venvsense import findings as F
from venvsense.declarations import Declaration
from venvsense.environment import Environment, Installed
from venvsense.findings import Finding, Severity
from venvsense.firstparty import ScriptFolder, ScriptFolders, first_party_modules
from venvsense.imports import (
    ImportStatement,
    ScanResult,
    iter_python_files,
    load_persistent_cache,
    save_persistent_cache,
    scan_files,
    scan_source,
)
from venvsense.mapping import ModuleIndex, Provider, covers, is_typing_only, is_used_without_import
from venvsense.stdlib import stdlib_modules
from venvsense.text import Position, Range
from venvsense.workspace import is_project_root

Kind = Literal["stdlib", "first-party", "third-party", "relative"]


@dataclass(frozen=True, slots=True)
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
    top = os.fspath(root)
    prefix = len(top) if top.endswith(os.sep) else len(top) + 1

    def excluded(relative: str) -> bool:
        if ignored is not None and ignored(relative):
            return True
        return any(fnmatch.fnmatch(relative.rstrip("/"), g) or fnmatch.fnmatch(relative, g) for g in globs)

    def exclude_folder(path: Path) -> bool:
        if path != root and _is_project_root(path):
            return True
        relative = os.fspath(path)[prefix:].replace(os.sep, "/") + "/"
        return (ignored is not None or bool(globs)) and excluded(relative)

    def exclude_file(path: Path) -> bool:
        return excluded(os.fspath(path)[prefix:].replace(os.sep, "/"))

    filter_files = exclude_file if ignored is not None or globs else None
    return list(iter_python_files(root, exclude_folder=exclude_folder, exclude_file=filter_files))


# folder → (mtime, is_project_root): the answer depends only on the folder's entries, and adding, removing or
# renaming one changes the folder's mtime; answers for folders changed in the last seconds are not kept
# (a change within the file system's timestamp granularity would not show).
_project_roots: dict[str, tuple[int, bool]] = {}
_RECENT_NS = 2_000_000_000


def _is_project_root(folder: Path) -> bool:
    name = os.fspath(folder)
    try:
        stamp = os.stat(name).st_mtime_ns
    except OSError:
        return is_project_root(folder)
    known = _project_roots.get(name)
    if known is not None and known[0] == stamp:
        return known[1]
    answer = is_project_root(folder)
    if time.time_ns() - stamp > _RECENT_NS:
        if len(_project_roots) > 100_000:
            _project_roots.clear()
        _project_roots[name] = (stamp, answer)
    return answer


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
    load_persistent_cache(root, len(files))
    scanned = scan_files(files)
    save_persistent_cache(root, files)
    for path, text in (overrides or {}).items():
        if path.suffix == ".py" and (path in scanned or _inside(path, root)):
            scanned[path] = scan_source(text)
    mapping = _Mapping.of(installed, {k: tuple(v) for k, v in module_map.items()})
    stdlib = stdlib_modules(python)
    first_party = first_party_modules(root, known=known_first_party)
    folders = ScriptFolders()
    key = os.fspath(root)
    with _previous_lock:
        previous = _previous.pop(key, None)
    if previous is not None and not previous.same_context(mapping, stdlib, first_party):
        previous = None
    unchanged: dict[str, bool] = {}
    imports: list[ClassifiedImport] = []
    memo = _Checked(mapping, stdlib, first_party, folders)
    for path, result in scanned.items():
        statements = result.imports
        if not statements:
            continue
        folder_name = os.path.dirname(path)
        folder = folders.folder(folder_name)
        if previous is not None:
            same_folder = unchanged.get(folder_name)
            if same_folder is None:
                same_folder = unchanged[folder_name] = previous.folders.folder(folder_name).same_as(folder)
            before = previous.files.get(path)
            if same_folder and before is not None and before[0] is result:
                memo.files[path] = before
                imports.extend(before[1])
                continue
        classified = _classify_file(path, statements, stdlib, first_party, folder, mapping)
        memo.files[path] = (result, classified)
        imports.extend(classified)
    with _previous_lock:
        _previous[key] = memo
        while len(_previous) > _KEEP_PROJECTS:
            del _previous[next(iter(_previous))]
    return Usage(imports, scanned), mapping.index


def _classify_file(
    path: Path, statements: tuple[ImportStatement, ...], stdlib: frozenset[str], first_party: frozenset[str],
    folder: ScriptFolder, mapping: _Mapping,
) -> list[ClassifiedImport]:
    # The hot path of a check (tens of thousands of imports): every answer that does not depend on the
    # statement itself is looked up, not recomputed.
    out: list[ClassifiedImport] = []
    append = out.append
    local = folder.has
    third_party = mapping.third_party
    for statement in statements:
        module = statement.module
        top = module.partition(".")[0]
        if statement.level or not top:
            append(ClassifiedImport(path, statement, "relative", module))
        elif top in first_party or local(top):
            append(ClassifiedImport(path, statement, "first-party", module))
        elif top in stdlib or statement.future:
            append(ClassifiedImport(path, statement, "stdlib", module))
        else:
            target, providers = third_party(module, statement.names)
            append(ClassifiedImport(path, statement, "third-party", target, providers))
    return out


class _Checked:
    """What the last check of a project classified, file by file, and what that depended on: a re-check
    reuses a file's imports when its scan (the same cached ``ScanResult``), its folder's listing and the
    context (installed distributions, module map, stdlib, first-party names) are all unchanged."""

    __slots__ = ("files", "first_party", "folders", "mapping", "stdlib")

    def __init__(self, mapping: _Mapping, stdlib: frozenset[str], first_party: frozenset[str],
                 folders: ScriptFolders) -> None:
        self.mapping = mapping
        self.stdlib = stdlib
        self.first_party = first_party
        self.folders = folders
        self.files: dict[Path, tuple[ScanResult, list[ClassifiedImport]]] = {}

    def same_context(self, mapping: _Mapping, stdlib: frozenset[str], first_party: frozenset[str]) -> bool:
        return self.mapping is mapping and self.stdlib is stdlib and self.first_party == first_party


# the last check of the few most recently checked projects, by root
_previous: dict[str, _Checked] = {}
_previous_lock = threading.Lock()
_KEEP_PROJECTS = 8


class _Mapping:
    """A ``ModuleIndex`` and the third-party answers it gave, kept while the installed distributions (the
    same cached ``Installed``) and the module map are unchanged, so a re-check asks nothing twice."""

    _recent: ClassVar[list[_Mapping]] = []
    _KEEP = 4
    _lock = threading.Lock()

    def __init__(self, installed: Installed | None, module_map: dict[str, tuple[str, ...]]) -> None:
        self.installed = installed
        self.module_map = module_map
        self.index = ModuleIndex(installed, module_map=module_map)
        self._candidates: dict[str, tuple[Provider, ...]] = {}
        self._answers: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[Provider, ...]]] = {}

    @classmethod
    def of(cls, installed: Installed | None, module_map: dict[str, tuple[str, ...]]) -> _Mapping:
        with cls._lock:
            for known in cls._recent:
                if known.installed is installed and known.module_map == module_map:
                    return known
            made = cls(installed, module_map)
            cls._recent.insert(0, made)
            del cls._recent[cls._KEEP :]
            return made

    def third_party(self, module: str, names: tuple[str, ...]) -> tuple[str, tuple[Provider, ...]]:
        """The most specific module a third-party import uses, and its installed providers.

        ``from google.cloud import storage``: ``google.cloud.storage`` is tried first (namespace packages).
        """
        key = (module, names)
        answer = self._answers.get(key)
        if answer is None:
            answer = (module, ())
            for candidate in [*(f"{module}.{name}" for name in names if name != "*"), module]:
                providers = self._candidates.get(candidate)
                if providers is None:
                    providers = self._candidates[candidate] = tuple(self.index.installed_providers(candidate))
                if providers:
                    answer = (candidate, providers)
                    break
            self._answers[key] = answer
        return answer


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _relaxed(statement: ImportStatement) -> str | None:
    if statement.optional:
        return "inside try/except ImportError"
    if statement.type_checking:
        return "under if TYPE_CHECKING"
    return None


def import_findings(
    usage: Usage, index: ModuleIndex, *, declarations: list[Declaration], environment: Environment | None,
    installed: Installed | None, project_name: str | None, check_unused: bool,
    used_without_import: Iterable[str] = (), environment_label: str | None = None,
) -> list[Finding]:
    """VS301, VS302 and VS303 for one project. ``environment_label`` is how messages name the venv."""
    out: list[Finding] = []
    declared = {d.normalized for d in declarations if d.normalized}
    declared_modules: dict[str, Declaration] = {}
    for declaration in declarations:
        if declaration.normalized:
            for module in index.distribution_modules(declaration.normalized):
                declared_modules.setdefault(module, declaration)
    declared_cache: dict[tuple[str, str], Declaration | None] = {}
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
            lookup = (item.target, item.module)
            if lookup not in declared_cache:
                declared_cache[lookup] = _declared_for(item, declared_modules)
            wanted = declared_cache[lookup]
            package: str | None
            if wanted is not None:
                suggestion = f" (declared as {wanted.requirement.strip() or wanted.name} in {wanted.declared_in})"
                package = wanted.normalized
            else:
                suggestion = _suggestion(index.providers(item.target))
                package = _suggested_package(index.providers(item.target))
            why = f"; it is {relaxed}, so the code runs without it" if relaxed else ""
            label = environment_label or environment.name
            finding = F.make(
                "VS301", f"'{item.module}' is imported but not installed in {label}{suggestion}{why}",
                item.file, item.range, package=package, module=item.module,
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


def _declared_for(item: ClassifiedImport, declared_modules: Mapping[str, Declaration]) -> Declaration | None:
    """The declaration whose distribution would provide this import, when one does."""
    for module, declaration in declared_modules.items():
        if covers(module, item.target) or covers(module, item.module):
            return declaration
    return None


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


def _used(provided: str, imported: set[str], imported_prefixes: set[str]) -> bool:
    """``covers(provided, i)`` for some ``i`` in ``imported``, in constant time: ``provided`` is imported or is
    a package above an import (``imported_prefixes``), or an import names a namespace above it."""
    if provided in imported_prefixes:
        return True
    parts = provided.split(".")
    return any(".".join(parts[:depth]) in imported for depth in range(1, len(parts)))


def _pins_of_an_in_file(path: Path, known: dict[Path, bool]) -> bool:
    """A ``requirements.txt`` compiled from the ``requirements.in`` beside it: the ``.in`` holds the direct
    declarations, so unused-dependency findings belong there, not on the pins."""
    if path not in known:
        known[path] = path.suffix == ".txt" and path.with_suffix(".in").is_file()
    return known[path]


def _unused(usage: Usage, index: ModuleIndex, declarations: list[Declaration], project_name: str | None,
            extra_allowed: tuple[str, ...]) -> list[Finding]:
    out: list[Finding] = []
    imported = {item.target for item in usage.imports if item.kind == "third-party"}
    imported |= {item.module for item in usage.imports if item.kind == "third-party"}
    used_distributions = {p.distribution for item in usage.imports for p in item.providers}
    imported_prefixes = {name.rsplit(".", depth)[0] for name in imported for depth in range(name.count(".") + 1)}
    own = canonicalize_name(project_name) if project_name else None
    seen: set[tuple[Path, Range]] = set()
    locked: dict[Path, bool] = {}
    for declaration in declarations:
        name = declaration.normalized
        if not name or declaration.transitive or name == own or declaration.kind == "editable":
            continue
        if (declaration.file, declaration.range) in seen or _pins_of_an_in_file(declaration.file, locked):
            continue
        seen.add((declaration.file, declaration.range))
        if name in used_distributions or is_typing_only(name) or is_used_without_import(name, extra_allowed):
            continue
        modules = index.distribution_modules(name)
        if any(_used(module, imported, imported_prefixes) for module in modules):
            continue
        out.append(F.make(
            "VS303", f"'{declaration.name}' is declared but never imported"
            + ("" if declaration.primary else f" ({declaration.declared_in})"),
            declaration.file, declaration.range, package=name, secondary=not declaration.primary,
            declared_in=declaration.declared_in, modules=list(modules),
        ))
    return out
