"""The classification kept on disk beside the scans (the CLI's cache), reused by the next run."""

from __future__ import annotations

import os
from pathlib import Path

from venvsense.classify.files import project_roots
from venvsense.classify.providers import ProviderLookup
from venvsense.classify.records import LAST_CODE, THIRD_PARTY, ClassifiedImport, FileImports, classified_import
from venvsense.environment import Installed
from venvsense.firstparty import ScriptFolder, ScriptFolders
from venvsense.imports import DiskScanCache, ScanResult
from venvsense.mapping import How, Provider

# The classification kept on disk beside the scans (the CLI's cache, see ``imports.DiskScanCache``):
# each file's imports as small codes (0 relative, 1 first-party, 2 stdlib, 3 third-party) with, for each
# third-party one, its position and the index of its answer (target and providers) in a table stored once per
# project; reused for a file whose scan is the stored one (unchanged path, mtime,
# size) when everything else a classification depends on is unchanged too: the context (this package's code, the target
# Python's stdlib, first-party names, module map, the installed distributions with their metadata folders' and
# site-packages folders' mtimes) and every answer the file's folder listing gave ("is ``top`` next to the
# script?"), asked again of the current listing.

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

        # every module whose code decides a classification (all of this package's and the scanner package's)
        sources = sorted(str(path) for path in Path(__file__).parent.glob("*.py"))
        sources += [module.__file__ or "" for module in (firstparty, mapping, stdlib)]
        sources += sorted(str(path) for folder in imports.__path__ for path in Path(folder).glob("*.py"))
        _code_stamps = (sys.version, tuple(_stamp(name) for name in [*sources, str(mapping.CURATED_TABLE)]))
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


class Stored:
    """The project-wide part of what the last run stored on disk: the context key, the third-party answer
    table, each folder's answers and the nested-project probes."""

    __slots__ = ("answers", "context", "folders")

    def __init__(self, context: object, answers: tuple[object, ...], folders: dict[str, object]) -> None:
        self.context = context
        self.answers = answers
        self.folders = folders

    @classmethod
    def of(cls, extra: object) -> Stored | None:
        if not isinstance(extra, dict):
            return None
        try:
            roots = extra["roots"]
            for name, (stamp, answer) in roots.items():
                if isinstance(name, str) and isinstance(stamp, int) and isinstance(answer, bool):
                    project_roots.put((name, stamp), answer)
            answers, folders = extra["answers"], extra["folders"]
            if not isinstance(answers, tuple) or not isinstance(folders, dict):
                return None
            return cls(extra["context"], answers, folders)
        except Exception:  # a foreign or damaged cache is no cache
            return None


class DiskClassification:
    """Reuses and records a run's classification for the on-disk cache (only when that cache is on)."""

    def __init__(self, cache: DiskScanCache, root: Path, stored: Stored | None, mapping: ProviderLookup,
                 stdlib: frozenset[str], first_party: frozenset[str], python: str | None,
                 more: tuple[object, ...] = ()) -> None:
        self.cache = cache
        self.root = root
        self.context = (_code_key(), python, more, tuple(sorted(stdlib)), tuple(sorted(first_party)),
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

    def _adopt(self, stored: Stored, mapping: ProviderLookup) -> None:
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

    def reuse(self, path: Path, folder_name: str, folder: ScriptFolder, result: ScanResult) -> FileImports | None:
        """The file's stored classification, when nothing it depends on changed."""
        if not self.stored_folders:  # (nothing stored, or stored for another context: no folder can be the same,
            return None              # and the answers this run records must not be looked up for each file)
        payload = self.cache.payload(self.root, os.fspath(path), result)
        if not isinstance(payload, tuple) or len(payload) != 2:
            return None
        codes, third = payload
        if not isinstance(codes, bytes) or len(codes) != len(result) or not isinstance(third, tuple):
            return None
        if (codes and max(codes) > LAST_CODE) or not self._folder_same(folder_name, folder):
            return None
        answers = self.answers
        third_party: list[ClassifiedImport] = []
        last = -1
        try:
            for position in range(0, len(third), 2):
                index, answer = third[position], third[position + 1]
                if index <= last or codes[index] != THIRD_PARTY:
                    return None
                last = index
                target, providers = answers[answer]
                third_party.append(classified_import(path, result, index, "third-party", target, providers))
        except (IndexError, TypeError, ValueError):
            return None
        if len(third_party) != codes.count(THIRD_PARTY):
            return None
        self.payloads[os.fspath(path)] = payload
        return FileImports(path, result, codes, tuple(third_party))

    def record(self, path: Path, classified: FileImports) -> None:
        third: list[int] = []
        by_identity = self.by_identity
        # (a third-party import's position is its statement's index: the one its code says THIRD_PARTY at)
        for item in classified.third_party:
            providers = item.providers
            index = by_identity.get((item.target, id(providers)))
            if index is None:
                spec = (item.target, tuple(
                    (p.distribution, p.how, p.installed.normalized if p.installed is not None else None, p.name)
                    for p in providers))
                index = self._add(spec, item.target, providers)
            third += (item.index, index)
        self.payloads[os.fspath(path)] = (classified.codes, tuple(third))

    def save(self, files: list[Path], folders: ScriptFolders, probes: dict[str, tuple[int, bool]]) -> None:
        extra = {
            "context": self.context,
            "answers": tuple(self.specs),
            "folders": {name: answers for name, answers in folders.answers().items() if answers},
            "roots": probes,
        }
        self.cache.save(self.root, files, self.payloads, extra)
