"""The pure analysis: (project, environment, declarations[, imports]) → findings.

``check_project`` reads what it needs from disk (or from ``overrides``, the unsaved editor buffers) and
never starts a process. Everything it finds is a ``Finding``; it does not raise on bad input.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense import findings as F
from venvsense.config import Settings, read_project_settings
from venvsense.declarations import Declaration, Manifest
from venvsense.declarations.pyproject import read_pyproject
from venvsense.declarations.pythonversion import PythonVersionFile, read_python_version
from venvsense.declarations.requirements import read_requirements
from venvsense.declarations.setupcfg import read_setup_cfg
from venvsense.environment import (
    Distribution,
    Environment,
    Installed,
    broken_dependencies,
    find_environment,
    in_project_environments,
    marker_environment,
    read_installed,
)
from venvsense.findings import Finding, Severity
from venvsense.mapping import ModuleIndex
from venvsense.text import START, Range, read_text
from venvsense.usage import Usage, import_findings, scan_project, target_python
from venvsense.workspace import Project, project_at

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass
class ProjectReport:
    """Everything known about one project after a check."""

    project: Project
    settings: Settings
    environment: Environment | None
    installed: Installed | None
    manifests: list[Manifest]
    python_version_file: PythonVersionFile | None
    findings: list[Finding] = field(default_factory=list)
    usage: Usage | None = None
    modules: ModuleIndex | None = None

    @property
    def declarations(self) -> list[Declaration]:
        return [d for m in self.manifests for d in m.declarations]

    @property
    def constraints(self) -> list[Declaration]:
        return [d for m in self.manifests for d in m.constraints]

    @property
    def files(self) -> list[Path]:
        seen: dict[Path, None] = {}
        for manifest in self.manifests:
            for path in manifest.files:
                seen.setdefault(path, None)
        if self.python_version_file:
            seen.setdefault(self.python_version_file.path, None)
        return list(seen)

    def counts(self) -> dict[str, int]:
        severities = [finding.severity for finding in self.findings]
        return {s.label: severities.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFORMATION,
                                                        Severity.HINT)}


def marker_holds(marker: str | None, environment: Mapping[str, str], extra: str = "") -> bool:
    if not marker:
        return True
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


# --- reading --------------------------------------------------------------------------------------------


def read_manifests(
    project: Project, settings: Settings, overrides: Mapping[Path, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Manifest]:
    """Every manifest of the project, main requirement files first; each declaration appears once."""
    overrides = overrides or {}
    manifests: list[Manifest] = []
    read: set[Path] = set()
    for path in project.requirements:
        if path in read:
            continue
        primary = path in project.main_requirements
        manifest = read_requirements(path, primary=primary, overrides=overrides, environ=environ)
        read.update(manifest.files)
        manifests.append(manifest)
    if project.pyproject:
        manifests.append(read_pyproject(project.pyproject, overrides.get(project.pyproject)))
    if project.setup_cfg:
        manifests.append(read_setup_cfg(project.setup_cfg, overrides.get(project.setup_cfg)))
    return _dedupe(manifests)


def _dedupe(manifests: list[Manifest]) -> list[Manifest]:
    """Drop declarations and findings already seen at the same place (a file included twice)."""
    seen: set[tuple[object, ...]] = set()

    def first_time(key: tuple[object, ...]) -> bool:
        if key in seen:
            return False
        seen.add(key)
        return True

    # (positions as plain numbers: a tuple of them hashes far faster than a Range, and this runs per keystroke)
    for manifest in manifests:
        manifest.declarations = [d for d in manifest.declarations
                                 if first_time((d.file, d.range.start.line, d.range.start.column))]
        manifest.findings = [f for f in manifest.findings if first_time(
            (f.code, f.file, f.range.start.line, f.range.start.column, f.range.end.line, f.range.end.column))]
    return manifests


# --- the check -------------------------------------------------------------------------------------------


def check_project(
    project: Project,
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[Path, str] | None = None,
) -> ProjectReport:
    """Analyse one project: read its manifests and environment, and produce its findings.

    ``settings`` given by a caller (CLI flags, editor settings) are laid over the project's own
    ``[tool.venvsense]`` table.
    """
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    project_settings, settings_error = read_project_settings(
        project.pyproject, overrides.get(project.pyproject) if project.pyproject else None
    )
    if settings is not None:
        project_settings = _overlay(project_settings, settings)
    settings = project_settings
    if settings.requirements and project.only is None:
        extra = project_at(project.root, settings.requirements)
        project = replace(project, requirements=extra.requirements, main_requirements=extra.main_requirements)

    environment = find_environment(project.root, configured=settings.venv, environ=environ)
    installed = read_installed(environment) if environment and not environment.problems else None
    manifests = read_manifests(project, settings, overrides, environ)
    pvf = None
    if project.python_version:
        pvf = read_python_version(project.python_version, overrides.get(project.python_version))

    report = ProjectReport(project, settings, environment, installed, manifests, pvf)
    raw: list[Finding] = []
    for manifest in manifests:
        raw.extend(manifest.findings)
    if pvf:
        raw.extend(pvf.findings)
    if settings_error and project.pyproject:
        raw.append(F.make("VS206", settings_error, project.pyproject, START))
    raw.extend(environment_findings(report, environ))
    if environment is not None and installed is not None:
        raw.extend(declaration_findings(report, environment, installed))
    raw.extend(conflicting_declarations(report.declarations))
    if settings.check_imports:
        raw.extend(_import_findings(report, overrides))
    report.findings = apply_settings(raw, settings)
    return report


def _overlay(base: Settings, top: Settings) -> Settings:
    """Caller settings over project settings: a caller value that differs from the default wins."""
    default = Settings()
    changes = {}
    for name in Settings.__dataclass_fields__:
        value = getattr(top, name)
        if value != getattr(default, name):
            if name in ("severity", "ignore", "module_map"):
                value = {**getattr(base, name), **value}
            changes[name] = value
    return replace(base, **changes)


def apply_settings(found: Iterable[Finding], settings: Settings) -> list[Finding]:
    """Configured severities (``off`` drops), lowered-severity policy and per-package ignores, sorted."""
    result: list[Finding] = []
    for finding in found:
        if settings.ignores(finding.code, finding.package):
            continue
        default = F.CATALOGUE[finding.code].severity
        severity = finding.severity
        if finding.code in settings.severity:
            configured = settings.severity[finding.code]
            # keep the secondary-set lowering relative to the configured level
            lowered = severity < default and settings.lower_secondary
            severity = configured.lowered() if lowered and configured != Severity.OFF else configured
        elif severity < default and not settings.lower_secondary and finding.declared_in is not None:
            severity = default
        if severity == Severity.OFF:
            continue
        result.append(finding.with_severity(severity))
    result.sort(key=lambda f: (str(f.file), f.range.start.line, f.range.start.column, f.code))
    return result


def _anchor(report: ProjectReport) -> tuple[Path, Range]:
    """Where a project-level finding is shown: the first declaration of the main manifest, else its start."""
    for manifest in report.manifests:
        if manifest.declarations:
            first = manifest.declarations[0]
            return first.file, first.range
    if report.manifests:
        return report.manifests[0].path, START
    if report.python_version_file:
        return report.python_version_file.path, START
    return report.project.root / "pyproject.toml", START


def environment_label(env: Environment, root: Path) -> str:
    """How messages name a venv: ``.venv`` inside the project, else a short path (``../project-a/.venv``)."""
    if _inside(env.path, root):
        return os.path.relpath(env.path, root) if env.path.parent != root else env.name
    relative = os.path.relpath(env.path, root)
    if relative.count("..") <= 2:
        return relative
    home = str(Path.home())
    text = str(env.path)
    return "~" + text[len(home):] if text.startswith(home + os.sep) else text


def _env_label(env: Environment, report: ProjectReport) -> str:
    # one call per finding: resolving both paths each time (two realpath walks) made a long requirements file
    # cost noticeably per check, each keystroke in the language server; the answer depends only on the two paths
    key = (env.path, env.name, report.project.root)
    label = _env_labels.get(key)
    if label is None:
        label = environment_label(env, report.project.root)
        if len(_env_labels) > 256:
            _env_labels.clear()
        _env_labels[key] = label
    return label


_env_labels: dict[tuple[Path, str, Path], str] = {}


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def environment_findings(report: ProjectReport, environ: Mapping[str, str]) -> list[Finding]:
    """VS101 no-environment, VS102 foreign-environment, VS103 python-version-mismatch, VS104 broken."""
    out: list[Finding] = []
    env = report.environment
    root = report.project.root
    declares = bool(report.declarations)
    if env is None:
        if declares:
            for manifest in report.manifests:
                if manifest.declarations:
                    first = manifest.declarations[0]
                    out.append(F.make(
                        "VS101",
                        f"{_rel(manifest.path, root)} declares dependencies but this project has no virtual "
                        "environment: create one with `venvsense create` (a .venv in the project folder)",
                        first.file, first.range, package=None,
                    ))
        return out
    file, where = _anchor(report)
    own = [p for p in in_project_environments(root) if p.resolve() != env.path.resolve()]
    if env.source in ("VIRTUAL_ENV", "configured") and not _inside(env.path, root) and not _inside(
        root, env.path.parent
    ):
        if own:
            detail = f"this project has its own {own[0].name}"
        else:
            detail = "this project should have its own (create it with `venvsense create`)"
        via = "VIRTUAL_ENV points at" if env.source == "VIRTUAL_ENV" else "the configured venv is"
        out.append(F.make("VS102", f"{via} {env.path}, which belongs to another project; {detail}",
                          file, where, environment=str(env.path)))
    elif env.source == "in-project":
        active = environ.get("VIRTUAL_ENV")
        if active and not _inside(Path(active), root) and not _inside(root, Path(active).parent):
            out.append(F.make(
                "VS102",
                f"VIRTUAL_ENV points at {active}, which belongs to another project; this project's own "
                f"{env.name} is checked instead — activate it in your terminal",
                file, where, environment=active,
            ))
    for problem in env.problems:
        out.append(F.make("VS104", f"{_env_label(env, report)} is broken: {problem}", file, where,
                          environment=str(env.path)))
    if env.python:
        out.extend(_python_version_findings(report, env))
    if report.installed is not None:
        for name, copies in report.installed.duplicates.items():
            where_file, where_range = _declared_at(report, name) or (file, where)
            versions = ", ".join(d.version for d in copies)
            out.append(F.make(
                "VS105", f"{name} is installed more than once in {_env_label(env, report)} ({versions}): "
                "imports will see only one of them; reinstall it", where_file, where_range, package=name,
            ))
    return out


def _declared_at(report: ProjectReport, normalized: str) -> tuple[Path, Range] | None:
    for declaration in report.declarations:
        if declaration.normalized == normalized:
            return declaration.file, declaration.range
    return None


def _python_version_findings(report: ProjectReport, env: Environment) -> list[Finding]:
    out: list[Finding] = []
    assert env.python is not None
    pvf = report.python_version_file
    if pvf and pvf.versions:
        wanted, where = pvf.versions[0]
        if _version_matches(env.python, wanted) is False:
            out.append(F.make(
                "VS103",
                f"{_env_label(env, report)} was built with Python {env.python} but .python-version asks for {wanted}",
                pvf.path, where, wanted=wanted, installed=env.python,
            ))
    for manifest in report.manifests:
        if manifest.requires_python is None:
            continue
        spec, path, where = manifest.requires_python
        try:
            ok = SpecifierSet(spec).contains(env.python, prereleases=True)
        except InvalidSpecifier:
            continue
        if not ok:
            out.append(F.make(
                "VS103",
                f"{_env_label(env, report)} was built with Python {env.python} but requires-python is {spec!r}",
                path, where, wanted=spec, installed=env.python,
            ))
    return out


def _version_matches(actual: str, wanted: str) -> bool | None:
    """``3.12`` matches any 3.12.x; ``3.12.2`` only itself; ``None`` when ``wanted`` is not CPython X.Y[.Z]."""
    parts = wanted.strip().split(".")
    if not (1 < len(parts) <= 3 and all(p.isdigit() for p in parts)):
        return None
    return actual.split(".")[: len(parts)] == parts


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _label(declaration: Declaration) -> str:
    return declaration.requirement.strip() or declaration.name


def _suffix(declaration: Declaration) -> str:
    return "" if declaration.primary else f" ({declaration.declared_in})"


# root → id(declaration) → (declaration, installed, python, venv label, its findings): what the last check of
# each project concluded per declaration, reused for the same declaration object (the requirements reader gives
# back the declarations of unchanged lines) while the installed distributions (the same cached ``Installed``),
# the venv's Python and its label are the same: a keystroke in a 300-line file judges one line, not 300
_Judged = tuple[Declaration, Installed, "str | None", str, list[Finding]]
_judged: dict[Path, dict[int, _Judged]] = {}
_JUDGED_PROJECTS = 16


def declaration_findings(report: ProjectReport, env: Environment, installed: Installed) -> list[Finding]:
    """VS201 not-installed, VS202 version-mismatch, VS203 extra-not-installed, VS204 broken-dependency."""
    out: list[Finding] = []
    markers = marker_environment(env.python)
    dists = installed.distributions
    where = _env_label(env, report)
    root = report.project.root
    before = _judged.get(root, {})
    now: dict[int, _Judged] = {}
    for declaration in report.declarations:
        entry = before.get(id(declaration))
        if entry is None or entry[0] is not declaration or entry[1] is not installed or entry[2] != env.python \
                or entry[3] != where:
            entry = (declaration, installed, env.python, where, _judge(declaration, dists, markers, where))
        now[id(declaration)] = entry
        out.extend(entry[4])
    _judged.pop(root, None)
    _judged[root] = now
    while len(_judged) > _JUDGED_PROJECTS:
        del _judged[next(iter(_judged))]
    out.extend(_constraint_findings(report, env, dists))
    out.extend(_broken_dependency_findings(report, env, installed))
    return out


def _judge(declaration: Declaration, dists: Mapping[str, Distribution], markers: Mapping[str, str],
           where: str) -> list[Finding]:
    """VS201, VS202 and VS203 for one declaration."""
    if not declaration.normalized or not marker_holds(declaration.marker, markers):
        return []
    dist = dists.get(declaration.normalized)
    common: dict[str, Any] = {"package": declaration.normalized, "secondary": not declaration.primary,
                              "declared_in": declaration.declared_in}
    if dist is None:
        return [F.make(
            "VS201", f"{_label(declaration)} is declared but not installed in {where}{_suffix(declaration)}",
            declaration.file, declaration.range, wanted=declaration.requirement, **common,
        )]
    out: list[Finding] = []
    if declaration.kind == "registry" and not satisfies(declaration.specifier, dist.version):
        out.append(F.make(
            "VS202",
            f"{_label(declaration)} is declared but {dist.version} is installed in {where}{_suffix(declaration)}",
            declaration.file, declaration.range, wanted=declaration.requirement, installed=dist.version,
            **common,
        ))
    for extra in declaration.extras:
        problem = _extra_problem(dist, extra, dists, markers)
        if problem:
            out.append(F.make(
                "VS203", f"{declaration.name}[{extra}]: {problem}{_suffix(declaration)}",
                declaration.file, declaration.range, wanted=declaration.requirement, extra=extra, **common,
            ))
    return out


def _extra_problem(dist: Distribution, extra: str, dists: Mapping[str, Distribution],
                   markers: Mapping[str, str]) -> str | None:
    wanted = canonicalize_name(extra)
    if dist.extras and wanted not in {canonicalize_name(e) for e in dist.extras}:
        return f"{dist.name} {dist.version} has no extra '{extra}'"
    missing: list[str] = []
    wrong: list[str] = []
    for text in dist.requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
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


def _constraint_findings(report: ProjectReport, env: Environment,
                         dists: Mapping[str, Distribution]) -> list[Finding]:
    out: list[Finding] = []
    markers = marker_environment(env.python)
    for constraint in report.constraints:
        dist = dists.get(constraint.normalized)
        if dist is None or not marker_holds(constraint.marker, markers):
            continue
        if constraint.kind == "registry" and not satisfies(constraint.specifier, dist.version):
            out.append(F.make(
                "VS202",
                f"constraint {_label(constraint)} is not met: {dist.version} is installed in {_env_label(env, report)}",
                constraint.file, constraint.range, package=constraint.normalized, secondary=not constraint.primary,
                declared_in=constraint.declared_in, wanted=constraint.requirement, installed=dist.version,
            ))
    return out


def _broken_dependency_findings(report: ProjectReport, env: Environment, installed: Installed) -> list[Finding]:
    out: list[Finding] = []
    anchor_file, anchor_range = _anchor(report)
    for broken in broken_dependencies(installed, env.python):
        place = _declared_at(report, broken.distribution) or _declared_at(
            report, canonicalize_name(_requirement_name(broken.requirement))
        )
        file, where = place or (anchor_file, anchor_range)
        out.append(F.make(
            "VS204", f"{broken.message.rstrip('.')} (in {_env_label(env, report)})", file, where,
            package=broken.distribution,
            requirement=broken.requirement, installed=broken.installed_version,
        ))
    return out


def _requirement_name(text: str) -> str:
    try:
        return Requirement(text).name
    except InvalidRequirement:
        return text


def conflicting_declarations(declarations: list[Declaration]) -> list[Finding]:
    """VS205: one package declared twice in one set with different specifiers, or anywhere in ways that
    cannot both hold (no version mentioned by either accepts both)."""
    out: list[Finding] = []
    by_name: dict[str, list[Declaration]] = {}
    for declaration in declarations:
        if declaration.normalized and declaration.kind == "registry":
            by_name.setdefault(declaration.normalized, []).append(declaration)
    for name, group in by_name.items():
        for index, later in enumerate(group):
            for earlier in group[:index]:
                if _specifier_key(earlier) == _specifier_key(later):
                    continue
                same_set = earlier.file == later.file and earlier.group == later.group
                if same_set or not _compatible(earlier.specifier, later.specifier):
                    out.append(F.make(
                        "VS205",
                        f"{name} is declared as {_label(later)} here and as {_label(earlier)} in "
                        f"{earlier.file.name}:{earlier.range.start.line + 1}"
                        + ("" if same_set else " — no version satisfies both"),
                        later.file, later.range, package=name, secondary=not later.primary,
                        declared_in=later.declared_in, other=str(earlier.file),
                    ))
                    break
    return out


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


def _project_name(report: ProjectReport, overrides: Mapping[Path, str]) -> str | None:
    pyproject = report.project.pyproject
    if pyproject is None:
        return None
    try:
        text = overrides.get(pyproject) or read_text(pyproject)
        data = tomllib.loads(text)
    except Exception:  # unreadable or broken TOML: the pyproject reader reports it
        return None
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str):
        poetry = data.get("tool", {}).get("poetry", {})
        name = poetry.get("name") if isinstance(poetry, dict) else None
    return name if isinstance(name, str) else None


def _import_findings(report: ProjectReport, overrides: Mapping[Path, str],
                     reuse: tuple[Usage, ModuleIndex] | None = None) -> list[Finding]:
    """VS301–VS303: scan the project's modules (cached by path, mtime and size) and compare.

    ``reuse`` is a previous scan and index still valid for this report (see ``recheck_manifests``)."""
    settings = report.settings
    if reuse is None:
        requires = [m.requires_python[0] for m in report.manifests if m.requires_python]
        reuse = scan_project(
            report.project.root, installed=report.installed, python=target_python(report.environment, requires),
            module_map=settings.module_map, known_first_party=settings.known_first_party,
            exclude=settings.exclude, overrides=overrides,
        )
    usage, index = reuse
    report.usage, report.modules = usage, index
    return import_findings(
        usage, index, declarations=report.declarations, environment=report.environment, installed=report.installed,
        project_name=_project_name(report, overrides), check_unused=settings.check_unused,
        used_without_import=settings.used_without_import,
        environment_label=_env_label(report.environment, report) if report.environment else None,
    )


# --- re-checking after edits to manifests only (the language server, keystroke by keystroke) ---------------


def recheck_manifests(
    previous: ProjectReport,
    project: Project,
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[Path, str] | None = None,
) -> ProjectReport:
    """``check_project`` again when only manifest texts changed since ``previous`` (no module of the project,
    nothing on disk): the import scan and classification of ``previous`` (``usage``, ``modules``) are reused
    instead of walking, stat-ing and classifying every ``.py`` file again; manifests, environment and every
    finding are computed afresh. The result is what ``check_project`` returns for the same arguments.

    The scan is reused only when what it was classified against is unchanged: the same environment and
    ``Installed`` (the cached object), the same target Python and the same settings; otherwise the imports
    are scanned as ``check_project`` does. The caller decides that no module changed (it knows which
    buffers were edited since ``previous``).
    """
    overrides = overrides or {}
    own, _ = read_project_settings(project.pyproject, overrides.get(project.pyproject) if project.pyproject else None)
    wanted = _overlay(own, settings) if settings is not None else own
    if not wanted.check_imports or previous.usage is None or previous.modules is None:
        return check_project(project, settings, environ=environ, overrides=overrides)
    report = check_project(project, replace(settings or Settings(), check_imports=False), environ=environ,
                           overrides=overrides)
    report.settings = replace(report.settings, check_imports=True)
    requires = [m.requires_python[0] for m in report.manifests if m.requires_python]
    before = [m.requires_python[0] for m in previous.manifests if m.requires_python]
    reusable = (
        report.settings == previous.settings
        and report.environment == previous.environment
        and report.installed is previous.installed
        and target_python(report.environment, requires) == target_python(previous.environment, before)
    )
    found = _import_findings(report, overrides, (previous.usage, previous.modules) if reusable else None)
    if found:
        merged = report.findings + apply_settings(found, report.settings)
        merged.sort(key=lambda f: (str(f.file), f.range.start, f.code))
        report.findings = merged
    return report
