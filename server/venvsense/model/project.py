"""The project model: everything one check knows about one project, read once — its manifests' texts (editor
buffer or disk), its one parsed ``pyproject.toml``, its settings, declaration sets and environment.

Config, the declaration readers, the project name, first-party detection and planning all read the same
``TomlFile``; nothing below re-reads a manifest the model has read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from venvsense.config import Settings, overlay, project_settings
from venvsense.declarations import Declaration, Manifest
from venvsense.declarations.locks import Lock, find_lock, format_of, lock_kind, read_lock
from venvsense.declarations.pyproject import read_pyproject
from venvsense.declarations.pyproject.dynamic import declare_from_metadata, unresolved
from venvsense.declarations.requirements import is_compiled, read_requirements, workspace_boundary
from venvsense.environment import Environment, Installed, find_environment, read_installed
from venvsense.model.discovery import Project, is_project_root, project_at
from venvsense.model.scopes import Scopes, read_scopes
from venvsense.text import UnreadableFile, read_text
from venvsense.tomlfile import TomlFile, read_toml
from venvsense.tree import folders_above

if TYPE_CHECKING:
    from venvsense.declarations.pythonversion import PythonVersionFile


@dataclass(frozen=True)
class ProjectModel:
    """One project as one check sees it.

    ``buffers``: unsaved editor texts by path (they win over the files on disk). ``layout_pyproject``: the
    root's ``pyproject.toml`` parsed once, also when the user named another single manifest (first-party
    detection still reads the package layout from it); ``pyproject_toml`` is the same object when the project's
    declarations include it. ``sets``: the declaration sets (one ``Manifest`` per requirements file tree,
    ``pyproject.toml``, ``setup.cfg``), main requirements first, each declaration once.

    ``lock``: the project's lock file (a source of its own: the rules compare it with the manifests and the venv).
    Growing the model (the next sources): PEP 723 scripts, notebooks and workspace members are new
    fields read here beside ``sets`` (a lock file is one more set; a script is a set and the one source file it
    governs); *scopes* — which sets govern which source files (package code, tests, docs, scripts) — become a
    field mapping set to file globs, read by the import rules instead of "every set governs every file".
    ``scopes`` already says which part of the project each source file is (package code, tests, docs,
    scripts; ``model.scopes``), for the rules that judge an import by where it is (VS304).
    The project's source files are walked lazily by the import classification (``classify.scan_project``),
    only when import checks are on.
    """

    project: Project
    settings: Settings
    settings_error: str | None
    buffers: Mapping[Path, str]
    environ: Mapping[str, str]
    layout_pyproject: TomlFile | None
    environment: Environment | None
    installed: Installed | None
    sets: list[Manifest]
    python_version_file: PythonVersionFile | None
    scopes: Scopes
    # the lock file the project uses (``declarations.locks.find_lock``: uv.lock first), read once; ``None`` without
    # one, or when the check was asked for one manifest only
    lock: Lock | None = None

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def pyproject_toml(self) -> TomlFile | None:
        """The parsed ``pyproject.toml`` when it is one of the project's manifests."""
        return self.layout_pyproject if self.project.pyproject is not None else None

    @property
    def name(self) -> str | None:
        """The project's own distribution name (``[project] name``, else Poetry's), never reported as unused
        nor as an undeclared import."""
        data = self.pyproject_toml.data if self.pyproject_toml is not None else None
        if data is None:
            return next((m.project_name for m in self.sets if m.project_name), None)
        project = data.get("project")
        name = project.get("name") if isinstance(project, dict) else None
        if not isinstance(name, str):
            tool = data.get("tool", {})
            poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
            name = poetry.get("name") if isinstance(poetry, dict) else None
        if not isinstance(name, str):
            name = next((m.project_name for m in self.sets if m.project_name), None)
        return name if isinstance(name, str) else None

    @property
    def setup_cfg_text(self) -> str | None:
        """The editor buffer of the root's ``setup.cfg``, when one is open (else readers use the file)."""
        return self.buffers.get(self.root / "setup.cfg")

    @property
    def declarations(self) -> list[Declaration]:
        return [d for m in self.sets for d in m.declarations]

    @property
    def declarations_incomplete(self) -> bool:
        """Whether some of what the project declares could not be read (computed at build time, VS209): then no
        import may be called "not declared"."""
        return any(m.incomplete for m in self.sets)

    @property
    def requires_python(self) -> list[str]:
        return [m.requires_python[0] for m in self.sets if m.requires_python]


