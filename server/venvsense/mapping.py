"""Import name ↔ distribution: which distribution provides ``import x``, and which import names a
declared distribution provides.

Answers come, in this order, from the user's ``[tool.venvsense] module-map``, from the metadata of the
installed distributions (``top_level.txt`` / ``RECORD``, read by ``environment``; ``RECORD`` again here to
tell apart the many distributions that share a namespace package such as ``google``), from the curated
table ``data/module_map.json``, and last from the import name itself (``foo_bar`` → ``foo-bar``).

Cache: ``curated_table`` is an ``lru_cache`` keyed by the table's path, never stale (the table ships with the
code), owned by the process. A ``ModuleIndex`` keeps its own answers for its lifetime (its owner's).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from packaging.utils import canonicalize_name

from venvsense.dotted import DottedNames
from venvsense.environment import Distribution, Installed, marker_environment
from venvsense.environment.metadata import read_bytes
from venvsense.environment.pipcheck import parse_requirement
from venvsense.text import lazy_pattern
from venvsense.usedwithout import is_typing_only
from venvsense.usedwithout import normalize as normalize  # the one definition, re-exported

if TYPE_CHECKING:
    from packaging.markers import Marker

How = Literal["installed", "curated", "guess", "configured"]

CURATED_TABLE = Path(__file__).parent / "data" / "module_map.json"


@dataclass(frozen=True)
class Provider:
    """A distribution that provides (or would provide) an import.

    ``distribution`` is the normalized name; ``name`` the name as its source spells it (the installed
    metadata's ``Name``, the curated table's ``PyYAML``), for messages and install commands. ``how`` says
    where the answer came from: ``configured`` (the user's module-map), ``installed`` (the venv's
    metadata), ``curated`` (the bundled table) or ``guess`` (from the import name alone). ``installed``
    is the installed distribution of that name, when there is one, whatever ``how`` is.
    """

    distribution: str
    how: How
    installed: Distribution | None = None
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.installed.name if self.installed else self.distribution)


class CuratedEntry(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """One row of ``data/module_map.json``: ``module`` (top-level or dotted) is provided by
    ``distributions`` (as spelled on PyPI, the one to suggest first); ``source`` says where that is known
    from."""

    module: str
    distributions: tuple[str, ...]
    source: str


@lru_cache(maxsize=4)
def curated_table(path: Path = CURATED_TABLE) -> Mapping[str, CuratedEntry]:
    """The curated table, by import name (read once)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        module: CuratedEntry(module, tuple(row["distributions"]), row["source"])
        for module, row in data["modules"].items()
    }


# --- typing-only and used-without-import distributions -------------------------------------------

_SECTION = lazy_pattern(r"^\s*\[\s*([^\]]+?)\s*\]", re.MULTILINE)


def _entry_point_groups(dist: Distribution) -> frozenset[str]:
    meta = dist.metadata_path
    if not meta.name.endswith((".dist-info", ".egg-info")):
        return frozenset()
    data = read_bytes(meta / "entry_points.txt", kind="entry_points.txt")
    if data is None:
        return frozenset()
    return frozenset(_SECTION().findall(data.decode("utf-8", errors="replace")))


def _dependents(dists: Mapping[str, Distribution], python_version: str | None,
                ) -> dict[str, tuple[tuple[str, str | None], ...]]:
    environment = marker_environment(python_version)
    # a marker's value by its object and extra: ``parse_requirement`` makes one ``Marker`` per marker text, and
    # the same few (`extra == "x"`, `python_version < "3.11"`) come back across the whole venv
    evaluated: dict[tuple[int, str | None], tuple[Marker, bool | None]] = {}
    found: dict[str, list[tuple[str, str | None]]] = {}
    for parent in dists.values():
        for text in parent.requires:
            requirement = parse_requirement(text)
            if requirement is None:
                continue
            child = canonicalize_name(requirement.name)
            if child == parent.normalized or child not in dists:
                continue
            marker = requirement.marker
            if marker is None:
                found.setdefault(child, []).append((parent.normalized, None))
                continue
            holds = _holds(marker, None, environment, evaluated)
            if holds is None:  # an undefined marker variable: not a requirement for this venv
                continue
            if holds:
                found.setdefault(child, []).append((parent.normalized, None))
                continue
            for extra in parent.extras:
                holds = _holds(marker, extra, environment, evaluated)
                if holds is None:
                    break
                if holds:
                    found.setdefault(child, []).append((parent.normalized, normalize(extra)))
                    break
    return {child: tuple(dict.fromkeys(edges)) for child, edges in found.items()}


