"""Reads ``pyproject.toml``: PEP 621 dependencies and extras, PEP 735 dependency groups, Poetry's and uv's
declarations, each with the exact range of its text in the file.

``tomllib`` gives values without positions, so a small position scanner (``_TomlScanner``) walks the same
text once and records, for every key path, where its value and its ``key = value`` entry are. It only runs
on text ``tomllib`` accepted, and it is total: whatever it cannot follow it skips, and a path it did not
record falls back to the nearest enclosing one. (``tomlkit``, which we depend on for editing, keeps the
formatting but exposes no offsets; recovering them from its tree means re-rendering every item, which is
slower and no simpler than scanning.)
"""

from __future__ import annotations

import os
import re
import sys
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dependency_groups import DependencyGroupResolver
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.declarations import MAIN, Declaration, Kind, Manifest, manifest_text
from venvsense.findings import Finding, make
from venvsense.text import START, Position, Range

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["pep508_declaration", "read_pyproject", "translate_poetry_constraint"]

INVALID = "VS206"
_NAME_AT_START = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def read_pyproject(path: Path, text: str | None = None) -> Manifest:
    """Read the declarations of one ``pyproject.toml`` (``text``: an unsaved editor buffer of it).

    Ranges: a PEP 508 string's range is its content without the quotes; a Poetry dependency's range is its
    whole ``name = constraint`` entry (or its ``[tool.poetry.dependencies.name]`` header when it is written
    as a table of its own). Never raises: what cannot be understood becomes a VS206 finding.
    """
    path = path.absolute()
    manifest, text = manifest_text(path, text)
    if text is None:
        return manifest
    try:
        data = tomllib.loads(text)
    except RecursionError:
        manifest.findings.append(make(INVALID, f"{path.name} is nested too deeply to be read", path, START))
        return manifest
    except ValueError as error:  # TOMLDecodeError, and int() refusing a number with thousands of digits
        manifest.findings.append(_toml_error(path, text, error))
        return manifest
    _PyprojectReader(path, text, data, manifest).read()
    return manifest


# ---------------------------------------------------------------------------------------------------------
# PEP 508 entries


