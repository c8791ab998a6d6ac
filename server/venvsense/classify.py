"""Classification of a project's imports: each one stdlib, first-party, third-party (with the installed
distributions providing it) or relative, for the import rules (``rules.imports``) and ``show imports``.

Pure: it reads files (through the scanner's cache) and never imports or runs project code.
"""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from venvsense.caches import MemoryCache
from venvsense.environment import Environment, Installed
from venvsense.firstparty import ScriptFolder, ScriptFolders, first_party_modules
from venvsense.imports import (
    DiskScanCache,
    ImportStatement,
    ScanResult,
    iter_python_files,
    scan_files,
    scan_source,
)
from venvsense.mapping import How, ModuleIndex, Provider
from venvsense.model.discovery import is_project_root
from venvsense.stdlib import stdlib_modules
from venvsense.text import Position, Range
from venvsense.tomlfile import TomlFile

Kind = Literal["stdlib", "first-party", "third-party", "relative"]


@dataclass(frozen=True, slots=True)
class ClassifiedImport:
    """One import of the project with what venvsense concluded about it.

    ``module`` is what the statement names (for ``from x import y``: ``x``); ``target`` is the most
    specific module it uses (``x.y`` when that names a module, for namespace packages); ``providers`` are the
    installed distributions providing it (empty for stdlib/first-party/relative or when none is installed).
    The statement is the ``index``-th of the file's ``scan``, made when asked for (a project's index keeps no
    statement objects).
    """

    file: Path
    scan: ScanResult = field(repr=False)
    index: int = field(repr=False)
    kind: Kind
    target: str
    providers: tuple[Provider, ...] = ()

    @property
    def statement(self) -> ImportStatement:
        return self.scan.statement_at(self.index)

    @property
    def module(self) -> str:
        return self.scan.modules[self.index]

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]

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


def project_files(root: Path, exclude_globs: Iterable[str] = (),
                  probes: dict[str, tuple[int, bool]] | None = None) -> list[Path]:
    """The project's own ``.py`` files: not in nested projects, venvs, ignored (``.gitignore``) or excluded.

    ``probes`` collects the nested-project answers given (folder → (mtime, answer)), for the on-disk cache."""
    ignored = _gitignore(root)
    globs = tuple(exclude_globs)
    top = os.fspath(root)
    prefix = len(top) if top.endswith(os.sep) else len(top) + 1

    def excluded(relative: str) -> bool:
        if ignored is not None and ignored(relative):
            return True
        return any(fnmatch.fnmatch(relative.rstrip("/"), g) or fnmatch.fnmatch(relative, g) for g in globs)

    def exclude_folder(path: Path) -> bool:
        if path != root and _is_project_root(path, probes):
            return True
        relative = os.fspath(path)[prefix:].replace(os.sep, "/") + "/"
        return (ignored is not None or bool(globs)) and excluded(relative)

    def exclude_file(path: Path) -> bool:
        return excluded(os.fspath(path)[prefix:].replace(os.sep, "/"))

    filter_files = exclude_file if ignored is not None or globs else None
    return list(iter_python_files(root, exclude_folder=exclude_folder, exclude_file=filter_files))


# the answer depends only on the folder's entries, and adding, removing or renaming one changes its mtime
_project_roots: MemoryCache[tuple[str, int], bool] = MemoryCache(
    name="classify.project_roots",
    key="folder path and its mtime (ns)",
    invalidation="a changed folder has a new mtime; answers for folders changed in the last 2 s are not kept "
                 "(a change within the file system's timestamp granularity would not show)",
    owner="the process; the CLI's on-disk cache stores the answers of a run and seeds this one with them",
    limit=100_000,
)
_RECENT_NS = 2_000_000_000


def _is_project_root(folder: Path, probes: dict[str, tuple[int, bool]] | None = None) -> bool:
    name = os.fspath(folder)
    try:
        stamp = os.stat(name).st_mtime_ns
    except OSError:
        return is_project_root(folder)
    answer = _project_roots.get((name, stamp))
    if answer is None:
        answer = is_project_root(folder)
        if time.time_ns() - stamp <= _RECENT_NS:
            return answer
        _project_roots.put((name, stamp), answer)
    if probes is not None:
        probes[name] = (stamp, answer)
    return answer


