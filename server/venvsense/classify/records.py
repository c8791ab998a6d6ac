"""What a classification is made of: ``ClassifiedImport``, a file's imports (``FileImports``) and a project's
(``Usage``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from venvsense.imports import ImportStatement, ScanResult
from venvsense.imports.notebook import NOTEBOOK_SUFFIX
from venvsense.mapping import Provider
from venvsense.text import Position, Range

# "build": a build script's import of its build system (``import setuptools`` in ``setup.py``);
# "inactive": gated by a Python version or platform condition that does not hold for the venv (never runs there)
Kind = Literal["stdlib", "first-party", "third-party", "relative", "build", "inactive"]


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


# a file's imports as small codes: 0 relative, 1 first-party, 2 stdlib, 3 third-party, 4 build, 5 inactive
KINDS: dict[int, Kind] = {0: "relative", 1: "first-party", 2: "stdlib", 4: "build", 5: "inactive"}
THIRD_PARTY, BUILD, INACTIVE = 3, 4, 5
LAST_CODE = INACTIVE
_CLASSIFIED_SETTERS = tuple(getattr(ClassifiedImport, name).__set__
                            for name in ("file", "scan", "index", "kind", "target", "providers"))


def classified_import(path: Path, scan: ScanResult, index: int, kind: Kind, target: str,
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


class FileImports:
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
        path, scan, third_party, kinds = self.path, self.scan, iter(self.third_party), KINDS
        modules = scan.modules
        for index, code in enumerate(self.codes):
            if code == THIRD_PARTY:
                append(next(third_party))
            else:
                append(classified_import(path, scan, index, kinds[code], modules[index], ()))
        return made


class Usage:
    """The imports of one project, classified, and the scans they came from (``scanned``).

    Only the third-party imports (what findings are about) are kept as objects; each file keeps the others as
    one small code each, made into ``ClassifiedImport`` objects when asked for: all of them (``imports``, kept
    once made), or a file's (``of_file``, not kept) — a large project's index stays small in the server."""

    __slots__ = ("_files", "_imports", "_notebooks", "_third_party", "_without", "local_candidates", "scanned")

    def __init__(self, files: Mapping[Path, FileImports], scanned: dict[Path, ScanResult],
                 local_candidates: frozenset[str] = frozenset()) -> None:
        self._files = files
        self.local_candidates = local_candidates  # names of the project's folders and files (local code)
        self._imports: list[ClassifiedImport] | None = None
        self._third_party: list[ClassifiedImport] | None = None
        self._without: tuple[frozenset[Path], Usage] | None = None
        self._notebooks: list[Path] | None = None
        self.scanned = scanned

    @property
    def notebooks(self) -> list[Path]:
        """The notebooks among the scanned files (kept: a keystroke's re-check reusing this scan lists no file)."""
        if self._notebooks is None:
            self._notebooks = [path for path in self.scanned if path.suffix == NOTEBOOK_SUFFIX]
        return self._notebooks

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

    def inactive_modules(self) -> set[str]:
        """The modules imported only where a version or platform gate keeps the import from running in this
        venv (``if sys.version_info < (3, 11): import tomli``): no finding, but a use of what declares them."""
        found: set[str] = set()
        inactive = INACTIVE
        for part in self._files.values():
            codes = part.codes
            if inactive in codes:
                modules = part.scan.modules
                found.update(modules[index] for index, code in enumerate(codes) if code == inactive)
        return found

    def file_imports(self, path: Path) -> FileImports | None:
        """One file's classified imports as kept (``None`` for a file not scanned or without imports)."""
        return self._files.get(path)

    def without(self, paths: Iterable[Path]) -> Usage:
        """The same classification without the imports of ``paths`` (PEP 723 scripts, judged on their own);
        ``scanned`` keeps every file (what the files say besides imports is still the project's)."""
        left = frozenset(paths)
        if not left:
            return self
        if self._without is not None and self._without[0] == left:  # a keystroke's re-check: the same scripts
            return self._without[1]
        kept = Usage({p: part for p, part in self._files.items() if p not in left}, self.scanned,
                     self.local_candidates)
        self._without = (left, kept)
        return kept

    def of_file(self, path: Path) -> list[ClassifiedImport]:
        """The imports of one file, classified (empty for a file not scanned or without imports)."""
        part = self._files.get(path)
        return part.all() if part is not None else []

    def __repr__(self) -> str:
        return f"Usage({sum(len(part.codes) for part in self._files.values())} imports, {len(self.scanned)} files)"
