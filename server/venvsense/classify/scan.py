"""Scanning a project and classifying each of its imports, reusing the last check's and the disk's answers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from venvsense.caches import MemoryCache
from venvsense.classify.context import (
    BUILD_SCRIPTS,
    SETUPTOOLS_MODULES,
    Gates,
    build_modules,
    declared_local,
    local_candidates,
    local_modules,
)
from venvsense.classify.files import project_files
from venvsense.classify.providers import ProviderLookup
from venvsense.classify.records import (
    BUILD,
    INACTIVE,
    THIRD_PARTY,
    ClassifiedImport,
    FileImports,
    Usage,
    classified_import,
)
from venvsense.classify.stored import DiskClassification, Stored
from venvsense.environment import Environment, Installed
from venvsense.firstparty import ScriptFolder, ScriptFolders, enclosing_first_party, first_party_modules
from venvsense.imports import DiskScanCache, ScanResult, scan_files, scan_source
from venvsense.imports.records import FLAG_FALLBACK, FLAG_OPTIONAL, GATE_SHIFT
from venvsense.mapping import ModuleIndex
from venvsense.stdlib import TYPE_CHECKER_ONLY, python2_modules, supported_stdlib
from venvsense.tomlfile import TomlFile


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


def scan_project(
    root: Path, *, installed: Installed | None, python: str | None, module_map: Mapping[str, Iterable[str]],
    known_first_party: Iterable[str], exclude: Iterable[str], overrides: Mapping[Path, str] | None = None,
    pyproject_toml: TomlFile | None = None, setup_cfg_text: str | None = None,
    disk_cache: DiskScanCache | None = None, requires_python: Iterable[str] = (), declared: Iterable[str] = (),
) -> tuple[Usage, ModuleIndex]:
    """Scan every module of the project and classify each import.

    ``pyproject_toml`` and ``setup_cfg_text`` are the project model's (the package layout for first-party
    names); ``overrides`` are unsaved editor buffers; ``disk_cache`` keeps scans and classifications for the
    next run (the CLI's). ``requires_python``: the Pythons the project supports (a module that is stdlib in
    any of them is stdlib); ``declared``: the normalized names of the declared distributions (a folder of the
    project named like one is not taken for local code)."""
    stored = None
    if disk_cache is not None:
        disk_cache.load(root, None)
        stored = Stored.of(disk_cache.extra(root))
    probes: dict[str, tuple[int, bool]] = {}
    files = project_files(root, exclude, probes)
    scanned = scan_files(files)
    for path, text in (overrides or {}).items():
        # a buffer of a file the walk left out (a nested project's, an ignored or excluded one) is not this
        # project's: only one not on disk yet joins it
        if path.suffix == ".py" and (path in scanned or (_inside(path, root) and not path.exists())):
            scanned[path] = scan_source(text)
    mapping = ProviderLookup.of(installed, {k: tuple(v) for k, v in module_map.items()})
    stdlib = supported_stdlib(python, tuple(requires_python))
    first_party = first_party_modules(root, known=known_first_party, pyproject_toml=pyproject_toml,
                                      setup_cfg_text=setup_cfg_text)
    enclosing = enclosing_first_party(root)
    if enclosing:  # the enclosing project's packages, unless this project declares their distribution
        first_party |= enclosing - declared_local(enclosing, mapping.index, declared)
    candidates = local_candidates(root, files)
    local = local_modules(candidates, installed, declared_local(candidates, mapping.index, declared))
    project = _ProjectContext(local, build_modules(root, pyproject_toml), Gates(python), root)
    folders = ScriptFolders()
    key = os.fspath(root)
    previous = _previous.pop(key)
    if previous is not None and not previous.same_context(mapping, stdlib, first_party, project.key):
        previous = None
    disk: DiskClassification | None = None
    if disk_cache is not None and disk_cache.active_for(root, len(files)):
        try:
            disk = DiskClassification(disk_cache, root, stored, mapping, stdlib, first_party, python, project.key)
        except Exception:  # the cache is never fatal
            disk = None
    unchanged: dict[str, bool] = {}
    memo = _Checked(mapping, stdlib, first_party, folders, project.key)
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
            classified = _classify_file(path, result, stdlib, first_party, folder, mapping, project)
            if disk is not None:
                disk.record(path, classified)
        parts[path] = classified
    if disk is not None:
        disk.save(files, folders, probes)
    elif disk_cache is not None:
        disk_cache.save(root, files)
    _previous.put(key, memo)
    return Usage(parts, scanned, candidates), mapping.index


def same_local_code(usage: Usage, index: ModuleIndex, before: Iterable[str], after: Iterable[str]) -> bool:
    """Whether declarations ``before`` and ``after`` (normalized names) leave the same local code: a
    classification made with ``before`` holds for ``after`` (a keystroke in a manifest rarely names a folder
    of the project)."""
    before, after = set(before), set(after)
    if before == after:  # the usual keystroke: a version changed, not a name
        return True
    candidates = usage.local_candidates
    return declared_local(candidates, index, before) == declared_local(candidates, index, after)


class _ProjectContext:
    """What classifying an import needs besides the stdlib and first-party names, computed once per check:
    local code anywhere in the tree, the build system's modules, the gates' answers; ``key`` is what the
    answers depend on (for reusing a classification)."""

    __slots__ = ("build", "gates", "key", "local", "python2", "root")

    def __init__(self, local: frozenset[str], build: frozenset[str], gates: Gates, root: Path) -> None:
        self.local = local
        self.build = build
        self.gates = gates
        self.root = root
        self.python2 = python2_modules()
        self.key = (tuple(sorted(local)), tuple(sorted(build)), gates.key())

    def other(self, path: Path, scan: ScanResult, index: int, top: str, flags: int) -> int:
        """The code of an import that is neither first-party by layout nor stdlib of a supported Python:
        local code, a build script's build system, an import that cannot run here, a Python 2 fallback or a
        type checker's module; ``THIRD_PARTY`` otherwise."""
        if top in self.local:
            return 1
        gate = flags >> GATE_SHIFT
        if gate and not self.gates.holds(scan.gates[gate - 1]):
            return INACTIVE
        if top in TYPE_CHECKER_ONLY or (top in self.python2 and flags & (FLAG_OPTIONAL | FLAG_FALLBACK)):
            return 2
        # setuptools in the root setup.py is its build tool whatever the backend (a shim beside poetry-core)
        if path.name in BUILD_SCRIPTS and path.parent == self.root and (
                top.lower() in self.build or top in SETUPTOOLS_MODULES):
            return BUILD
        return THIRD_PARTY