def read_model(
    project: Project,
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[Path, str] | None = None,
) -> ProjectModel:
    """Read one project: ``settings`` given by a caller (CLI flags, editor settings) are laid over the
    project's own ``[tool.venvsense]`` table; ``overrides`` are unsaved editor buffers. Never raises."""
    environ = os.environ if environ is None else environ
    buffers: Mapping[Path, str] = overrides or {}
    layout = project.pyproject or project.root / "pyproject.toml"
    pyproject_toml = read_toml(layout, buffers.get(layout)) if project.pyproject or layout.is_file() else None
    own, settings_error = project_settings(pyproject_toml if project.pyproject else None)
    settings = overlay(own, settings) if settings is not None else own
    if settings.requirement_globs and project.single_manifest is None:
        globbed = project_at(project.root, settings.requirement_globs)
        project = replace(project, requirements=globbed.requirements, main_requirements=globbed.main_requirements)
    environment = find_environment(project.root, configured=settings.venv, environ=environ, is_project=is_project_root)
    if environment is not None and environment.source == "enclosing-project" and _locks_its_own(project, buffers):
        # a nested project that pins its own environment (an example app with its own lock) is not developed in
        # the enclosing project's venv: it needs one of its own (VS101), as before pattern 17
        environment = find_environment(project.root, configured=settings.venv, environ=environ)
    installed = read_installed(environment) if environment and not environment.problems else None
    python_version_file = None
    if project.python_version:
        from venvsense.declarations.pythonversion import read_python_version  # only with a .python-version

        python_version_file = read_python_version(project.python_version, buffers.get(project.python_version))
    sets = read_sets(project, buffers, environ, pyproject_toml, workspace=(*settings.workspace, project.root),
                     trusted=settings.trusted)
    _resolve_dynamic(sets, installed)
    lock_path = find_lock(project.root) if project.single_manifest is None else None
    if lock_path is not None and lock_path.name == "uv.lock" and _uv_workspace_member(project.root):
        lock_path = None  # uv uses the workspace root's lock: a member's own is a leftover it never reads
    kind = lock_kind(lock_path) if lock_path is not None else None
    # a lock of a format this version does not read is no lock (nothing said about it, nothing concluded)
    lock = read_lock(lock_path, buffers.get(lock_path)) if lock_path and kind and format_of(kind) else None
    if lock is None and lock_path is None and project.single_manifest is None:
        lock = _compiled_lock(project, buffers)
    return ProjectModel(
        project=project, settings=settings, settings_error=settings_error, buffers=buffers, environ=environ,
        layout_pyproject=pyproject_toml, environment=environment, installed=installed,
        sets=sets, python_version_file=python_version_file,
        scopes=read_scopes(project.root, pyproject_toml, buffers, packaged=_packaged(project, pyproject_toml)),
        lock=lock,
    )


def _uv_workspace_member(root: Path) -> bool:
    """Whether the project at ``root`` is a member of a uv workspace above it (the nearest ``pyproject.toml`` up
    the tree with a ``[tool.uv.workspace]`` table, whose ``members`` globs name ``root``): pydantic's
    ``pydantic-core/`` keeps a ``uv.lock`` from before it was one."""
    from venvsense.firstparty import workspace_member_folders

    for folder in folders_above(root):
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            continue
        parsed = read_toml(pyproject)
        if not isinstance(parsed.table("tool", "uv").get("workspace"), Mapping):
            continue
        return root in workspace_member_folders(folder, parsed)
    return False


def _compiled_lock(project: Project, buffers: Mapping[Path, str]) -> Lock | None:
    """Without a lock file, the main requirements file when ``pip-compile`` / ``uv pip compile`` made it: a lock
    too (``declarations.locks.compiled``; the editor's buffer, else the file)."""
    for path in project.main_requirements:
        text = buffers.get(path)
        if text is None:
            try:
                text = read_text(path)
            except UnreadableFile:
                continue
        if is_compiled(text):
            return read_lock(path, text, kind="compiled")
    return None


def _resolve_dynamic(sets: list[Manifest], installed: Installed | None) -> None:
    """Dependencies computed at build time (``[project] dynamic`` fields no backend table resolves, a
    ``setup.py`` value made by code): what the project installed in its venv (editable or not) declares in its
    ``METADATA`` — then the set is complete — else a VS209 finding and an incomplete set."""
    name = next((m.project_name for m in sets if m.project_name), None)
    own = installed.distributions.get(canonicalize_name(name)) if installed is not None and name else None
    for manifest in sets:
        if not manifest.unresolved_dynamic:
            continue
        if own is not None:
            declare_from_metadata(manifest, own.requires)
            manifest.incomplete = False
            manifest.findings = [f for f in manifest.findings if f.code != "VS209"]
        else:
            unresolved(manifest)