def _holds(marker: Marker, extra: str | None, environment: dict[str, str],
           evaluated: dict[tuple[int, str | None], tuple[Marker, bool | None]]) -> bool | None:
    """``marker`` evaluated for ``environment`` (with ``extra`` when given), once per marker object and extra;
    ``None`` when it cannot be (an undefined variable). The entry holds the marker: its id stays its own."""
    key = (id(marker), extra)
    known = evaluated.get(key)
    if known is not None and known[0] is marker:
        return known[1]
    value: bool | None
    try:
        value = marker.evaluate(environment if extra is None else {**environment, "extra": extra})
    except Exception:
        value = None
    evaluated[key] = (marker, value)
    return value


# --- guesses from names alone ---------------------------------------------------------------------

def guess_distribution(module: str) -> str:
    """The distribution an import name would come from if it were named after it: ``foo_bar.baz`` →
    ``foo-bar``, ``_speedups`` → ``speedups``."""
    top = module.split(".", 1)[0]
    return normalize(top.strip("_").replace("_", "-")) or top


def guess_modules(normalized: str) -> tuple[str, ...]:
    """Import names a distribution nobody knows more about may provide, likeliest first.

    ``foo-bar`` → ``foo_bar``, ``foo.bar``; prefixes and suffixes naming the ecosystem are also tried
    (``python-foo``, ``py-foo``, ``pyfoo``, ``foo-python``, ``foo-py``, ``django-foo``) → ``foo``.
    """
    name = normalize(normalized)
    found: list[str] = [name.replace("-", "_")]
    if "-" in name:
        found.append(name.replace("-", "."))
    prefixes = ["python-", "py-", "django-"]
    if name.startswith("py") and not name.startswith(("py-", "python")):
        prefixes.append("py")
    for prefix in prefixes:
        if name.startswith(prefix) and len(name) > len(prefix):
            found.append(name[len(prefix):].replace("-", "_"))
    for suffix in ("-python", "-py", "-client", "-sdk"):
        if name.endswith(suffix) and len(name) > len(suffix):
            found.append(name[: -len(suffix)].replace("-", "_"))
    unique = dict.fromkeys(f for f in found if all(p.isidentifier() for p in f.split(".")))
    return tuple(unique)


def covers(provided: str, imported: str) -> bool:
    """Whether an import of ``imported`` uses what ``provided`` names (both dotted module names).

    True when they are the same module, when ``imported`` is inside ``provided``
    (``google.cloud.storage.blob`` in ``google.cloud.storage``), and when ``imported`` is a namespace
    above it (``from google.cloud import storage`` is recorded as ``google.cloud``).
    """
    return imported == provided or imported.startswith(provided + ".") or provided.startswith(imported + ".")


# --- what a distribution's RECORD says it installs ------------------------------------------------

class _Layout(NamedTuple):  # (NamedTuple: made at import ~4x faster than a frozen dataclass)
    """The importable names a distribution's file list installs."""

    names: frozenset[str]  # every package, sub-package and module, dotted
    regular: frozenset[str]  # packages with an __init__ and plain modules

    def depth(self, parts: Sequence[str]) -> int:
        """How many leading parts of a dotted module name this distribution installs."""
        depth = 0
        for k in range(1, len(parts) + 1):
            if ".".join(parts[:k]) in self.names:
                depth = k
            else:
                break
        return depth

    def is_namespace(self, name: str) -> bool:
        """A folder it installs into without making it a package (``google/`` for ``google-cloud-*``)."""
        return name in self.names and name not in self.regular

    def portions(self, name: str) -> list[str]:
        """The outermost regular packages/modules under a namespace ``name``."""
        found: list[str] = []
        level = name.count(".") + 1
        children = sorted(n for n in self.names if n.startswith(name + ".") and n.count(".") == level)
        for child in children:
            if child in self.regular:
                found.append(child)
            else:
                found.extend(self.portions(child))
        return found


_IDENTIFIER_PATH = lazy_pattern(r"^[A-Za-z_][A-Za-z0-9_]*$")
# the deepest file a RECORD may name and be read for import names: real packages are a few dozen folders deep at
# most, and every folder above a file is a name of the layout (a hostile RECORD line 50,000 folders deep would
# make 50,000 names of up to 100 KB each)
_MAX_RECORD_DEPTH = 256


