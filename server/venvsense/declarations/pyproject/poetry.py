"""Poetry's tables of ``pyproject.toml`` (``[tool.poetry]`` dependencies, groups, extras) and the translation of
Poetry's constraints (``^1.2``, ``~1.2``, ``1.2.*``, ``||``, multiple-constraint arrays, ``python`` and
``platform``) into PEP 508 requirements."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.declarations import MAIN, Kind
from venvsense.declarations.pyproject.document import PyprojectDocument, toml_type
from venvsense.declarations.pyproject.positions import Key
from venvsense.declarations.pyproject.sources import apply_source, source_of

__all__ = ["read_poetry", "translate_poetry_constraint"]


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


def read_poetry(document: PyprojectDocument, project: dict[str, Any] | None) -> None:
    """``[tool.poetry]``: python, the main dependencies (or the sources of ``[project]``'s), groups, extras."""
    base: Key = ("tool", "poetry")
    main = document.table((*base, "dependencies"))
    # Poetry 2: when [project] lists the dependencies statically, tool.poetry.dependencies only adds
    # details (sources, develop) to them; the list itself is [project]'s.
    project_rules = (project is not None and "dependencies" in project
                     and "dependencies" not in (project.get("dynamic") or []))
    extras = _poetry_extras(document)
    for name, value in (main or {}).items():
        key: Key = (*base, "dependencies", name)
        if name.lower() == "python":
            if document.manifest.requires_python is None and isinstance(value, str):
                try:
                    translated = translate_poetry_constraint(value)
                except _PoetryError as error:
                    document.invalid(f"invalid Poetry python constraint {value!r}: {error}",
                                     document.value_range(key))
                else:
                    if translated:
                        document.manifest.requires_python = (translated, document.path,
                                                             document.value_range(key))
            continue
        if project_rules:
            apply_source(document, name, value)
            continue
        spec = _poetry_spec(document, name, value, key, primary=True, declaration_set=document.path.name)
        if spec is None:
            continue
        if not spec.optional:
            _add_poetry(document, name, spec, key, group=MAIN, primary=True, declaration_set=document.path.name)
            continue
        # An optional dependency is installed only through the extras that list it; one that no extra
        # lists cannot be installed at all, so it declares nothing.
        for extra, members in extras.items():
            if canonicalize_name(name) in members:
                _add_poetry(document, name, spec, key, group=extra, primary=False,
                            declaration_set=f"extra '{extra}'")

    sets: list[tuple[Key, str]] = []
    if document.lookup((*base, "dev-dependencies")) is not None:
        sets.append(((*base, "dev-dependencies"), "dev"))
    for group in document.table((*base, "group")) or {}:
        if document.table((*base, "group", group)) and document.lookup((*base, "group", group, "dependencies")):
            sets.append(((*base, "group", group, "dependencies"), group))
    for table_key, group in sets:
        declaration_set = f"group '{group}'"
        for name, value in (document.table(table_key) or {}).items():
            key = (*table_key, name)
            if name.lower() == "python":
                continue
            spec = _poetry_spec(document, name, value, key, primary=False, declaration_set=declaration_set)
            if spec is not None:
                _add_poetry(document, name, spec, key, group=group, primary=False, declaration_set=declaration_set)


def _poetry_extras(document: PyprojectDocument) -> dict[str, set[str]]:
    extras = document.table(("tool", "poetry", "extras")) or {}
    result: dict[str, set[str]] = {}
    for extra, members in extras.items():
        if isinstance(members, list):
            result[extra] = {canonicalize_name(m) for m in members if isinstance(m, str)}
        else:
            document.invalid(f"Poetry extra '{extra}' must be an array of package names, not "
                             f"{toml_type(members)}", document.value_range(("tool", "poetry", "extras", extra)),
                             primary=False)
    return result


def _poetry_spec(document: PyprojectDocument, name: str, value: object, key: Key, *, primary: bool,
                 declaration_set: str) -> _PoetrySpec | None:
    try:
        if isinstance(value, list):
            if not value:
                raise _PoetryError("an empty array of constraints")
            return _merge_specs([_poetry_spec_of(item, document.path.parent) for item in value])
        return _poetry_spec_of(value, document.path.parent)
    except _PoetryError as error:
        document.invalid(f"invalid Poetry dependency {name!r}: {error}", document.entry_range(key),
                         primary=primary, package=canonicalize_name(name), declaration_set=declaration_set)
        return None


def _add_poetry(document: PyprojectDocument, name: str, spec: _PoetrySpec, key: Key, *, group: str,
                primary: bool, declaration_set: str) -> None:
    text = name + (f"[{','.join(sorted(spec.extras))}]" if spec.extras else "")
    if spec.url is not None:
        text += f" @ {spec.url}" + (" " if spec.marker else "")
    else:
        text += _specifier_of(spec.branches)
    if spec.marker:
        text += f"; {spec.marker}"
    range_ = document.entry_range(key)
    declaration = document.pep508(text, range_, group=group, primary=primary, declaration_set=declaration_set)
    if declaration is not None:
        document.manifest.declarations.append(replace(declaration, name=name, kind=spec.kind))


# ---------------------------------------------------------------------------------------------------------
# Poetry dependency specification → PEP 508


def _poetry_spec_of(value: object, root: Path) -> _PoetrySpec:
    if isinstance(value, str):
        return _PoetrySpec(_poetry_branches(value), frozenset(), None, "registry", None, False)
    if not isinstance(value, dict):
        raise _PoetryError(f"expected a version constraint or a table, not {toml_type(value)}")
    extras = value.get("extras", [])
    if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
        raise _PoetryError("extras must be an array of strings")
    markers: list[str] = []
    for field, translate in (("markers", str), ("python", _python_marker), ("platform", _platform_marker)):
        if field in value:
            if not isinstance(value[field], str):
                raise _PoetryError(f"{field} must be a string, not {toml_type(value[field])}")
            translated = translate(value[field])
            if translated:
                markers.append(translated)
    marker = " and ".join(f"({m})" if len(markers) > 1 else m for m in markers) or None
    optional = value.get("optional", False) is True
    source = source_of(value, root)
    if source is not None:
        kind, url = source
        return _PoetrySpec(None, frozenset(extras), marker, kind, url, optional)
    version = value.get("version", "*")
    if not isinstance(version, str):
        raise _PoetryError(f"version must be a string, not {toml_type(version)}")
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
