"""Whether ``uv lock --check`` would find a ``uv.lock`` out of date, from files alone.

uv records in the lock what it was made from: the workspace ``members`` and ``[tool.uv]`` constraints/overrides in
``[manifest]``, and for each of the workspace's own projects its ``requires-dist`` (dependencies and extras, with
``[tool.uv.sources]`` applied), ``provides-extras``, ``requires-dev`` (dependency groups) and version; the lock's
``requires-python`` is the members' intersection. Each is compared with the current ``pyproject.toml`` files
(editor buffers first): requirements by name, extras, specifier set, kind of source and marker — markers by what
they mean (uv rewrites ``python_version`` as ``python_full_version`` and simplifies), checked on a grid of
environments. Each difference is one ``Staleness`` on the manifest line that changed (a removed requirement: its
list's key), else on the lock's first line.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.declarations.locks.model import Lock, ManifestText, Staleness
from venvsense.declarations.pyproject.positions import Key, PositionMap
from venvsense.text import START, Range
from venvsense.tomlfile import read_toml

_OWN = ("editable", "virtual", "directory")
_SOURCE_KEYS = ("editable", "virtual", "directory", "path", "git", "url", "index")
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")


@dataclass(frozen=True)
class _Req:
    """A requirement reduced to what uv compares; ``key`` where it is written (``None``: in the lock)."""

    name: str
    extras: tuple[str, ...]
    specifier: str
    source: str
    marker: Marker | None
    text: str
    key: Key | None = None

    @property
    def base(self) -> tuple[str, tuple[str, ...], str, str]:
        return self.name, self.extras, self.specifier, self.source


class _Positions:
    """A pyproject's position map, scanned only when a place is asked for (most checks find nothing stale)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._map: PositionMap | None = None

    @property
    def map(self) -> PositionMap:
        if self._map is None:
            self._map = PositionMap(self.text)
        return self._map

    def entry_range(self, key: Key) -> Range:
        return self.map.entry_range(key)

    @property
    def spots(self) -> Mapping[Key, Any]:
        return self.map.spots


@dataclass
class _Member:
    name: str
    folder: Path
    pyproject: Path
    data: dict[str, Any]
    positions: _Positions


def toml_of(text: str | None) -> dict[str, Any]:
    """Parsed TOML, ``{}`` for none or text that is not TOML (never changed by a caller: it may be shared)."""
    if text is None:
        return {}
    return _parsed(text)


# pure memos by text: a keystroke's re-check reads a workspace's member pyproject.toml files again, unchanged
# (owned by the process; bounded)
@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> dict[str, Any]:
    return dict(read_toml(Path("pyproject.toml"), text).data or {})


def manifest_table(lock: Lock) -> Mapping[str, Any]:
    """The lock's ``[manifest]`` (``{}`` without one)."""
    manifest = lock.data.get("manifest", {})
    return manifest if isinstance(manifest, dict) else {}


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    current: Any = data
    for key in keys:
        current = current.get(key) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else {}


def stale(lock: Lock, manifests: ManifestText) -> tuple[Staleness, ...]:
    """Every way ``lock`` no longer matches the workspace's ``pyproject.toml`` files."""
    folder = lock.path.parent
    root_file = folder / "pyproject.toml"
    root_text = manifests(root_file)
    if root_text is None:  # not a uv project (uv itself cannot use this lock): nothing to compare with
        return ()
    root_data = toml_of(root_text)
    if not root_data:
        return ()  # the pyproject reader reports a bad file; an empty one has nothing to compare
    root_positions = _Positions(root_text)
    members = _members(folder, root_file, root_data, root_positions, manifests)
    found: list[Staleness] = []
    found.extend(_member_changes(lock, members, root_file, root_positions))
    own: dict[str, Mapping[str, Any]] = {
        canonicalize_name(entry["name"]): entry for entry in lock.data.get("package", [])
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("source"), dict)
        and any(key in entry["source"] for key in _OWN)}
    python = _requires_python(lock)
    for member in members.values():
        entry = own.get(member.name)
        if entry is not None:
            found.extend(_project_changes(lock, member, entry, python, _table(root_data, "tool", "uv", "sources"),
                                          frozenset(own)))
    found.extend(_kind_changes(lock, members, own, _table(root_data, "tool", "uv", "sources")))
    found.extend(_requires_python_change(lock, members.values()))
    found.extend(_manifest_changes(lock, root_file, root_data, root_positions, python))
    return tuple(found)