def _layout_from_paths(paths: Iterable[str]) -> _Layout:
    names: set[str] = set()
    regular: set[str] = set()
    # each folder judged once, from the folder above it (a RECORD lists many files per folder): its dotted name and
    # depth, ``None`` when its files are no import names (metadata, ``__pycache__``, a part that is no identifier,
    # too deep); ``""`` the top
    folders: dict[str, tuple[str, int] | None] = {"": ("", 0)}
    named: set[str] = {""}  # the folders whose names are in ``names``
    identifier = _IDENTIFIER_PATH().match
    # the folder of the line before and its dotted name (``None``: its lines name nothing): a RECORD lists a
    # folder's files one after another, so most lines need no look-up of their folder
    last: str | None = None
    dotted_folder: str | None = None
    for raw in paths:
        path = raw.replace("\\", "/")
        if path.startswith(("/", "../")) or not path:
            continue
        folder, _, filename = path.rpartition("/")
        if filename == "__pycache__":
            continue  # (a line naming that folder itself: nothing of the folders above counts either)
        if folder != last:
            last = folder
            known = folders[folder] if folder in folders else _folder(folder, folders)
            dotted_folder = None if known is None else known[0]
            above = folder
            while known is not None and above not in named:  # the folder and those above it are names
                named.add(above)
                entry = folders[above]
                if entry is not None:  # (always: every folder above one that counts counts)
                    names.add(entry[0])
                above = above.rpartition("/")[0]
        if dotted_folder is None:
            continue
        if filename.endswith((".py", ".pyi")):
            stem = filename.rsplit(".", 1)[0]
        elif filename.endswith((".so", ".pyd")):
            stem = filename.split(".", 1)[0]
        else:
            continue
        if stem == "__init__":
            if dotted_folder:
                regular.add(dotted_folder)
        elif identifier(stem):
            dotted = f"{dotted_folder}.{stem}" if dotted_folder else stem
            names.add(dotted)
            regular.add(dotted)
    return _Layout(frozenset(names), frozenset(regular))


def _folder(folder: str, folders: dict[str, tuple[str, int] | None]) -> tuple[str, int] | None:
    """``folder``'s entry in ``folders`` (and every folder above it not there yet). A folder counts when the one
    above it does and its own name is an identifier other than ``__pycache__`` (a ``.dist-info``, ``.data`` or
    ``.egg-info`` folder is none), at most ``_MAX_RECORD_DEPTH - 1`` deep."""
    if folder.count("/") >= _MAX_RECORD_DEPTH - 1:  # too deep: none of the folders above is walked to
        folders[folder] = None
        return None
    missing: list[str] = []
    while folder not in folders:
        missing.append(folder)
        folder = folder.rpartition("/")[0]
    known = folders[folder]
    for path in reversed(missing):
        if known is not None:
            last = path.rpartition("/")[2]
            depth = known[1] + 1
            if depth < _MAX_RECORD_DEPTH and last != "__pycache__" and _IDENTIFIER_PATH().match(last):
                known = (f"{known[0]}.{last}" if known[0] else last, depth)
            else:
                known = None
        folders[path] = known
    return known


def _listed_as_regular(distribution: Distribution, modules: Iterable[str]) -> set[str]:
    """Which top-level ``modules`` the distribution's ``RECORD`` lists as a regular package or a plain module, as
    ``_layout_from_paths`` would, found by a string search (a layout of Django's is thousands of rows); those
    it cannot tell so are left out."""
    meta = distribution.metadata_path
    if not meta.name.endswith(".dist-info"):
        return set()
    data = read_bytes(meta / "RECORD", kind="RECORD")  # the venv's caps: a regular file, never past its limit
    if data is None:
        return set()
    record = "\n" + data.decode("utf-8", "replace")
    tails = ("/__init__.py", "/__init__.pyi", ".py", ".pyi")
    return {m for m in modules if _IDENTIFIER_PATH().match(m) and any(f"\n{m}{t}," in record for t in tails)}


def record_paths(text: str) -> list[str]:
    """The first field of each row of a RECORD's ``text`` as ``csv.reader`` reads it (raising ``csv.Error`` where
    it does). A RECORD without quotes, carriage returns, NULs or a line past the csv field limit is split on its
    line breaks and first commas, at a third of the cost; any other goes through ``csv``."""
    import csv

    if '"' not in text and "\r" not in text and "\x00" not in text:
        lines = text.split("\n")
        if max(map(len, lines)) <= csv.field_size_limit():
            return [line.partition(",")[0] for line in lines if line]
    return [row[0] for row in csv.reader(io.StringIO(text)) if row]