class Usage:
    """The imports of one project, classified, and the scans they came from (``scanned``).

    Only the third-party imports (what findings are about) are kept as objects; each file keeps the others as
    one small code each, made into ``ClassifiedImport`` objects when asked for: all of them (``imports``, kept
    once made), or a file's (``of_file``, not kept) — a large project's index stays small in the server."""

    __slots__ = ("_files", "_imports", "_third_party", "scanned")

    def __init__(self, files: Mapping[Path, _FileImports], scanned: dict[Path, ScanResult]) -> None:
        self._files = files
        self._imports: list[ClassifiedImport] | None = None
        self._third_party: list[ClassifiedImport] | None = None
        self.scanned = scanned

    @property
    def imports(self) -> list[ClassifiedImport]:
        if self._imports is None:
            self._imports = [item for part in self._files.values() for item in part.all()]
        return self._imports

    @property
    def third_party(self) -> list[ClassifiedImport]:
        if self._third_party is None:
            self._third_party = [item for part in self._files.values() for item in part.third_party]
        return self._third_party

    def of_file(self, path: Path) -> list[ClassifiedImport]:
        """The imports of one file, classified (empty for a file not scanned or without imports)."""
        part = self._files.get(path)
        return part.all() if part is not None else []

    def __repr__(self) -> str:
        return f"Usage({sum(len(part.codes) for part in self._files.values())} imports, {len(self.scanned)} files)"


def scan_project(
    root: Path, *, installed: Installed | None, python: str | None, module_map: Mapping[str, Iterable[str]],
    known_first_party: Iterable[str], exclude: Iterable[str], overrides: Mapping[Path, str] | None = None,
    pyproject_toml: TomlFile | None = None, setup_cfg_text: str | None = None,
    disk_cache: DiskScanCache | None = None,
) -> tuple[Usage, ModuleIndex]:
    """Scan every module of the project and classify each import.

    ``pyproject_toml`` and ``setup_cfg_text`` are the project model's (the package layout for first-party
    names); ``overrides`` are unsaved editor buffers; ``disk_cache`` keeps scans and classifications for the
    next run (the CLI's)."""
    stored = None
    if disk_cache is not None:
        disk_cache.load(root, None)
        stored = _Stored.of(disk_cache.extra(root))
    probes: dict[str, tuple[int, bool]] = {}
    files = project_files(root, exclude, probes)
    scanned = scan_files(files)
    for path, text in (overrides or {}).items():
        if path.suffix == ".py" and (path in scanned or _inside(path, root)):
            scanned[path] = scan_source(text)
    mapping = _ProviderLookup.of(installed, {k: tuple(v) for k, v in module_map.items()})
    stdlib = stdlib_modules(python)
    first_party = first_party_modules(root, known=known_first_party, pyproject_toml=pyproject_toml,
                                      setup_cfg_text=setup_cfg_text)
    folders = ScriptFolders()
    key = os.fspath(root)
    previous = _previous.pop(key)
    if previous is not None and not previous.same_context(mapping, stdlib, first_party):
        previous = None
    disk: _DiskClassification | None = None
    if disk_cache is not None and disk_cache.active_for(root, len(files)):
        try:
            disk = _DiskClassification(disk_cache, root, stored, mapping, stdlib, first_party, python)
        except Exception:  # the cache is never fatal
            disk = None
    unchanged: dict[str, bool] = {}
    memo = _Checked(mapping, stdlib, first_party, folders)
    parts = memo.files  # one dict for this report and the next check's reuse
    for path, result in scanned.items():
        if not len(result):
            continue
        folder_name = os.path.dirname(path)
        folder = folders.folder(folder_name)
        if previous is not None:
            same_folder = unchanged.get(folder_name)
            if same_folder is None:
                same_folder = unchanged[folder_name] = previous.folders.folder(folder_name).same_as(folder)
            before = previous.files.get(path)
            if same_folder and before is not None and before.scan is result:
                parts[path] = before
                if disk is not None:
                    disk.record(path, before)
                continue
        classified = disk.reuse(path, folder_name, folder, result) if disk is not None else None
        if classified is None:
            classified = _classify_file(path, result, stdlib, first_party, folder, mapping)
            if disk is not None:
                disk.record(path, classified)
        parts[path] = classified
    if disk is not None:
        disk.save(files, folders, probes)
    elif disk_cache is not None:
        disk_cache.save(root, files)
    _previous.put(key, memo)
    return Usage(parts, scanned), mapping.index