def _kind_changes(lock: Lock, members: Mapping[str, _Member], own: Mapping[str, Mapping[str, Any]],
                  root_sources: Mapping[str, Any]) -> Iterator[Staleness]:
    """A member that became virtual or a package (``[tool.uv] package``, a ``[build-system]`` added or removed),
    or editable or not (another member's ``{ workspace = true, editable = false }``), as uv checks it."""
    required: dict[str, bool] = {}  # member → editable, for the members another member depends on
    for member in members.values():
        sources = {**root_sources, **_table(member.data, "tool", "uv", "sources")}
        project = _table(member.data, "project")
        texts = [*(project.get("dependencies") or []),
                 *(t for ts in _table(project, "optional-dependencies").values() for t in (ts or []))]
        for requirement in (_parse(text, ()) for text in texts):
            if requirement is None or requirement.name not in members or requirement.name == member.name:
                continue
            source = next((v for k, v in sources.items() if canonicalize_name(str(k)) == requirement.name), None)
            editable = not (isinstance(source, dict) and source.get("editable") is False)
            required[requirement.name] = required.get(requirement.name, True) and editable
    for name, member in members.items():
        entry = own.get(name)
        if entry is None:
            continue
        package = _table(member.data, "tool", "uv").get("package")
        is_package = package if isinstance(package, bool) else ("build-system" in member.data or name in required)
        source = entry.get("source", {})
        locked_virtual = "virtual" in source
        where = member.positions.entry_range(("project", "name"))
        if locked_virtual == is_package:
            now = "a package" if is_package else "virtual (not installed itself)"
            yield Staleness(f"{lock.path.name} is out of date for {name}: it is now {now}", member.pyproject, where)
        elif is_package and ("editable" in source) != required.get(name, True):
            now = "editable" if required.get(name, True) else "not editable"
            yield Staleness(f"{lock.path.name} is out of date for {name}: it is now {now}", member.pyproject, where)


def _members(folder: Path, root_file: Path, root_data: dict[str, Any], positions: _Positions,
             manifests: ManifestText) -> dict[str, _Member]:
    members: dict[str, _Member] = {}
    name = _table(root_data, "project").get("name")
    if isinstance(name, str):
        members[canonicalize_name(name)] = _Member(canonicalize_name(name), folder, root_file, root_data, positions)
    workspace = _table(root_data, "tool", "uv", "workspace")
    patterns = [p for p in workspace.get("members", []) if isinstance(p, str)]
    excluded: set[Path] = set()
    for pattern in workspace.get("exclude", []) if isinstance(workspace.get("exclude"), list) else []:
        if isinstance(pattern, str):
            excluded.update(path.resolve() for path in _glob(folder, pattern))
    inside = folder.resolve()
    for pattern in patterns:
        for path in _glob(folder, pattern):
            real = path.resolve()
            # a member outside the workspace's folder (``../x``, a link leading out) is never read
            if real in excluded or real == inside or inside not in real.parents:
                continue
            text = manifests(path / "pyproject.toml")
            data = toml_of(text)
            member_name = _table(data, "project").get("name")
            if isinstance(member_name, str) and text is not None:
                key = canonicalize_name(member_name)
                members.setdefault(key, _Member(key, path, path / "pyproject.toml", data, _Positions(text)))
    return members


def _glob(folder: Path, pattern: str) -> list[Path]:
    try:
        return sorted(path for path in folder.glob(pattern) if path.is_dir())
    except (OSError, ValueError):
        return []