def _classify_file(
    path: Path, scan: ScanResult, stdlib: frozenset[str], first_party: frozenset[str], folder: ScriptFolder,
    mapping: ProviderLookup, project: _ProjectContext,
) -> FileImports:
    # The hot path of a check (tens of thousands of imports): every answer that does not depend on the
    # statement itself is looked up, not recomputed, and only third-party imports are made into objects.
    local = folder.has
    third_party = mapping.third_party
    modules, names, levels = scan.modules, scan.names, scan.levels()
    codes = bytearray(len(modules))
    made: list[ClassifiedImport] = []
    flags = None
    for index, module in enumerate(modules):
        top = module.partition(".")[0]
        if levels[index] or not top:
            continue  # 0: relative
        if top in first_party or local(top):
            codes[index] = 1
        elif top in stdlib or (top == "__future__" and scan.future_at(index)):
            codes[index] = 2
        else:
            if flags is None:
                flags = scan.flags()
            code = project.other(path, scan, index, top, flags[index])
            if code != THIRD_PARTY:
                codes[index] = code
                continue
            target, providers = third_party(module, names[index])
            made.append(classified_import(path, scan, index, "third-party", target, providers))
            codes[index] = THIRD_PARTY
    return FileImports(path, scan, bytes(codes), tuple(made) if made else ())


class _Checked:
    """What the last check of a project classified, file by file, and what that depended on: a re-check
    reuses a file's imports when its scan (the same cached ``ScanResult``), its folder's listing and the
    context (installed distributions, module map, stdlib, first-party names) are all unchanged."""

    __slots__ = ("files", "first_party", "folders", "key", "mapping", "stdlib")

    def __init__(self, mapping: ProviderLookup, stdlib: frozenset[str], first_party: frozenset[str],
                 folders: ScriptFolders, key: tuple[object, ...]) -> None:
        self.key = key
        self.mapping = mapping
        self.stdlib = stdlib
        self.first_party = first_party
        self.folders = folders
        self.files: dict[Path, FileImports] = {}

    def same_context(self, mapping: ProviderLookup, stdlib: frozenset[str], first_party: frozenset[str],
                     key: tuple[object, ...]) -> bool:
        return (self.mapping is mapping and self.stdlib is stdlib and self.first_party == first_party
                and self.key == key)


_previous: MemoryCache[str, _Checked] = MemoryCache(
    name="classify.previous",
    key="project root",
    invalidation="taken out by the next check of the project and used only when its context (installed "
                 "distributions and module map, stdlib, first-party names) is equal, and per file only when the "
                 "file's scan and its folder's listing are unchanged",
    owner="the process: the language server re-checking a project reuses the last check's classification",
    limit=8,
)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True