# ---------------------------------------------------------------------------------------------------------
# The classification kept on disk beside the scans (the CLI's cache, see ``imports.DiskScanCache``):
# each file's imports as small codes (0 relative, 1 first-party, 2 stdlib, 3 third-party) with, for each
# third-party one, its position and the index of its answer (target and providers) in a table stored once per
# project; reused for a file whose scan is the stored one (unchanged path, mtime,
# size) when everything else a classification depends on is unchanged too: the context (this code, the target
# Python's stdlib, first-party names, module map, the installed distributions with their metadata folders' and
# site-packages folders' mtimes) and every answer the file's folder listing gave ("is ``top`` next to the
# script?"), asked again of the current listing.

_KINDS: dict[int, Kind] = {0: "relative", 1: "first-party", 2: "stdlib"}
_THIRD_PARTY = 3
_CLASSIFIED_SETTERS = tuple(getattr(ClassifiedImport, name).__set__
                            for name in ("file", "scan", "index", "kind", "target", "providers"))
_code_stamps: tuple[object, ...] | None = None


def _stamp(path: str) -> tuple[str, int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (path, status.st_mtime_ns, status.st_size)


def _code_key() -> tuple[object, ...]:
    global _code_stamps
    if _code_stamps is None:
        import sys

        from venvsense import firstparty, imports, mapping, stdlib

        # every module whose code decides a classification (all of the scanner package's)
        sources = [module.__file__ or "" for module in (firstparty, mapping, stdlib)]
        sources += sorted(str(path) for folder in imports.__path__ for path in Path(folder).glob("*.py"))
        _code_stamps = (sys.version, tuple(_stamp(name) for name in [__file__, *sources, str(mapping.CURATED_TABLE)]))
    return _code_stamps


def _installed_key(installed: Installed | None) -> object:
    if installed is None:
        return None
    rows = []
    folders: set[str] = set()
    for dist in installed.distributions.values():
        where = os.fspath(dist.metadata_path)
        folders.add(os.path.dirname(where))
        rows.append((dist.normalized, dist.name, dist.version, dist.modules, dist.editable, dist.problem,
                     _stamp(where)))
    rows.sort()
    return (tuple(rows), tuple(_stamp(folder) for folder in sorted(folders)))


class _Stored:
    """The project-wide part of what the last run stored on disk: the context key, the third-party answer
    table, each folder's answers and the nested-project probes."""

    __slots__ = ("answers", "context", "folders")

    def __init__(self, context: object, answers: tuple[object, ...], folders: dict[str, object]) -> None:
        self.context = context
        self.answers = answers
        self.folders = folders

    @classmethod
    def of(cls, extra: object) -> _Stored | None:
        if not isinstance(extra, dict):
            return None
        try:
            roots = extra["roots"]
            for name, (stamp, answer) in roots.items():
                if isinstance(name, str) and isinstance(stamp, int) and isinstance(answer, bool):
                    _project_roots.put((name, stamp), answer)
            answers, folders = extra["answers"], extra["folders"]
            if not isinstance(answers, tuple) or not isinstance(folders, dict):
                return None
            return cls(extra["context"], answers, folders)
        except Exception:  # a foreign or damaged cache is no cache
            return None


def _classified(path: Path, scan: ScanResult, index: int, kind: Kind, target: str,
                providers: tuple[Provider, ...]) -> ClassifiedImport:
    item = object.__new__(ClassifiedImport)
    set_file, set_scan, set_index, set_kind, set_target, set_providers = _CLASSIFIED_SETTERS
    set_file(item, path)
    set_scan(item, scan)
    set_index(item, index)
    set_kind(item, kind)
    set_target(item, target)
    set_providers(item, providers)
    return item


class _FileImports:
    """A file's imports classified: a code per statement (0 relative, 1 first-party, 2 stdlib, 3 third-party)
    and the third-party ones made, in statement order; ``all`` makes the others from the scan when asked."""

    __slots__ = ("codes", "path", "scan", "third_party")

    def __init__(self, path: Path, scan: ScanResult, codes: bytes, third_party: tuple[ClassifiedImport, ...]) -> None:
        self.path = path
        self.scan = scan
        self.codes = codes
        self.third_party = third_party

    def all(self) -> list[ClassifiedImport]:
        made: list[ClassifiedImport] = []
        append = made.append
        path, scan, third_party, kinds = self.path, self.scan, iter(self.third_party), _KINDS
        modules = scan.modules
        for index, code in enumerate(self.codes):
            if code == _THIRD_PARTY:
                append(next(third_party))
            else:
                append(_classified(path, scan, index, kinds[code], modules[index], ()))
        return made


class _DiskClassification:
    """Reuses and records a run's classification for the on-disk cache (only when that cache is on)."""

    def __init__(self, cache: DiskScanCache, root: Path, stored: _Stored | None, mapping: _ProviderLookup,
                 stdlib: frozenset[str], first_party: frozenset[str], python: str | None) -> None:
        self.cache = cache
        self.root = root
        self.context = (_code_key(), python, tuple(sorted(stdlib)), tuple(sorted(first_party)),
                        tuple(sorted(mapping.module_map.items())), _installed_key(mapping.installed))
        self.specs: list[object] = []
        self.spec_index: dict[object, int] = {}
        self.answers: list[tuple[str, tuple[Provider, ...]]] = []
        self.by_identity: dict[tuple[str, int], int] = {}
        self.stored_folders: dict[str, object] = {}
        self.checked_folders: dict[str, bool] = {}
        self.payloads: dict[str, object] = {}
        if stored is not None and stored.context == self.context:
            try:
                self._adopt(stored, mapping)
            except Exception:  # a damaged cache: classify everything again
                self.specs, self.spec_index, self.answers, self.by_identity = [], {}, [], {}
                self.stored_folders = {}

    def _adopt(self, stored: _Stored, mapping: _ProviderLookup) -> None:
        dists = mapping.installed.distributions if mapping.installed is not None else {}
        for spec in stored.answers:
            target: str
            rows: tuple[tuple[str, How, str | None, str], ...]
            target, rows = spec  # type: ignore[misc]
            providers = tuple(
                Provider(distribution, how, dists[normalized] if normalized is not None else None, name)
                for distribution, how, normalized, name in rows
            )
            self._add(spec, target, providers)
        self.stored_folders = stored.folders

    def _add(self, spec: object, target: str, providers: tuple[Provider, ...]) -> int:
        index = self.spec_index.get(spec)
        if index is None:
            index = self.spec_index[spec] = len(self.specs)
            self.specs.append(spec)
            self.answers.append((target, providers))
        self.by_identity[(target, id(providers))] = index
        return index

    def _folder_same(self, folder_name: str, folder: ScriptFolder) -> bool:
        same = self.checked_folders.get(folder_name)
        if same is None:
            answers = self.stored_folders.get(folder_name)
            try:
                same = isinstance(answers, dict) and all(
                    isinstance(top, str) and folder.has(top) == answer for top, answer in answers.items())
            except Exception:  # a damaged cache
                same = False
            self.checked_folders[folder_name] = same
        return same

    def reuse(self, path: Path, folder_name: str, folder: ScriptFolder, result: ScanResult) -> _FileImports | None:
        """The file's stored classification, when nothing it depends on changed."""
        if not self.answers and not self.stored_folders:
            return None
        payload = self.cache.payload(self.root, os.fspath(path), result)
        if not isinstance(payload, tuple) or len(payload) != 2:
            return None
        codes, third = payload
        if not isinstance(codes, bytes) or len(codes) != len(result) or not isinstance(third, tuple):
            return None
        if (codes and max(codes) > _THIRD_PARTY) or not self._folder_same(folder_name, folder):
            return None
        answers = self.answers
        third_party: list[ClassifiedImport] = []
        last = -1
        try:
            for position in range(0, len(third), 2):
                index, answer = third[position], third[position + 1]
                if index <= last or codes[index] != _THIRD_PARTY:
                    return None
                last = index
                target, providers = answers[answer]
                third_party.append(_classified(path, result, index, "third-party", target, providers))
        except (IndexError, TypeError, ValueError):
            return None
        if len(third_party) != codes.count(_THIRD_PARTY):
            return None
        self.payloads[os.fspath(path)] = payload
        return _FileImports(path, result, codes, tuple(third_party))

    def record(self, path: Path, classified: _FileImports) -> None:
        third: list[int] = []
        positions = (index for index, code in enumerate(classified.codes) if code == _THIRD_PARTY)
        for position, item in zip(positions, classified.third_party, strict=True):
            providers = item.providers
            index = self.by_identity.get((item.target, id(providers)))
            if index is None:
                spec = (item.target, tuple(
                    (p.distribution, p.how, p.installed.normalized if p.installed is not None else None, p.name)
                    for p in providers))
                index = self._add(spec, item.target, providers)
            third += (position, index)
        self.payloads[os.fspath(path)] = (classified.codes, tuple(third))

    def save(self, files: list[Path], folders: ScriptFolders, probes: dict[str, tuple[int, bool]]) -> None:
        extra = {
            "context": self.context,
            "answers": tuple(self.specs),
            "folders": {name: answers for name, answers in folders.answers().items() if answers},
            "roots": probes,
        }
        self.cache.save(self.root, files, self.payloads, extra)


def _classify_file(
    path: Path, scan: ScanResult, stdlib: frozenset[str], first_party: frozenset[str], folder: ScriptFolder,
    mapping: _ProviderLookup,
) -> _FileImports:
    # The hot path of a check (tens of thousands of imports): every answer that does not depend on the
    # statement itself is looked up, not recomputed, and only third-party imports are made into objects.
    local = folder.has
    third_party = mapping.third_party
    modules, names, levels = scan.modules, scan.names, scan.levels()
    codes = bytearray(len(modules))
    made: list[ClassifiedImport] = []
    for index, module in enumerate(modules):
        top = module.partition(".")[0]
        if levels[index] or not top:
            continue  # 0: relative
        if top in first_party or local(top):
            codes[index] = 1
        elif top in stdlib or (top == "__future__" and scan.future_at(index)):
            codes[index] = 2
        else:
            target, providers = third_party(module, names[index])
            made.append(_classified(path, scan, index, "third-party", target, providers))
            codes[index] = _THIRD_PARTY
    return _FileImports(path, scan, bytes(codes), tuple(made) if made else ())


class _Checked:
    """What the last check of a project classified, file by file, and what that depended on: a re-check
    reuses a file's imports when its scan (the same cached ``ScanResult``), its folder's listing and the
    context (installed distributions, module map, stdlib, first-party names) are all unchanged."""

    __slots__ = ("files", "first_party", "folders", "mapping", "stdlib")

    def __init__(self, mapping: _ProviderLookup, stdlib: frozenset[str], first_party: frozenset[str],
                 folders: ScriptFolders) -> None:
        self.mapping = mapping
        self.stdlib = stdlib
        self.first_party = first_party
        self.folders = folders
        self.files: dict[Path, _FileImports] = {}

    def same_context(self, mapping: _ProviderLookup, stdlib: frozenset[str], first_party: frozenset[str]) -> bool:
        return self.mapping is mapping and self.stdlib is stdlib and self.first_party == first_party


_previous: MemoryCache[str, _Checked] = MemoryCache(
    name="classify.previous",
    key="project root",
    invalidation="taken out by the next check of the project and used only when its context (installed "
                 "distributions and module map, stdlib, first-party names) is equal, and per file only when the "
                 "file's scan and its folder's listing are unchanged",
    owner="the process: the language server re-checking a project reuses the last check's classification",
    limit=8,
)


class _ProviderLookup:
    """A ``ModuleIndex`` and the third-party answers it gave, kept while the installed distributions and the
    module map are unchanged, so a re-check asks nothing twice. The installed distributions are compared by
    identity: ``environment.read_installed`` returns the same ``Installed`` while no site-packages folder
    changed, and a new one otherwise (a different object only costs building the index again)."""

    _recent: ClassVar[list[_ProviderLookup]] = []
    _KEEP = 4
    _lock = threading.Lock()

    def __init__(self, installed: Installed | None, module_map: dict[str, tuple[str, ...]]) -> None:
        self.installed = installed
        self.module_map = module_map
        self.index = ModuleIndex(installed, module_map=module_map)
        self._candidates: dict[str, tuple[Provider, ...]] = {}
        self._answers: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[Provider, ...]]] = {}

    @classmethod
    def of(cls, installed: Installed | None, module_map: dict[str, tuple[str, ...]]) -> _ProviderLookup:
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

