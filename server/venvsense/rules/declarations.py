"""The declaration rules: VS201 not-installed, VS202 version-mismatch, VS203 extra-not-installed, VS204
broken-dependency, VS205 conflicting-declaration, and what the readers found (VS206 invalid-declaration, VS207
unresolvable-include, VS208 index-override) — the project's declaration sets against its venv."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.caches import MemoryCache
from venvsense.declarations import Declaration, in_separate_environment
from venvsense.environment import Distribution, Environment, Installed, broken_dependencies, marker_environment
from venvsense.environment.pipcheck import parse_requirement
from venvsense.findings import Finding, make
from venvsense.model import ProjectModel
from venvsense.rules.environment import anchor, declared_at, venv_label
from venvsense.text import START


def marker_holds(marker: str | None, environment: Mapping[str, str], extra: str = "") -> bool:
    if not marker:
        return True
    # packaging's marker and requirement parsers are imported where a marker or a requirement is read: a check
    # of a project without either (and every start-up) does without them
    from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

    try:
        return Marker(marker).evaluate({**environment, "extra": extra})
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return True


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def satisfies(specifier: str, version: str) -> bool:
    """Whether an installed ``version`` satisfies ``specifier`` the way ``pip check`` decides it."""
    if not specifier:
        return True
    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True


def reader_findings(model: ProjectModel) -> list[Finding]:
    """What the readers found in the declaration sets, ``.python-version`` and ``[tool.venvsense]``."""
    found = [finding for manifest in model.sets for finding in manifest.findings]
    if model.python_version_file:
        found.extend(model.python_version_file.findings)
    if model.settings_error and model.project.pyproject:
        found.append(make("VS206", model.settings_error, model.project.pyproject, START))
    return found


@dataclass(frozen=True)
class Judgments:
    """What ``declaration_findings`` concluded per declaration (VS201–VS203) in the last check of a project, so
    that a keystroke in a 300-line requirements file judges one line, not 300.

    A judgment is reused for an equal declaration (same content, same place) while the installed distributions,
    the venv's Python and its label are the same. The installed distributions are compared by identity:
    ``environment.read_installed`` returns the same ``Installed`` while no site-packages folder changed and a
    new one otherwise, so a different object only means judging again."""

    installed: Installed
    python: str | None
    label: str
    by_declaration: dict[Declaration, list[Finding]] = field(default_factory=dict)

    def valid_for(self, installed: Installed, python: str | None, label: str) -> bool:
        return self.installed is installed and self.python == python and self.label == label


_judgments: MemoryCache[Path, Judgments] = MemoryCache(
    name="rules.declarations.judgments",
    key="project root; within the entry, each declaration by its content and place",
    invalidation="replaced by every check of the project; used only for the same installed distributions "
                 "(the Installed object), venv Python and venv label",
    owner="the process: the language server's re-checks, keystroke by keystroke",
    limit=16,
)


def declaration_findings(model: ProjectModel, env: Environment, installed: Installed) -> list[Finding]:
    """VS201 not-installed, VS202 version-mismatch, VS203 extra-not-installed, VS204 broken-dependency."""
    out: list[Finding] = []
    markers = marker_environment(env.python)
    dists = installed.distributions
    where = venv_label(env, model.root)
    previous = _judgments.get(model.root)
    before = previous.by_declaration if previous is not None and previous.valid_for(installed, env.python, where) \
        else {}
    now = _judgments.put(model.root, Judgments(installed, env.python, where))
    for declaration in model.declarations:
        if in_separate_environment(declaration):
            continue  # Hatch and tox install those sets in environments of their own, never in the project's venv
        found = before.get(declaration)
        if found is None:
            found = _judge(declaration, dists, markers, where)
        now.by_declaration[declaration] = found
        out.extend(found)
    out.extend(_constraint_findings(model, env, dists, where))
    out.extend(_broken_dependency_findings(model, env, installed, where))
    return out


def _label(declaration: Declaration) -> str:
    return declaration.requirement.strip() or declaration.name


def _suffix(declaration: Declaration) -> str:
    return "" if declaration.primary else f" ({declaration.declaration_set})"


def _judge(declaration: Declaration, dists: Mapping[str, Distribution], markers: Mapping[str, str],
           where: str) -> list[Finding]:
    """VS201, VS202 and VS203 for one declaration."""
    if not declaration.normalized or not marker_holds(declaration.marker, markers):
        return []
    dist = dists.get(declaration.normalized)
    common: dict[str, Any] = {"package": declaration.normalized, "secondary": not declaration.primary,
                              "declaration_set": declaration.declaration_set}
    if dist is None:
        return [make(
            "VS201", f"{_label(declaration)} is declared but not installed in {where}{_suffix(declaration)}",
            declaration.file, declaration.range, wanted=declaration.requirement, **common,
        )]
    out: list[Finding] = []
    if declaration.kind == "registry" and not satisfies(declaration.specifier, dist.version):
        out.append(make(
            "VS202",
            f"{_label(declaration)} is declared but {dist.version} is installed in {where}{_suffix(declaration)}",
            declaration.file, declaration.range, wanted=declaration.requirement, installed=dist.version,
            **common,
        ))
    for extra in declaration.extras:
        problem = _extra_problem(dist, extra, dists, markers)
        if problem:
            out.append(make(
                "VS203", f"{declaration.name}[{extra}]: {problem}{_suffix(declaration)}",
                declaration.file, declaration.range, wanted=declaration.requirement, extra=extra, **common,
            ))
    return out


# VS203's answer depends on the venv alone: once per venv state (the same ``dists`` object while the venv is
# unchanged), distribution, extra and Python, not once per declaration of each project of a workspace
_extra_problems: MemoryCache[tuple[int, str, str, str], tuple[Mapping[str, Distribution], str | None]] = MemoryCache(
    name="rules.extra_problems",
    key="the identity of an installed-distributions mapping (kept in the entry), a distribution, an extra, a Python",
    invalidation="a changed venv is read into a new mapping: its id is a new key",
    owner="process",
    limit=1024,
)


def _extra_problem(dist: Distribution, extra: str, dists: Mapping[str, Distribution],
                   markers: Mapping[str, str]) -> str | None:
    key = (id(dists), dist.normalized, extra, markers.get("python_full_version", ""))
    cached = _extra_problems.get(key)
    if cached is not None and cached[0] is dists:
        return cached[1]
    return _extra_problems.put(key, (dists, _find_extra_problem(dist, extra, dists, markers)))[1]


@functools.lru_cache(maxsize=8192)
def _folded(text: str) -> str:
    """``text`` lower-cased with runs of ``-_.`` made one ``-``, as extra names are compared."""
    return re.sub(r"[-_.]+", "-", text.lower())


@functools.lru_cache(maxsize=1024)
def _canonical_names(names: tuple[str, ...]) -> frozenset[str]:
    """``names`` normalized, once per tuple (a distribution's extras, asked about once per extra declared)."""
    return frozenset(canonicalize_name(name) for name in names)


def _find_extra_problem(dist: Distribution, extra: str, dists: Mapping[str, Distribution],
                        markers: Mapping[str, str]) -> str | None:
    wanted = canonicalize_name(extra)
    if dist.extras and wanted not in _canonical_names(dist.extras):
        return f"{dist.name} {dist.version} has no extra '{extra}'"
    missing: list[str] = []
    wrong: list[str] = []
    for text in dist.requires:
        if "extra" not in text:
            continue  # no extra marker: not a requirement of any extra
        folded = _folded(text)
        if wanted not in folded and " in " not in folded:
            continue  # the marker's value cannot differ between no extra and `wanted`, never named in it
        # (packaging's reading, parsed once per text in the process: pip check and the reverse dependencies read
        # the same Requires-Dist values)
        requirement = parse_requirement(text)
        if requirement is None:
            continue
        marker = str(requirement.marker) if requirement.marker else None
        if marker is None or "extra" not in marker:
            continue
        if marker_holds(marker, markers, "") or not marker_holds(marker, markers, wanted):
            continue
        have = dists.get(canonicalize_name(requirement.name))
        if have is None:
            missing.append(f"{requirement.name}{requirement.specifier}")
        elif not satisfies(str(requirement.specifier), have.version):
            wrong.append(f"{requirement.name}{requirement.specifier} ({have.version} is installed)")
    parts = []
    if missing:
        parts.append("not installed: " + ", ".join(missing))
    if wrong:
        parts.append("wrong version: " + ", ".join(wrong))
    return "; ".join(parts) or None


def _constraint_findings(model: ProjectModel, env: Environment, dists: Mapping[str, Distribution],
                         label: str) -> list[Finding]:
    out: list[Finding] = []
    markers = marker_environment(env.python)
    for constraint in (c for manifest in model.sets for c in manifest.constraints):
        dist = dists.get(constraint.normalized)
        if dist is None or not marker_holds(constraint.marker, markers):
            continue
        if constraint.kind == "registry" and not satisfies(constraint.specifier, dist.version):
            out.append(make(
                "VS202",
                f"constraint {_label(constraint)} is not met: {dist.version} is installed in {label}",
                constraint.file, constraint.range, package=constraint.normalized, secondary=not constraint.primary,
                declaration_set=constraint.declaration_set, wanted=constraint.requirement, installed=dist.version,
            ))
    return out


def _broken_dependency_findings(model: ProjectModel, env: Environment, installed: Installed,
                                label: str) -> list[Finding]:
    out: list[Finding] = []
    anchor_file, anchor_range = anchor(model)
    for broken in broken_dependencies(installed, env.python):
        place = declared_at(model, broken.distribution) or declared_at(
            model, canonicalize_name(_requirement_name(broken.requirement))
        )
        file, where = place or (anchor_file, anchor_range)
        out.append(make(
            "VS204", f"{broken.message.rstrip('.')} (in {label})", file, where,
            package=broken.distribution,
            requirement=broken.requirement, installed=broken.installed_version,
        ))
    return out


def _requirement_name(text: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text).name
    except InvalidRequirement:
        return text


def conflicting_declarations(declarations: list[Declaration], environment: Environment | None = None
                             ) -> list[Finding]:
    """VS205: one package declared twice in one set with different specifiers, or anywhere in ways that
    cannot both hold (no version mentioned by either accepts both).

    Two declarations conflict only where both apply to one environment: with a venv (``environment`` with a
    known Python), when both markers hold there; without one, when the markers are the same or either has
    none (``pydantic<2; python_version < "3.14"`` beside ``pydantic>=2; python_version >= "3.14"`` is no
    conflict)."""
    out: list[Finding] = []
    by_name: dict[str, list[Declaration]] = {}
    for declaration in declarations:
        # (a set a tool installs apart, one environment each, conflicts with nothing else: tox's `django32:` and
        # `django40:` lines are two environments)
        if declaration.normalized and declaration.kind == "registry" and not in_separate_environment(declaration):
            by_name.setdefault(declaration.normalized, []).append(declaration)
    markers = marker_environment(environment.python) if environment is not None and environment.python else None
    for name, group in by_name.items():
        if len(group) < 2:
            continue
        for index, later in enumerate(group):
            for earlier in group[:index]:
                if _specifier_key(earlier) == _specifier_key(later) or not _together(earlier, later, markers):
                    continue
                same_set = earlier.file == later.file and earlier.group == later.group
                if same_set or not _compatible(earlier.specifier, later.specifier):
                    out.append(make(
                        "VS205",
                        f"{name} is declared as {_label(later)} here and as {_label(earlier)} in "
                        f"{earlier.file.name}:{earlier.range.start.line + 1}"
                        + ("" if same_set else " — no version satisfies both"),
                        later.file, later.range, package=name, secondary=not later.primary,
                        declaration_set=later.declaration_set, other=str(earlier.file),
                    ))
                    break
    return out


def _together(first: Declaration, second: Declaration, markers: Mapping[str, str] | None) -> bool:
    """Whether both declarations apply to one environment: the venv's when known (``markers``), else any
    (the same marker, or no marker on either)."""
    if markers is not None:
        return marker_holds(first.marker, markers) and marker_holds(second.marker, markers)
    if not first.marker or not second.marker:
        return True
    return _marker_text(first.marker) == _marker_text(second.marker)


def _marker_text(marker: str) -> str:
    from packaging.markers import InvalidMarker, Marker

    try:
        return str(Marker(marker))
    except InvalidMarker:
        return marker.strip()


def _specifier_key(declaration: Declaration) -> tuple[str, str | None]:
    try:
        spec = str(SpecifierSet(declaration.specifier))
    except InvalidSpecifier:
        spec = declaration.specifier
    return spec, declaration.marker


def _compatible(first: str, second: str) -> bool:
    if not first or not second:
        return True
    try:
        a, b = SpecifierSet(first), SpecifierSet(second)
    except InvalidSpecifier:
        return True
    candidates = {spec.version.rstrip(".*") for spec in (*a, *b)}
    versions = [v for v in (_version(c) for c in candidates) if v is not None]
    bumped = []
    for version in versions:
        bumped.append(version)
        bumped.append(Version(".".join(str(p) for p in (*version.release[:-1], version.release[-1] + 1))))
    return any(a.contains(v, prereleases=True) and b.contains(v, prereleases=True) for v in bumped)


def judge_declarations(declarations: list[Declaration], installed: Installed, python: str | None,
                       label: str) -> list[Finding]:
    """VS201–VS203 for declarations of their own set against an installed set (a PEP 723 script's), named
    ``label`` in messages."""
    markers = marker_environment(python)
    return [finding for d in declarations for finding in _judge(d, installed.distributions, markers, label)]