def _member_changes(lock: Lock, members: Mapping[str, _Member], root_file: Path,
                    positions: _Positions) -> Iterator[Staleness]:
    recorded = manifest_table(lock).get("members")
    if isinstance(recorded, list):
        locked = {canonicalize_name(str(name)) for name in recorded}
    else:  # a single project: no [manifest]; its one member is the project at the lock's folder
        locked = {canonicalize_name(str(entry["name"])) for entry in lock.data.get("package", [])
                  if isinstance(entry, dict) and isinstance(entry.get("source"), dict)
                  and any(entry["source"].get(key) == "." for key in _OWN) and isinstance(entry.get("name"), str)}
    current = set(members)
    if locked == current:
        return
    added, removed = sorted(current - locked), sorted(locked - current)
    parts = ([f"new member{'s' if len(added) > 1 else ''} {', '.join(added)}"] if added else []) + \
        ([f"no longer {'members' if len(removed) > 1 else 'a member'}: {', '.join(removed)}"] if removed else [])
    where = positions.entry_range(("tool", "uv", "workspace", "members")) if _has(positions, (
        "tool", "uv", "workspace", "members")) else positions.entry_range(("project", "name"))
    yield Staleness(f"{lock.path.name} is out of date: the workspace changed ({'; '.join(parts)})", root_file,
                    where)


def _has(positions: _Positions, key: Key) -> bool:
    return key in positions.spots


def _project_changes(lock: Lock, member: _Member, entry: Mapping[str, Any], python: SpecifierSet | None,
                     root_sources: Mapping[str, Any], own: frozenset[str]) -> Iterator[Staleness]:
    project = _table(member.data, "project")
    dynamic = {str(field) for field in project.get("dynamic", [])} if isinstance(project.get("dynamic"), list) \
        else set()
    metadata = entry.get("metadata", {}) if isinstance(entry.get("metadata"), dict) else {}
    label = f"{lock.path.name} is out of date for {member.name}"
    version = project.get("version")
    if isinstance(version, str) and "version" not in dynamic and isinstance(entry.get("version"), str) \
            and not _same_version(version, entry["version"]):
        yield Staleness(f"{label}: version {version} is locked as {entry['version']}", member.pyproject,
                            member.positions.entry_range(("project", "version")))
    # a member's [tool.uv.sources] is laid over the workspace root's, which every member inherits
    sources = {**root_sources, **_table(member.data, "tool", "uv", "sources")}
    if "dependencies" not in dynamic and "optional-dependencies" not in dynamic and "requires-dist" in metadata:
        # a dependency on a workspace member: uv has recorded it with and without its workspace source (lock
        # revisions differ), so only its name, extras, specifier and marker are compared
        current = [_any_source(r) if r.name in own else r for r in _project_requirements(project, sources)]
        locked = list(_locked(metadata.get("requires-dist", [])))
        yield from _differences(lock, label, "requirements", current, locked, member, python,
                                ("project", "dependencies"))
    extras = metadata.get("provides-extras")
    if isinstance(extras, list) and "optional-dependencies" not in dynamic:
        current_extras = {canonicalize_name(str(e)) for e in _table(project, "optional-dependencies")}
        if current_extras != {canonicalize_name(str(e)) for e in extras}:
            yield Staleness(f"{label}: the extras changed", member.pyproject,
                            member.positions.entry_range(("project", "optional-dependencies")))
    recorded = metadata.get("requires-dev", {}) if isinstance(metadata.get("requires-dev"), dict) else {}
    groups = _groups(member.data)
    for group in sorted(set(groups) | {canonicalize_name(str(g)) for g in recorded}):
        current = [_any_source(r) if r.name in own else _with_source(r, sources) for r in groups.get(group, [])]
        locked_group: Any = next((v for k, v in recorded.items() if canonicalize_name(str(k)) == group), [])
        yield from _differences(lock, label, f"group '{group}'", current, list(_locked(locked_group)), member,
                                python, ("dependency-groups", group))


def _same_version(left: str, right: str) -> bool:
    try:
        return Version(left) == Version(right)
    except InvalidVersion:
        return left == right