def _packaged(project: Project, pyproject_toml: TomlFile | None) -> bool:
    """Whether the project has a main set (``[project]``, Poetry's table, ``setup.py``/``setup.cfg``, a main
    requirements file): else it has no package code (a uv workspace root with dependency groups only)."""
    if project.main_requirements or project.setup_py or project.setup_cfg or project.pipfile:
        return True
    data = pyproject_toml.data if pyproject_toml is not None and project.pyproject is not None else None
    return data is not None and ("project" in data or bool(pyproject_toml and pyproject_toml.table("tool", "poetry")))


LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml")


def _locks_its_own(project: Project, buffers: Mapping[Path, str]) -> bool:
    """Whether the project pins an environment of its own: a lock file in its folder, or a requirements file
    compiled by pip-tools/uv (its header or ``# via`` lines, looked for in the file's first 64 KB)."""
    if any((project.root / name).is_file() for name in LOCK_FILES):
        return True
    for path in project.requirements:
        text = buffers.get(path)
        if text is None:
            try:
                with open(path, "rb") as handle:
                    text = handle.read(1 << 16).decode("utf-8", "replace")
            except OSError:
                continue
        if is_compiled(text):
            return True
    return False


def read_sets(project: Project, buffers: Mapping[Path, str], environ: Mapping[str, str],
              pyproject_toml: TomlFile | None = None, *, workspace: tuple[Path, ...] | None = None,
              trusted: bool = True) -> list[Manifest]:
    """Every declaration set of the project, main requirement files first; each declaration appears once.
    ``pyproject_toml``: the model's parsed ``pyproject.toml`` (read here when not given). ``workspace``: the
    folders whose files are the workspace's own (the project root's when ``None``); an untrusted workspace's
    requirements files never read a file outside them."""
    own = workspace if workspace is not None else (project.root,)
    with workspace_boundary(own, follow_outside=trusted):  # also for setup.cfg's and pyproject's `file:`s
        return _dedupe(_read_sets(project, buffers, environ, pyproject_toml, own, trusted))


def _read_sets(project: Project, buffers: Mapping[Path, str], environ: Mapping[str, str],
               pyproject_toml: TomlFile | None, own: tuple[Path, ...], trusted: bool) -> list[Manifest]:
    manifests: list[Manifest] = []
    read: set[Path] = set()
    for path in project.requirements:
        if path in read:
            continue
        primary = path in project.main_requirements
        manifest = read_requirements(path, primary=primary, overrides=buffers, environ=environ, workspace=own,
                                     follow_outside=trusted)
        read.update(manifest.files)
        manifests.append(manifest)
    if project.pyproject:
        parsed = pyproject_toml if pyproject_toml is not None and pyproject_toml.path == project.pyproject else None
        manifests.append(read_pyproject(project.pyproject, buffers.get(project.pyproject), parsed=parsed))
    # the readers of the rarer manifests are imported when a project has one (start-up: setup.py's reader is
    # the largest module of all)
    if project.setup_cfg:
        from venvsense.declarations.setupcfg import read_setup_cfg

        manifests.append(read_setup_cfg(project.setup_cfg, buffers.get(project.setup_cfg)))
    if project.setup_py and project.single_manifest is None:
        from venvsense.declarations.setuppy import read_setup_py

        manifests.append(read_setup_py(project.setup_py, buffers.get(project.setup_py)))
    if project.pipfile:
        from venvsense.declarations.pipfile import read_pipfile

        manifests.append(read_pipfile(project.pipfile, buffers.get(project.pipfile)))
    tox_ini = project.root / "tox.ini"
    if project.single_manifest is None and (tox_ini in buffers or tox_ini.is_file()):
        from venvsense.declarations.tox import read_tox_ini  # what tox installs for the tests it runs

        manifests.append(read_tox_ini(tox_ini, buffers.get(tox_ini)))
    return manifests


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
        # (the name too: a dynamic project's declarations from its metadata share their `dynamic` entry's place)
        manifest.declarations = [d for d in manifest.declarations
                                 if first_time((d.file, d.range.start.line, d.range.start.column, d.normalized))]
        manifest.findings = [f for f in manifest.findings if first_time(
            (f.code, f.file, f.range.start.line, f.range.start.column, f.range.end.line, f.range.end.column))]
    return manifests