def pep508_declaration(
    text: str, file: Path, range_: Range, *, group: str, primary: bool, declared_in: str
) -> Declaration | Finding:
    """A declaration for one PEP 508 requirement string, or the VS206 finding that says why it is not one."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0] if str(error) else "not a valid requirement"
        guessed = _NAME_AT_START.match(text)
        return make(INVALID, f"invalid requirement {text.strip()!r}: {reason}", file, range_,
                    package=canonicalize_name(guessed.group(1)) if guessed else None,
                    secondary=not primary, declared_in=declared_in)
    kind: Kind = "registry"
    if requirement.url is not None:
        kind = "path" if requirement.url.lower().startswith("file:") else "url"
    return Declaration(
        name=requirement.name,
        specifier=str(requirement.specifier),
        extras=tuple(sorted(requirement.extras)),
        marker=str(requirement.marker) if requirement.marker is not None else None,
        kind=kind,
        url=requirement.url,
        file=file,
        range=range_,
        group=group,
        primary=primary,
        declared_in=declared_in,
        requirement=text.strip(),
    )


# ---------------------------------------------------------------------------------------------------------
# Reading the parsed document

Key = tuple[str | int, ...]


def _toml_type(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a float", list: "an array",
             dict: "a table"}
    return names.get(type(value), "a date or time")


def _dotted(key: Key) -> str:
    return ".".join(str(part) for part in key if isinstance(part, str))


@dataclass(frozen=True)
class _PoetrySpec:
    """One Poetry dependency translated: PEP 440 specifier, extras, PEP 508 marker, where it comes from."""

    branches: tuple[tuple[str, ...], ...] | None  # AND-clauses per OR-branch; None: any version
    extras: frozenset[str]
    marker: str | None
    kind: Kind
    url: str | None
    optional: bool


class _PoetryError(ValueError):
    pass


class _PyprojectReader:
    def __init__(self, path: Path, text: str, data: dict[str, Any], manifest: Manifest) -> None:
        self.path = path
        self.data = data
        self.manifest = manifest
        self.spots = _TomlScanner(text).scan()

    # -- positions ------------------------------------------------------------------------------------

    def _spot(self, key: Key) -> _Spot:
        for end in range(len(key), 0, -1):
            spot = self.spots.get(key[:end])
            if spot is not None:
                return spot
        return _Spot(START, START)

    def value_range(self, key: Key) -> Range:
        spot = self.spots.get(key)
        return spot.value if spot is not None else self._spot(key).entry

    def entry_range(self, key: Key) -> Range:
        return self._spot(key).entry

    # -- helpers --------------------------------------------------------------------------------------

    def lookup(self, key: Key) -> object:
        value: object = self.data
        for part in key:
            if isinstance(value, dict) and isinstance(part, str) and part in value:
                value = value[part]
                continue
            if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
                value = value[part]
                continue
            return None
        return value

    def table(self, key: Key) -> dict[str, Any] | None:
        """The table at ``key``; ``None`` if absent, or if it is not a table (then with a finding)."""
        value = self.lookup(key)
        if value is None or isinstance(value, dict):
            return value
        self.invalid(f"[{_dotted(key)}] must be a table, not {_toml_type(value)}", self.value_range(key))
        return None

    def invalid(self, message: str, range_: Range, *, primary: bool = True, package: str | None = None,
                declared_in: str | None = None) -> None:
        self.manifest.findings.append(make(INVALID, message, self.path, range_, package=package,
                                           secondary=not primary, declared_in=declared_in))

    def requirement_strings(self, key: Key, *, group: str, primary: bool,
                            declared_in: str) -> list[Declaration]:
        """The declarations of an array of PEP 508 strings (findings for what is not one)."""
        value = self.lookup(key)
        if not isinstance(value, list):
            self.invalid(f"{_dotted(key)} must be an array of requirement strings, not {_toml_type(value)}",
                         self.value_range(key), primary=primary, declared_in=declared_in)
            return []
        declarations: list[Declaration] = []
        for index, item in enumerate(value):
            item_range = self.value_range((*key, index))
            if not isinstance(item, str):
                self.invalid(f"entries of {_dotted(key)} must be requirement strings, not {_toml_type(item)}",
                             item_range, primary=primary, declared_in=declared_in)
                continue
            declaration = self.pep508(item, item_range, group=group, primary=primary, declared_in=declared_in)
            if declaration is not None:
                declarations.append(declaration)
        return declarations

    def pep508(self, text: str, range_: Range, *, group: str, primary: bool,
               declared_in: str) -> Declaration | None:
        result = pep508_declaration(text, self.path, range_, group=group, primary=primary,
                                    declared_in=declared_in)
        if isinstance(result, Finding):
            self.manifest.findings.append(result)
            return None
        return result

    # -- sections -------------------------------------------------------------------------------------

    def read(self) -> None:
        project = self.table(("project",))
        if project is not None:
            self.read_project(project)
        self.read_dependency_groups()
        tool = self.table(("tool",))
        if tool is not None:
            if self.table(("tool", "uv")) is not None and "dev-dependencies" in tool["uv"]:
                self.manifest.declarations += self.requirement_strings(
                    ("tool", "uv", "dev-dependencies"), group="dev", primary=False,
                    declared_in="tool.uv dev-dependencies")
            if self.table(("tool", "poetry")) is not None:
                self.read_poetry(project)
            self.apply_uv_sources()

    def read_project(self, project: dict[str, Any]) -> None:
        if "requires-python" in project:
            key: Key = ("project", "requires-python")
            self.set_requires_python(project["requires-python"], key, "requires-python")
        if "dependencies" in project:
            self.manifest.declarations += self.requirement_strings(
                ("project", "dependencies"), group=MAIN, primary=True, declared_in=self.path.name)
        extras = self.table(("project", "optional-dependencies"))
        for extra in extras or {}:
            self.manifest.declarations += self.requirement_strings(
                ("project", "optional-dependencies", extra), group=extra, primary=False,
                declared_in=f"extra '{extra}'")

    def set_requires_python(self, value: object, key: Key, what: str) -> None:
        range_ = self.value_range(key)
        if not isinstance(value, str):
            self.invalid(f"{what} must be a string, not {_toml_type(value)}", range_)
            return
        try:
            SpecifierSet(value)
        except InvalidSpecifier as error:
            self.invalid(f"invalid {what} {value!r}: {error}", range_)
            return
        self.manifest.requires_python = (value.strip(), self.path, range_)

    # -- PEP 735 --------------------------------------------------------------------------------------

    def read_dependency_groups(self) -> None:
        groups = self.table(("dependency-groups",))
        if not groups:
            return
        try:
            # The library's own check of the table (duplicate names after normalization); resolution is
            # ours below, because the library stops at the first problem and keeps no source positions.
            DependencyGroupResolver(groups)
        except (TypeError, ValueError) as error:
            seen: set[str] = set()
            for name in groups:
                if canonicalize_name(name) in seen:
                    self.invalid(str(error), self.entry_range(("dependency-groups", name)), primary=False)
                seen.add(canonicalize_name(name))

        own: dict[str, list[Declaration | tuple[str, Range]]] = {}  # normalized name → entries / includes
        written: dict[str, str] = {}
        for name, items in groups.items():
            normalized = canonicalize_name(name)
            if normalized in own:
                continue
            written[normalized] = name
            own[normalized] = self.group_items(name, items)

        resolved: dict[str, list[Declaration]] = {}
        reported: set[Range] = set()

        def expand(group: str, stack: tuple[str, ...]) -> list[Declaration]:
            if group in resolved:
                return resolved[group]
            result: list[Declaration] = []
            for item in own[group]:
                if isinstance(item, Declaration):
                    result.append(item)
                    continue
                target_written, at = item
                target = canonicalize_name(target_written)
                where = f"group '{written[group]}'"
                if target not in own:
                    message = (f"dependency group '{written[group]}' includes '{target_written}', which is "
                               f"not a group of [dependency-groups]")
                elif target in stack:
                    cycle = " -> ".join(written[g] for g in (*stack[stack.index(target):], target))
                    message = f"dependency group '{written[group]}' is part of an include cycle: {cycle}"
                elif len(stack) > 100:
                    message = f"dependency group '{written[group]}' nests includes too deeply"
                else:
                    result += expand(target, (*stack, target))
                    continue
                if at not in reported:
                    reported.add(at)
                    self.invalid(message, at, primary=False, declared_in=where)
            unique = list({d.range: d for d in result}.values())
            resolved[group] = unique
            return unique

        for group, name in written.items():
            for declaration in expand(group, (group,)):
                self.manifest.declarations.append(
                    replace(declaration, group=name, declared_in=f"group '{name}'"))

    def group_items(self, name: str, items: object) -> list[Declaration | tuple[str, Range]]:
        key: Key = ("dependency-groups", name)
        declared_in = f"group '{name}'"
        if not isinstance(items, list):
            self.invalid(f"dependency group '{name}' must be an array, not {_toml_type(items)}",
                         self.value_range(key), primary=False, declared_in=declared_in)
            return []
        result: list[Declaration | tuple[str, Range]] = []
        for index, item in enumerate(items):
            item_range = self.value_range((*key, index))
            if isinstance(item, str):
                declaration = self.pep508(item, item_range, group=name, primary=False,
                                          declared_in=declared_in)
                if declaration is not None:
                    result.append(declaration)
            elif isinstance(item, dict) and list(item) == ["include-group"] and isinstance(
                    item["include-group"], str):
                result.append((item["include-group"], item_range))
            else:
                self.invalid(f"entries of dependency group '{name}' must be requirement strings or "
                             f"{{include-group = \"name\"}} tables, not {_toml_type(item)}"
                             + (f" with keys {', '.join(item)}" if isinstance(item, dict) else ""),
                             item_range, primary=False, declared_in=declared_in)
        return result

    # -- Poetry ---------------------------------------------------------------------------------------

    def read_poetry(self, project: dict[str, Any] | None) -> None:
        base: Key = ("tool", "poetry")
        main = self.table((*base, "dependencies"))
        # Poetry 2: when [project] lists the dependencies statically, tool.poetry.dependencies only adds
        # details (sources, develop) to them; the list itself is [project]'s.
        project_rules = (project is not None and "dependencies" in project
                         and "dependencies" not in (project.get("dynamic") or []))
        extras = self.poetry_extras()
        for name, value in (main or {}).items():
            key: Key = (*base, "dependencies", name)
            if name.lower() == "python":
                if self.manifest.requires_python is None and isinstance(value, str):
                    try:
                        translated = translate_poetry_constraint(value)
                    except _PoetryError as error:
                        self.invalid(f"invalid Poetry python constraint {value!r}: {error}",
                                     self.value_range(key))
                    else:
                        if translated:
                            self.manifest.requires_python = (translated, self.path, self.value_range(key))
                continue
            if project_rules:
                self.enrich(name, value)
                continue
            spec = self.poetry_spec(name, value, key, primary=True, declared_in=self.path.name)
            if spec is None:
                continue
            if not spec.optional:
                self.add_poetry(name, spec, key, group=MAIN, primary=True, declared_in=self.path.name)
                continue
            # An optional dependency is installed only through the extras that list it; one that no extra
            # lists cannot be installed at all, so it declares nothing.
            for extra, members in extras.items():
                if canonicalize_name(name) in members:
                    self.add_poetry(name, spec, key, group=extra, primary=False,
                                    declared_in=f"extra '{extra}'")

        sets: list[tuple[Key, str]] = []
        if self.lookup((*base, "dev-dependencies")) is not None:
            sets.append(((*base, "dev-dependencies"), "dev"))
        for group in self.table((*base, "group")) or {}:
            if self.table((*base, "group", group)) and self.lookup((*base, "group", group, "dependencies")):
                sets.append(((*base, "group", group, "dependencies"), group))
        for table_key, group in sets:
            declared_in = f"group '{group}'"
            for name, value in (self.table(table_key) or {}).items():
                key = (*table_key, name)
                if name.lower() == "python":
                    continue
                spec = self.poetry_spec(name, value, key, primary=False, declared_in=declared_in)
                if spec is not None:
                    self.add_poetry(name, spec, key, group=group, primary=False, declared_in=declared_in)

    def poetry_extras(self) -> dict[str, set[str]]:
        extras = self.table(("tool", "poetry", "extras")) or {}
        result: dict[str, set[str]] = {}
        for extra, members in extras.items():
            if isinstance(members, list):
                result[extra] = {canonicalize_name(m) for m in members if isinstance(m, str)}
            else:
                self.invalid(f"Poetry extra '{extra}' must be an array of package names, not "
                             f"{_toml_type(members)}", self.value_range(("tool", "poetry", "extras", extra)),
                             primary=False)
        return result

    def poetry_spec(self, name: str, value: object, key: Key, *, primary: bool,
                    declared_in: str) -> _PoetrySpec | None:
        try:
            if isinstance(value, list):
                if not value:
                    raise _PoetryError("an empty array of constraints")
                return _merge_specs([_poetry_spec_of(item, self.path.parent) for item in value])
            return _poetry_spec_of(value, self.path.parent)
        except _PoetryError as error:
            self.invalid(f"invalid Poetry dependency {name!r}: {error}", self.entry_range(key),
                         primary=primary, package=canonicalize_name(name), declared_in=declared_in)
            return None

    def add_poetry(self, name: str, spec: _PoetrySpec, key: Key, *, group: str, primary: bool,
                   declared_in: str) -> None:
        text = name + (f"[{','.join(sorted(spec.extras))}]" if spec.extras else "")
        if spec.url is not None:
            text += f" @ {spec.url}" + (" " if spec.marker else "")
        else:
            text += _specifier_of(spec.branches)
        if spec.marker:
            text += f"; {spec.marker}"
        range_ = self.entry_range(key)
        declaration = self.pep508(text, range_, group=group, primary=primary, declared_in=declared_in)
        if declaration is not None:
            self.manifest.declarations.append(replace(declaration, name=name, kind=spec.kind))

    # -- where a [project] dependency comes from -------------------------------------------------------

    def enrich(self, name: str, value: object) -> None:
        """Give [project] declarations of ``name`` the source a tool table sets for it (path, git, ...)."""
        tables = value if isinstance(value, list) else [value]
        for table in tables:
            source = _source_of(table, self.path.parent) if isinstance(table, dict) else None
            if source is None:
                continue
            kind, url = source
            self.manifest.declarations = [
                replace(d, kind=kind, url=url) if d.normalized == canonicalize_name(name)
                and d.kind == "registry" else d
                for d in self.manifest.declarations]
            return

    def apply_uv_sources(self) -> None:
        sources = self.lookup(("tool", "uv", "sources"))
        if isinstance(sources, dict):
            for name, value in sources.items():
                self.enrich(name, value)


# ---------------------------------------------------------------------------------------------------------
# Poetry dependency specification → PEP 508


def _poetry_spec_of(value: object, root: Path) -> _PoetrySpec:
    if isinstance(value, str):
        return _PoetrySpec(_poetry_branches(value), frozenset(), None, "registry", None, False)
    if not isinstance(value, dict):
        raise _PoetryError(f"expected a version constraint or a table, not {_toml_type(value)}")
    extras = value.get("extras", [])
    if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
        raise _PoetryError("extras must be an array of strings")
    markers: list[str] = []
    for field, translate in (("markers", str), ("python", _python_marker), ("platform", _platform_marker)):
        if field in value:
            if not isinstance(value[field], str):
                raise _PoetryError(f"{field} must be a string, not {_toml_type(value[field])}")
            translated = translate(value[field])
            if translated:
                markers.append(translated)
    marker = " and ".join(f"({m})" if len(markers) > 1 else m for m in markers) or None
    optional = value.get("optional", False) is True
    source = _source_of(value, root)
    if source is not None:
        kind, url = source
        return _PoetrySpec(None, frozenset(extras), marker, kind, url, optional)
    version = value.get("version", "*")
    if not isinstance(version, str):
        raise _PoetryError(f"version must be a string, not {_toml_type(version)}")
    return _PoetrySpec(_poetry_branches(version), frozenset(extras), marker, "registry", None, optional)


def _merge_specs(specs: list[_PoetrySpec]) -> _PoetrySpec:
    """One spec for a multiple-constraints dependency: what any of its alternatives allows."""
    extras = frozenset[str]().union(*(s.extras for s in specs))
    markers = [s.marker for s in specs]
    marker = None if None in markers else " or ".join(f"({m})" for m in markers if m)
    optional = all(s.optional for s in specs)
    for spec in specs:
        if spec.url is not None:
            return replace(spec, extras=extras, marker=marker, optional=optional)
    branches: tuple[tuple[str, ...], ...] | None = ()
    for spec in specs:
        branches = None if branches is None or spec.branches is None else branches + spec.branches
    return _PoetrySpec(branches, extras, marker, "registry", None, optional)


def _source_of(table: Mapping[str, object], root: Path) -> tuple[Kind, str | None] | None:
    """Kind and URL of a Poetry or uv source table (``git``, ``path``, ``url``, uv's ``workspace``)."""
    editable = table.get("develop") is True or table.get("editable") is True
    git = table.get("git")
    if isinstance(git, str):
        url = git if git.startswith("git+") else "git+" + _scp_to_ssh(git)
        for ref in ("rev", "tag", "branch"):
            if isinstance(table.get(ref), str):
                url += f"@{table[ref]}"
                break
        if isinstance(table.get("subdirectory"), str):
            url += f"#subdirectory={table['subdirectory']}"
        return ("editable" if editable else "url"), url
    path = table.get("path")
    if isinstance(path, str):
        target = Path(os.path.normpath(root / path))
        return ("editable" if editable else "path"), target.as_uri()
    direct = table.get("url")
    if isinstance(direct, str):
        return ("path" if direct.lower().startswith("file:") else "url"), direct
    if table.get("workspace") is True:
        return "editable", None
    return None


def _scp_to_ssh(url: str) -> str:
    """``git@github.com:org/repo.git`` (scp-like, which Poetry accepts) as an ``ssh://`` URL."""
    match = re.fullmatch(r"([\w.-]+@[\w.-]+):(?!//)(.+)", url)
    return f"ssh://{match.group(1)}/{match.group(2)}" if match else url


_OPERATOR_SPACE = re.compile(r"(===|~=|==|!=|>=|<=|[~^=<>])\s+")
_CLAUSE = re.compile(r"(?P<op>===|~=|==|!=|>=|<=|[~^=<>])?(?P<version>.*)")


def translate_poetry_constraint(constraint: str) -> str:
    """A Poetry version constraint as a PEP 440 specifier (``""`` for any version).

    ``^1.2.3`` → ``>=1.2.3,<2.0.0``, ``~1.2`` → ``>=1.2,<1.3``, ``1.2.3`` → ``==1.2.3``, ``1.2.*`` →
    ``==1.2.*``; ``,`` or spaces join clauses. Raises ``ValueError`` for a constraint Poetry would refuse.
    """
    return _specifier_of(_poetry_branches(constraint))


def _poetry_branches(constraint: str) -> tuple[tuple[str, ...], ...] | None:
    """The PEP 440 clauses of each ``||`` alternative of a Poetry constraint; ``None``: any version."""
    branches: list[tuple[str, ...]] = []
    for alternative in re.split(r"\s*\|\|?\s*", constraint.strip()):
        joined = _OPERATOR_SPACE.sub(r"\1", alternative.strip())
        clauses = [c for atom in re.split(r"[,\s]+", joined) if atom for c in _translate_atom(atom)]
        if not clauses:
            return None  # one alternative allows every version, so the whole constraint does
        try:
            SpecifierSet(",".join(clauses))
        except InvalidSpecifier as error:
            raise _PoetryError(str(error)) from None
        branches.append(tuple(clauses))
    return tuple(branches)


def _translate_atom(atom: str) -> list[str]:
    if atom in ("*", "x", "X"):
        return []
    match = _CLAUSE.fullmatch(atom)
    operator, version = (match.group("op"), match.group("version")) if match else (None, atom)
    if not version:
        raise _PoetryError(f"{atom!r} has no version")
    if operator in ("^", "~"):
        try:
            parsed = Version(version)
        except InvalidVersion:
            raise _PoetryError(f"{version!r} is not a version") from None
        release = list(parsed.release)
        if operator == "^":
            # The leftmost non-zero component may not change (and the last given one, if all are zero).
            bump = next((i for i, part in enumerate(release) if part != 0), len(release) - 1)
        else:
            bump = 0 if len(release) == 1 else 1
        upper = [*release[:bump], release[bump] + 1] + [0] * (len(release) - bump - 1)
        epoch = f"{parsed.epoch}!" if parsed.epoch else ""
        return [f">={version}", f"<{epoch}{'.'.join(map(str, upper))}"]
    if operator in (None, "="):
        return [f"=={version}"]
    return [f"{operator}{version}"]


def _specifier_of(branches: tuple[tuple[str, ...], ...] | None) -> str:
    if branches is None:
        return ""
    if len(branches) == 1:
        return ",".join(branches[0])
    # PEP 440 has no "or": the alternatives are approximated by the smallest single range that holds all
    # of them (lowest lower bound, highest upper bound, exclusions dropped). It may accept a version
    # between two alternatives that Poetry would refuse, but never reports an allowed version as a mismatch.
    bounds = [_bounds(branch) for branch in branches]
    lowers = [low for low, _ in bounds]
    uppers = [high for _, high in bounds]
    clauses = []
    if all(lowers):
        low = min((b for b in lowers if b is not None), key=lambda b: (b[0], not b[1]))
        clauses.append(f"{'>=' if low[1] else '>'}{low[2]}")
    if all(uppers):
        high = max((b for b in uppers if b is not None), key=lambda b: (b[0], b[1]))
        clauses.append(f"{'<=' if high[1] else '<'}{high[2]}")
    return ",".join(clauses)


_Bound = tuple[Version, bool, str]  # version, inclusive, as written


def _bounds(clauses: Iterable[str]) -> tuple[_Bound | None, _Bound | None]:
    """The tightest lower and upper bound the clauses of one alternative set."""
    lower: _Bound | None = None
    upper: _Bound | None = None
    for clause in clauses:
        specifier = Specifier(clause)
        operator, written = specifier.operator, specifier.version
        lows: list[_Bound] = []
        highs: list[_Bound] = []
        try:
            if written.endswith(".*"):
                prefix = Version(written[:-2])
                if operator == "==":
                    lows.append((prefix, True, str(prefix)))
                    highs.append(_next_of(prefix.release, len(prefix.release) - 1))
            else:
                version = Version(written)
                if operator in (">=", ">"):
                    lows.append((version, operator == ">=", written))
                elif operator in ("<=", "<"):
                    highs.append((version, operator == "<=", written))
                elif operator in ("==", "==="):
                    lows.append((version, True, written))
                    highs.append((version, True, written))
                elif operator == "~=":
                    lows.append((version, True, written))
                    highs.append(_next_of(version.release, len(version.release) - 2))
        except InvalidVersion:
            continue  # an arbitrary-equality string (===foo) bounds nothing we can compare
        for bound in lows:
            if lower is None or (bound[0], not bound[1]) > (lower[0], not lower[1]):
                lower = bound
        for bound in highs:
            if upper is None or (bound[0], bound[1]) < (upper[0], upper[1]):
                upper = bound
    return lower, upper


def _next_of(release: tuple[int, ...], index: int) -> _Bound:
    index = max(index, 0)
    parts = [*release[:index], release[index] + 1]
    written = ".".join(map(str, parts))
    return Version(written), False, written


def _python_marker(constraint: str) -> str:
    """A Poetry ``python = "..."`` constraint as a PEP 508 marker (``or`` expresses ``||`` exactly)."""
    branches = _poetry_branches(constraint)
    if branches is None:
        return ""
    parts = []
    for branch in branches:
        terms = []
        for clause in branch:
            specifier = Specifier(clause)
            release = specifier.version.removesuffix(".*")
            variable = "python_full_version" if release.count(".") >= 2 else "python_version"
            terms.append(f'{variable} {specifier.operator} "{specifier.version}"')
        parts.append(" and ".join(terms))
    return parts[0] if len(parts) == 1 else " or ".join(f"({p})" for p in parts)


def _platform_marker(platform: str) -> str:
    names = [p.strip() for p in re.split(r"\|\|?", platform) if p.strip()]
    return " or ".join(f'sys_platform == "{name}"' for name in names)


# ---------------------------------------------------------------------------------------------------------
# Broken TOML

_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def _toml_error(path: Path, text: str, error: ValueError) -> Finding:
    message = str(error)
    lines = text.split("\n")
    line, column = 0, 0
    if match := _TOML_AT.search(message):
        line = min(max(int(match.group(1)) - 1, 0), len(lines) - 1)
        column = min(max(int(match.group(2)) - 1, 0), len(lines[line].rstrip("\r")))
        message = message[: match.start()]
    elif match := _TOML_AT_END.search(message):
        line = len(lines) - 1
        column = len(lines[line])
        message = message[: match.start()] + " at the end of the file"
    elif not isinstance(error, tomllib.TOMLDecodeError):
        message = "a value cannot be read: " + message.split(";")[0]
    end = max(column, len(lines[line].rstrip("\r\n").rstrip()))
    return make(INVALID, f"{path.name} is not valid TOML: {message}", path,
                Range(Position(line, column), Position(line, end)))


# ---------------------------------------------------------------------------------------------------------
# Where values are in TOML text


@dataclass(frozen=True)
class _Spot:
    value: Range  # a string's content without its quotes; any other value whole; a table's header
    entry: Range  # ``key = value``; a table's header; an array item's value


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\"}
_MAX_DEPTH = 64


def _unescape(raw: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uUx" and len(code) > 1:
            point = int(code[1:], 16)
            return chr(point) if point <= 0x10FFFF else match.group(0)
        return _SIMPLE_ESCAPES.get(code, match.group(0))

    return _ESCAPE.sub(one, raw)


class _TomlScanner:
    """Records where every value of a TOML document is, keyed like the parsed data (array items by index).

    Meant for text ``tomllib`` accepted; on anything else it still ends, recording what it could.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.spots: dict[Key, _Spot] = {}
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.array_tables: dict[Key, int] = {}  # [[x]] → index of its latest element

    def scan(self) -> dict[Key, _Spot]:
        table: Key = ()
        while self.i < self.n:
            self.skip_blank(newlines=True)
            if self.i >= self.n:
                break
            if self.text[self.i] == "[":
                table = self.header()
            else:
                self.key_value(table, 0)
            self.skip_line()
        return self.spots

    # -- positions and skipping ----------------------------------------------------------------------

    def position(self, offset: int) -> Position:
        line = bisect_right(self.line_starts, offset) - 1
        return Position(line, offset - self.line_starts[line])

    def range(self, start: int, end: int) -> Range:
        return Range(self.position(start), self.position(max(start, end)))

    def skip_ws(self) -> None:
        while self.i < self.n and self.text[self.i] in " \t":
            self.i += 1

    def skip_blank(self, *, newlines: bool) -> None:
        while self.i < self.n:
            char = self.text[self.i]
            if char in " \t" or (newlines and char in "\r\n"):
                self.i += 1
            elif char == "#":
                end = self.text.find("\n", self.i)
                self.i = self.n if end < 0 else end
                if not newlines:
                    return
            else:
                return

    def skip_line(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = self.n if end < 0 else end + 1

    # -- structure ------------------------------------------------------------------------------------

    def header(self) -> Key:
        start = self.i
        array = self.text.startswith("[[", self.i)
        self.i += 2 if array else 1
        keys = self.key()
        self.skip_ws()
        closing = "]]" if array else "]"
        if self.text.startswith(closing, self.i):
            self.i += len(closing)
        where = self.range(start, self.i)
        path: Key = ()
        for part in keys[:-1]:
            path = (*path, part)
            if path in self.array_tables:
                path = (*path, self.array_tables[path])
        path = (*path, *keys[-1:])
        if array:
            index = self.array_tables.get(path, -1) + 1
            self.array_tables[path] = index
            path = (*path, index)
        self.spots.setdefault(path, _Spot(where, where))
        return path

    def key(self) -> list[str]:
        keys: list[str] = []
        while True:
            self.skip_ws()
            if self.i >= self.n:
                return keys
            char = self.text[self.i]
            if char in "\"'":
                start, end = self.single_line_string(char)
                raw = self.text[start:end]
                keys.append(_unescape(raw) if char == '"' else raw)
            else:
                match = _BARE_KEY.match(self.text, self.i)
                if match is None:
                    return keys
                keys.append(match.group())
                self.i = match.end()
            self.skip_ws()
            if self.i < self.n and self.text[self.i] == ".":
                self.i += 1
                continue
            return keys

    def key_value(self, table: Key, depth: int) -> None:
        start = self.i
        keys = self.key()
        self.skip_ws()
        if not keys or self.i >= self.n or self.text[self.i] != "=":
            return
        self.i += 1
        self.skip_ws()
        path: Key = (*table, *keys)
        self.value(path, depth)
        entry = self.range(start, self.i)
        spot = self.spots.get(path)
        self.spots[path] = _Spot(spot.value if spot else entry, entry)
        for end in range(len(table) + 1, len(path)):  # tables a dotted key creates
            self.spots.setdefault(path[:end], _Spot(entry, entry))

    def value(self, path: Key, depth: int) -> None:
        if self.i >= self.n:
            return
        start = self.i
        char = self.text[self.i]
        if char in "\"'":
            content_start, content_end = self.string()
            where = self.range(content_start, content_end)
            self.spots[path] = _Spot(where, where)
            return
        if char in "[{" and depth >= _MAX_DEPTH:
            self.skip_nested()
        elif char == "[":
            self.array(path, depth)
        elif char == "{":
            self.inline_table(path, depth)
        else:
            self.scalar()
        where = self.range(start, self.i)
        self.spots[path] = _Spot(where, where)

    def array(self, path: Key, depth: int) -> None:
        self.i += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.i >= self.n:
                return
            char = self.text[self.i]
            if char == "]":
                self.i += 1
                return
            if char == ",":
                self.i += 1
                continue
            before = self.i
            self.value((*path, index), depth + 1)
            index += 1
            if self.i == before:
                self.i += 1

    def inline_table(self, path: Key, depth: int) -> None:
        self.i += 1
        while True:
            self.skip_blank(newlines=True)  # TOML 1.1 lets inline tables span lines
            if self.i >= self.n:
                return
            char = self.text[self.i]
            if char == "}":
                self.i += 1
                return
            if char == ",":
                self.i += 1
                continue
            before = self.i
            self.key_value(path, depth + 1)
            if self.i == before:
                self.i += 1

    def scalar(self) -> None:
        start = self.i
        while self.i < self.n:
            char = self.text[self.i]
            if char == " " and _DATE.fullmatch(self.text, start, self.i) and (
                    self.i + 1 < self.n and self.text[self.i + 1].isdigit()):
                self.i += 1  # the space between a date and its time
                continue
            if char in ",]}# \t\r\n":
                return
            self.i += 1

    def skip_nested(self) -> None:
        """Skip a too deeply nested array or table without recursing (nothing we read lives there)."""
        level = 0
        while self.i < self.n:
            char = self.text[self.i]
            if char in "\"'":
                self.string()
                continue
            if char == "#":
                self.skip_blank(newlines=False)
                continue
            self.i += 1
            if char in "[{":
                level += 1
            elif char in "]}":
                level -= 1
                if level <= 0:
                    return

    # -- strings --------------------------------------------------------------------------------------

    def string(self) -> tuple[int, int]:
        """Consume a string of any of the four kinds; the offsets of its content."""
        quote = self.text[self.i]
        if self.text.startswith(quote * 3, self.i):
            return self.multi_line_string(quote)
        return self.single_line_string(quote)

    def single_line_string(self, quote: str) -> tuple[int, int]:
        start = j = self.i + 1
        while j < self.n and self.text[j] not in (quote, "\n"):
            j += 2 if quote == '"' and self.text[j] == "\\" else 1
        end = min(j, self.n)
        self.i = end + 1 if end < self.n and self.text[end] == quote else end
        return start, end

    def multi_line_string(self, quote: str) -> tuple[int, int]:
        start = j = self.i + 3
        if self.text.startswith("\r\n", j):  # a newline right after the delimiter is not content
            start = j = j + 2
        elif self.text.startswith("\n", j):
            start = j = j + 1
        while j < self.n:
            if quote == '"' and self.text[j] == "\\":
                j += 2
                continue
            if self.text.startswith(quote * 3, j):
                run = 3
                while run < 5 and j + run < self.n and self.text[j + run] == quote:
                    run += 1  # up to two quotes right before the delimiter belong to the content
                self.i = j + run
                return start, j + run - 3
            j += 1
        self.i = self.n
        return min(start, self.n), self.n