def _project_requirements(project: Mapping[str, Any], sources: Mapping[str, Any]) -> Iterator[_Req]:
    for index, text in enumerate(project.get("dependencies", []) or []):
        requirement = _parse(text, ("project", "dependencies", index))
        if requirement is not None:
            yield _with_source(requirement, sources)
    for extra, texts in _table(project, "optional-dependencies").items():
        for index, text in enumerate(texts if isinstance(texts, list) else []):
            requirement = _parse(text, ("project", "optional-dependencies", extra, index))
            if requirement is not None:
                clause = f"extra == '{canonicalize_name(str(extra))}'"
                marker = Marker(f"({requirement.marker}) and {clause}" if requirement.marker else clause)
                yield _with_source(_Req(requirement.name, requirement.extras, requirement.specifier,
                                        requirement.source, marker, requirement.text, requirement.key), sources)


def _groups(data: Mapping[str, Any]) -> dict[str, list[_Req]]:
    """``[dependency-groups]`` with ``include-group`` expanded, and ``[tool.uv] dev-dependencies`` in ``dev``."""
    tables = _table(data, "dependency-groups")
    names: dict[str, Any] = {canonicalize_name(str(name)): name for name in tables}

    def expand(group: str, seen: frozenset[str]) -> Iterator[_Req]:
        original = names.get(group)
        items = tables.get(original, []) if original is not None else []
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, str):
                requirement = _parse(item, ("dependency-groups", str(original), index))
                if requirement is not None:
                    yield requirement
            elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
                included = canonicalize_name(item["include-group"])
                if included not in seen:
                    yield from expand(included, seen | {included})

    groups: dict[str, list[_Req]] = {group: list(expand(group, frozenset({group}))) for group in names}
    legacy = _table(data, "tool", "uv").get("dev-dependencies")
    if isinstance(legacy, list):
        extra = [r for i, t in enumerate(legacy) if (r := _parse(t, ("tool", "uv", "dev-dependencies", i)))]
        groups["dev"] = groups.get("dev", []) + extra
    return groups


def _parse(text: Any, key: Key) -> _Req | None:
    return _parse_text(text, key) if isinstance(text, str) else None


@functools.lru_cache(maxsize=8192)
def _parse_text(text: str, key: Key) -> _Req | None:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None  # the pyproject reader reports it (VS206)
    source = _url_kind(requirement.url) if requirement.url else "registry"
    return _Req(canonicalize_name(requirement.name), tuple(sorted(canonicalize_name(e) for e in requirement.extras)),
                _specifier(str(requirement.specifier)), source, requirement.marker, text, key)


def _any_source(requirement: _Req) -> _Req:
    return _Req(requirement.name, requirement.extras, requirement.specifier, "*", requirement.marker,
                requirement.text, requirement.key)


def _url_kind(url: str) -> str:
    """The kind of source a direct reference (``name @ url``) is locked as."""
    if url.startswith("git+"):
        return "git"
    if url.startswith("file:"):
        return "path" if url.endswith(_ARCHIVES) else "*"  # a local folder: directory or editable, as configured
    return "url"


def _with_source(requirement: _Req, sources: Mapping[str, Any]) -> _Req:
    source = next((value for name, value in sources.items() if canonicalize_name(str(name)) == requirement.name),
                  None)
    if source is None:
        return requirement
    kind = "*" if isinstance(source, list) else _source_kind(source)
    return _Req(requirement.name, requirement.extras, requirement.specifier, kind, requirement.marker,
                requirement.text, requirement.key)


def _source_kind(source: Any) -> str:
    if not isinstance(source, dict):
        return "*"
    if source.get("workspace") is True:
        return "directory" if source.get("editable") is False else "editable"
    if isinstance(source.get("path"), str):
        path = source["path"]
        if path.endswith(_ARCHIVES):
            return "path"
        if source.get("editable") is True:
            return "editable"
        return "virtual" if source.get("package") is False else "directory"
    for key in ("git", "url", "index"):
        if key in source:
            return key
    return "*"


def _locked(entries: Any) -> Iterator[_Req]:
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        source = next((key for key in _SOURCE_KEYS if key in entry), "registry")
        marker: Marker | None
        try:
            marker = Marker(entry["marker"]) if isinstance(entry.get("marker"), str) else None
        except InvalidMarker:
            marker = None
        specifier = entry.get("specifier", "")
        yield _Req(canonicalize_name(entry["name"]),
                   tuple(sorted(canonicalize_name(str(e)) for e in entry.get("extras", []))),
                   _specifier(str(specifier)), source, marker, _describe(entry))