def _read_layout(distribution: Distribution) -> _Layout | None:
    import csv  # RECORD files are read only on a cold look at the venv

    meta = distribution.metadata_path
    try:
        # (read with the venv's caps: only regular files, never past the RECORD limit)
        if meta.name.endswith(".dist-info"):
            data = read_bytes(meta / "RECORD", kind="RECORD")
            if data is None:
                return None
            return _layout_from_paths(record_paths(data.decode("utf-8", errors="replace")))
        if meta.name.endswith(".egg-info") and meta.is_dir():
            # installed-files.txt paths are relative to the .egg-info folder itself
            data = read_bytes(meta / "installed-files.txt", kind="RECORD")
            if data is None:
                return None
            lines = data.decode("utf-8", errors="replace").splitlines()
            return _layout_from_paths(line.strip()[3:] for line in lines if line.strip().startswith("../"))
    except (OSError, csv.Error):
        return None
    return None


# --- the index --------------------------------------------------------------------------------------

def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value)
    return tuple(i.strip() for i in items if isinstance(i, str) and i.strip())


class ModuleIndex:
    """Who provides which import, for one environment (``installed`` may be ``None``: no venv).

    ``module_map`` is ``[tool.venvsense] module-map``: import name (top-level or dotted) → distribution
    name(s); it wins over everything else. ``curated`` defaults to the bundled table.
    """

    def __init__(self, installed: Installed | None = None, *,
                 module_map: Mapping[str, str | Sequence[str]] | None = None,
                 curated: Mapping[str, CuratedEntry] | None = None) -> None:
        self._dists: dict[str, Distribution] = dict(installed.distributions) if installed else {}
        self._by_top: dict[str, list[Distribution]] = {}
        for dist in self._dists.values():
            if is_typing_only(dist.normalized):
                continue
            for module in dict.fromkeys(m.split(".", 1)[0] for m in dist.modules):
                if module.isidentifier():
                    self._by_top.setdefault(module, []).append(dist)
        self._configured: dict[str, tuple[str, ...]] = {}
        for module, value in (module_map or {}).items():
            names = _names(value)
            if module.strip() and names:
                self._configured[module.strip()] = names
        self._configured_prefixes = DottedNames(self._configured)
        self._curated: Mapping[str, CuratedEntry] = curated if curated is not None else curated_table()
        self._curated_by_distribution: dict[str, list[str]] = {}
        self._curated_prefixes = DottedNames(self._curated)
        for module, entry in self._curated.items():
            for dist_name in entry.distributions:
                self._curated_by_distribution.setdefault(normalize(dist_name), []).append(module)
        self._configured_by_distribution: dict[str, list[str]] = {}
        for module, names in self._configured.items():
            for dist_name in names:
                self._configured_by_distribution.setdefault(normalize(dist_name), []).append(module)
        self._layouts: dict[str, _Layout | None] = {}
        self._distribution_modules: dict[str, tuple[str, ...]] = {}
        self._entry_points: dict[str, frozenset[str]] = {}
        self._dependents: dict[str | None, Mapping[str, tuple[tuple[str, str | None], ...]]] = {}

    # -- import → distributions

    def providers(self, module: str) -> list[Provider]:
        """The distributions that provide ``module`` (a full dotted import name), best answer first.

        The longest dotted prefix decides: ``google.cloud.storage.blob`` is answered for
        ``google.cloud.storage``, not for whatever provides ``google``. Never empty: when nothing is
        known the list holds one ``guess``.
        """
        parts = [p for p in module.strip().split(".") if p]
        if not parts:
            return []
        key = self._configured_prefixes.longest(parts)
        if key is not None:
            return [self._provider(name, "configured") for name in self._configured[key]]
        found = self._installed_providers(parts)
        if found:
            return found
        key = self._curated_prefixes.longest(parts)
        if key is not None:
            return [self._provider(name, "curated") for name in self._curated[key].distributions]
        return [self._provider(guess_distribution(parts[0]), "guess")]

    def installed_providers(self, module: str) -> list[Provider]:
        """Only the installed distributions that provide ``module`` (empty when none does)."""
        return self._installed_providers([p for p in module.strip().split(".") if p])

    def _provider(self, name: str, how: How) -> Provider:
        normalized = normalize(name)
        return Provider(normalized, how, self._dists.get(normalized), name)

    def _layout(self, dist: Distribution) -> _Layout | None:
        if dist.normalized not in self._layouts:
            self._layouts[dist.normalized] = _read_layout(dist)
        return self._layouts[dist.normalized]

    def _installed_providers(self, parts: Sequence[str]) -> list[Provider]:
        if not parts:
            return []
        candidates = self._by_top.get(parts[0], [])
        if not candidates:
            return []
        curated_key = self._curated_prefixes.longest(parts)
        curated_names = (
            {normalize(n) for n in self._curated[curated_key].distributions} if curated_key else set()
        )
        full = ".".join(parts)
        scored: list[tuple[int, Distribution]] = []
        for dist in candidates:
            score = 1
            for provided in dist.modules:  # metadata may already name dotted portions
                if full == provided or full.startswith(provided + "."):
                    score = max(score, provided.count(".") + 1)
            if len(candidates) > 1 or len(parts) > 1:
                layout = self._layout(dist)
                if layout is not None:
                    depth = layout.depth(parts)
                    if 0 < depth < len(parts) and layout.is_namespace(".".join(parts[:depth])):
                        # It ships other portions of a namespace package, not this one (a namespace
                        # folder has no code that could make the rest of the name exist).
                        continue
                    score = max(score, depth)
            # (a dotted name normalizes to a name with "-": only such distribution names can match)
            # (at most as many parts as the name has: a deep import tries no more than a short one)
            for k in range(min(len(parts), dist.normalized.count("-") + 1), 1, -1):
                if normalize("-".join(parts[:k])) == dist.normalized:
                    score = max(score, k)
                    break
            if curated_key is not None and dist.normalized in curated_names:
                score = max(score, curated_key.count(".") + 1)
            scored.append((score, dist))
        if not scored:
            return []
        best = max(score for score, _ in scored)
        if best == 1 and curated_key is not None and "." in curated_key:
            # The curated table knows this namespace portion comes from another distribution and
            # nothing installed shows that it ships it.
            return []
        return [Provider(dist.normalized, "installed", dist) for score, dist in scored if score == best]

    # -- distribution → imports

    def distribution_modules(self, normalized: str) -> tuple[str, ...]:
        """The import names a distribution provides, for telling whether a declared one is used.

        From the installed metadata when it is installed (namespace packages narrowed to the portions
        its ``RECORD`` ships: ``google-cloud-storage`` → ``google.cloud.storage``), else from the curated
        table, else guessed from the name; names from the user's module-map are always included.
        Typing-only distributions provide nothing. Answers are memoized: the index is immutable.
        """
        cached = self._distribution_modules.get(normalized)
        if cached is None:
            cached = self._distribution_modules[normalized] = self._find_distribution_modules(normalized)
        return cached

    def _find_distribution_modules(self, normalized: str) -> tuple[str, ...]:
        name = normalize(normalized)
        if is_typing_only(name):
            return ()
        found: list[str] = list(self._configured_by_distribution.get(name, []))
        dist = self._dists.get(name)
        modules = dist.modules if dist is not None else ()
        installed_names = [m for m in modules if all(p.isidentifier() for p in m.split("."))]
        if dist is not None and installed_names:
            regular = set() if dist.normalized in self._layouts else _listed_as_regular(dist, installed_names)
            for module in installed_names:  # (a regular package or module: no need to read its whole RECORD)
                layout = None if "." in module or module in regular else self._layout(dist)
                namespace = layout is not None and layout.is_namespace(module)
                found.extend((layout.portions(module) or [module]) if layout and namespace else [module])
        else:
            # not installed: the curated table's names, and always the distribution's own name (the table
            # lists `pylab` for matplotlib; `import matplotlib` is matplotlib's too)
            found.extend(self._curated_by_distribution.get(name, ()))
            found.extend(guess_modules(name) if name not in self._curated_by_distribution else guess_modules(name)[:1])
        return tuple(dict.fromkeys(found))

    # -- what installed metadata says about use without an import

    def installed_distribution(self, normalized: str) -> Distribution | None:
        return self._dists.get(normalized)

    def installed_name(self, normalized: str) -> str:
        """An installed distribution's name as its metadata spells it."""
        dist = self._dists.get(normalized)
        return dist.name if dist is not None else normalized

    def entry_point_groups(self, normalized: str) -> frozenset[str]:
        """The entry point groups an installed distribution declares (``entry_points.txt``); empty when it
        is not installed or declares none."""
        cached = self._entry_points.get(normalized)
        if cached is None:
            dist = self._dists.get(normalized)
            cached = self._entry_points[normalized] = _entry_point_groups(dist) if dist else frozenset()
        return cached

    def dependents(self, python_version: str | None) -> Mapping[str, tuple[tuple[str, str | None], ...]]:
        """Installed distribution → the installed distributions whose ``Requires-Dist`` names it, each with
        the extra it comes through (``None``: always). Markers are evaluated for the venv's Python and this
        platform (an extra's requirements for that extra). Computed once per index and Python version."""
        cached = self._dependents.get(python_version)
        if cached is None:
            cached = self._dependents[python_version] = _dependents(self._dists, python_version)
        return cached