def _describe(entry: Mapping[str, Any]) -> str:
    extras = f"[{','.join(entry['extras'])}]" if entry.get("extras") else ""
    marker = f"; {entry['marker']}" if entry.get("marker") else ""
    return f"{entry['name']}{extras}{entry.get('specifier', '')}{marker}"


def _specifier(text: str) -> str:
    try:
        return ",".join(sorted(str(spec) for spec in SpecifierSet(text)))
    except InvalidSpecifier:
        return text.replace(" ", "")


def _differences(lock: Lock, label: str, what: str, current: Sequence[_Req], locked: Sequence[_Req],
                 member: _Member, python: SpecifierSet | None, list_key: Key) -> Iterator[Staleness]:
    unmatched = list(locked)
    added: list[_Req] = []
    seen: list[_Req] = []
    for requirement in current:
        # uv records a requirement once however often the list holds it: a group that includes two groups which
        # both hold `pyyaml>=5.3` (fastapi's dev = docs + tests) has it once in the lock
        if any(_same(requirement, other, python) for other in seen):
            continue
        seen.append(requirement)
        match = next((other for other in unmatched if _same(requirement, other, python)), None)
        if match is None:
            added.append(requirement)
        else:
            unmatched.remove(match)
    for requirement in added:
        where = member.positions.entry_range(requirement.key) if requirement.key else START
        yield Staleness(f"{label}: {requirement.text!r} is not in the lock's {what}", member.pyproject, where)
    for requirement in unmatched:
        key = list_key if _has(member.positions, list_key) else ("project", "name")
        yield Staleness(f"{label}: the lock still lists {requirement.text!r} in its {what}", member.pyproject,
                        member.positions.entry_range(key))


# sources whose locked requirement carries no version specifier: uv records a workspace member, a folder, a git
# repository or an archive by where it is (pydantic's `pydantic-core==2.48.0` from its workspace is locked as
# `{ name = "pydantic-core", editable = "pydantic-core" }`)
_PLACED = frozenset({"*", "editable", "virtual", "directory", "path", "git", "url"})


def _same(left: _Req, right: _Req, python: SpecifierSet | None) -> bool:
    if left.name != right.name or left.extras != right.extras:
        return False
    if left.specifier != right.specifier and not (
            (left.source in _PLACED or right.source in _PLACED) and not (left.specifier and right.specifier)):
        return False
    if "*" not in (left.source, right.source) and left.source != right.source:
        return False
    return same_marker(left.marker, right.marker, python)


# --- markers and Python ranges by meaning ------------------------------------------------------------------------

_PYTHONS = ("2.7.18", *(f"3.{minor}.{micro}" for minor in range(0, 21) for micro in (0, 1, 9)))
_PLATFORMS = (
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
)
_MACHINES = ("x86_64", "aarch64", "arm64", "AMD64")
_IMPLEMENTATIONS = (("cpython", "CPython"), ("pypy", "PyPy"))


def same_marker(left: Marker | None, right: Marker | None, python: SpecifierSet | None) -> bool:
    """Whether two markers hold in the same environments (``None``: always), for Pythons ``python`` allows."""
    if str(left) == str(right):
        return True
    return _same_marker_text(str(left) if left is not None else "", str(right) if right is not None else "",
                             str(python) if python is not None else "")


# a pure memo of the comparison by the markers' and the Python range's texts: a keystroke's re-check compares the
# same pairs again (owned by the process; bounded)
@functools.lru_cache(maxsize=4096)
def _same_marker_text(left: str, right: str, python: str) -> bool:
    left_marker = Marker(left) if left else None
    right_marker = Marker(right) if right else None
    mentioned = left + " " + right
    extras = {""} | _extras_named(left_marker) | _extras_named(right_marker)
    for environment in _environments(SpecifierSet(python) if python else None, extras, mentioned):
        if _evaluate(left_marker, environment) != _evaluate(right_marker, environment):
            return False
    return True


def _extras_named(marker: Marker | None) -> set[str]:
    if marker is None:
        return set()
    text = str(marker)
    names: set[str] = set()
    for part in text.split("extra == ")[1:]:
        quote = part[:1]
        names.add(part[1:part.find(quote, 1)] if quote in "'\"" else "")
    return names


def _environments(python: SpecifierSet | None, extras: Iterable[str], mentioned: str) -> Iterator[dict[str, str]]:
    """Environments that tell apart markers over what ``mentioned`` (their text) names: each dimension the
    markers do not mention stays at one value."""
    versions = [v for v in _PYTHONS if python is None or python.contains(v, prereleases=True)] or list(_PYTHONS)
    if "python" not in mentioned and "implementation_version" not in mentioned:
        versions = versions[:1]
    platforms = _PLATFORMS if any(k in mentioned for k in ("sys_platform", "platform_system", "os_name")) \
        else _PLATFORMS[:1]
    machines = _MACHINES if "platform_machine" in mentioned else _MACHINES[:1]
    implementations = _IMPLEMENTATIONS if "implementation" in mentioned else _IMPLEMENTATIONS[:1]
    for version, platform, machine, (implementation, python_implementation), extra in itertools.product(
            versions, platforms, machines, implementations, sorted(extras)):
        yield {"python_full_version": version, "python_version": ".".join(version.split(".")[:2]),
               "implementation_version": version, "platform_machine": machine,
               "implementation_name": implementation, "platform_python_implementation": python_implementation,
               "platform_release": "", "platform_version": "", "extra": extra, **platform}


def _evaluate(marker: Marker | None, environment: dict[str, str]) -> bool:
    if marker is None:
        return True
    try:
        return marker.evaluate(environment)
    except Exception:  # a variable the grid does not set: compare the text instead
        return False


def _requires_python(lock: Lock) -> SpecifierSet | None:
    try:
        return SpecifierSet(lock.requires_python) if lock.requires_python else None
    except InvalidSpecifier:
        return None


def _requires_python_change(lock: Lock, members: Iterable[_Member]) -> Iterator[Staleness]:
    declared = [(member, text) for member in members
                if isinstance(text := _table(member.data, "project").get("requires-python"), str)]
    locked = _requires_python(lock)
    if not declared or locked is None:
        return
    try:
        current = SpecifierSet(",".join(text for _member, text in declared))
    except InvalidSpecifier:
        return
    if any(current.contains(v, prereleases=True) != locked.contains(v, prereleases=True) for v in _PYTHONS):
        member, _text = declared[0]
        yield Staleness(f"{lock.path.name} is out of date: requires-python is now {current}, the lock has "
                        f"{lock.requires_python}", member.pyproject,
                        member.positions.entry_range(("project", "requires-python")))


def _manifest_changes(lock: Lock, root_file: Path, root_data: dict[str, Any], positions: _Positions,
                      python: SpecifierSet | None) -> Iterator[Staleness]:
    manifest = manifest_table(lock)
    tool_uv = _table(root_data, "tool", "uv")
    root = _Member("", root_file.parent, root_file, root_data, positions)
    label = f"{lock.path.name} is out of date"
    for recorded, setting in (("constraints", "constraint-dependencies"), ("overrides", "override-dependencies"),
                              ("build-constraints", "build-constraint-dependencies")):
        texts = tool_uv.get(setting, [])
        current = [r for i, t in enumerate(texts if isinstance(texts, list) else [])
                   if (r := _parse(t, ("tool", "uv", setting, i)))]
        yield from _differences(lock, label, recorded, current, list(_locked(manifest.get(recorded, []))), root,
                                python, ("tool", "uv", setting))
    if not isinstance(_table(root_data, "project").get("name"), str):  # a virtual root: its groups are recorded
        recorded_groups = manifest.get("dependency-groups", {})
        recorded_groups = recorded_groups if isinstance(recorded_groups, dict) else {}
        groups = _groups(root_data)
        for group in sorted(set(groups) | {canonicalize_name(str(g)) for g in recorded_groups}):
            locked_group: Any = next((v for k, v in recorded_groups.items()
                                      if canonicalize_name(str(k)) == group), [])
            yield from _differences(lock, label, f"group '{group}'", groups.get(group, []),
                                    list(_locked(locked_group)), root, python, ("dependency-groups", group))
