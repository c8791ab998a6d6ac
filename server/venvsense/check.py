"""The check: one project read into its model, every rule family run on it, severities decided once.

``check_project`` reads what it needs from disk (or from ``overrides``, the unsaved editor buffers) and never
starts a process; ``recheck_manifests`` is the language server's keystroke path. Everything found is a
``Finding``; nothing here raises on bad input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venvsense.classify import Usage, same_local_code, scan_project, target_python
from venvsense.classify.members import Workspace, workspace_of
from venvsense.config import Settings
from venvsense.declarations import Declaration, Manifest
from venvsense.declarations.locks import Lock
from venvsense.environment import Environment, Installed
from venvsense.findings import Finding, Severity
from venvsense.firstparty import layout_settings
from venvsense.imports import DiskScanCache, scan_source
from venvsense.imports.notebook import NOTEBOOK_SUFFIX, scan_notebook
from venvsense.mapping import ModuleIndex
from venvsense.model import Project, ProjectModel, Scopes, read_model
from venvsense.model.scripts import ScriptScope, is_script_text, read_scripts
from venvsense.rules.declarations import conflicting_declarations, declaration_findings, reader_findings
from venvsense.rules.environment import environment_findings, venv_label
from venvsense.rules.folders import manifestless_findings
from venvsense.rules.imports import import_findings
from venvsense.rules.locks import lock_findings
from venvsense.rules.notebooks import notebook_findings
from venvsense.rules.outdated import outdated_findings
from venvsense.rules.scripts import script_findings
from venvsense.rules.workspaces import workspace_findings
from venvsense.severity import decide, finding_order
from venvsense.text import START, Range
from venvsense.tomlfile import TomlFile

if TYPE_CHECKING:
    from venvsense.declarations.pythonversion import PythonVersionFile


@dataclass
class ProjectReport:
    """Everything known about one project after a check.

    ``pyproject_toml`` is the project's parsed ``pyproject.toml`` (when it is one of its manifests), for
    planning to read instead of parsing it again. ``usage`` and ``modules`` are the import classification
    (``None`` when import checks are off)."""

    project: Project
    settings: Settings
    environment: Environment | None
    installed: Installed | None
    manifests: list[Manifest]
    python_version_file: PythonVersionFile | None
    findings: list[Finding] = field(default_factory=list)
    usage: Usage | None = None
    modules: ModuleIndex | None = None
    pyproject_toml: TomlFile | None = None
    scopes: Scopes | None = None  # which part of the project each source file is (package, tests, docs, scripts)
    workspace: Workspace | None = None  # the uv workspace the project is the root or a member of
    lock: Lock | None = None  # the project's lock file as read (``declarations.locks``), ``None`` without one
    # the PEP 723 scripts among its files: each a scope of its own (declarations, environment, imports)
    scripts: list[ScriptScope] = field(default_factory=list)

    @property
    def declarations(self) -> list[Declaration]:
        return [d for m in self.manifests for d in m.declarations]

    @property
    def project_findings(self) -> list[Finding]:
        """The findings about the project and its venv: those in its PEP 723 scripts left out (each script has
        its own environment, created and fixed on its own)."""
        if not self.scripts:
            return self.findings
        scripts = {script.path for script in self.scripts}
        return [f for f in self.findings if f.file not in scripts]

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
        if self.lock is not None:
            seen.setdefault(self.lock.path, None)
        return list(seen)

    def counts(self) -> dict[str, int]:
        severities = [finding.severity for finding in self.findings]
        return {s.label: severities.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFORMATION,
                                                        Severity.HINT)}


def environment_json(env: Environment | None) -> dict[str, Any] | None:
    """The environment as the CLI's JSON and the editor's status show it."""
    if env is None:
        return None
    return {"path": str(env.path), "python": env.python, "source": env.source}


def check_project(
    project: Project,
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[Path, str] | None = None,
    disk_cache: DiskScanCache | None = None,
) -> ProjectReport:
    """Analyse one project: read its manifests and environment, and produce its findings.

    ``settings`` given by a caller (CLI flags, editor settings) are laid over the project's own
    ``[tool.venvsense]`` table. ``disk_cache``: where repeated runs keep their import scans (the CLI's; the
    language server's for a project's first check of a session).
    """
    model = read_model(project, settings, environ=environ, overrides=overrides)
    return _check(model, None, disk_cache)


def recheck_manifests(
    previous: ProjectReport,
    project: Project,
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[Path, str] | None = None,
) -> ProjectReport:
    """``check_project`` again when only manifest texts changed since ``previous`` (no module of the project,
    nothing on disk): the import classification of ``previous`` is reused instead of walking, stat-ing and
    classifying every ``.py`` file again; everything else is computed afresh (unchanged declarations are
    not judged again, see ``rules.declarations.Judgments``). The result is what ``check_project`` returns
    for the same arguments.

    The classification is reused only when what it was made against is unchanged: the same settings, the
    same environment and installed distributions (the same ``Installed``), the same target Python and the
    same package layout settings in ``pyproject.toml`` (first-party names), the same ``requires-python``
    (stdlib names), declared names (local code) and ``[build-system] requires`` (``setup.py``). The caller
    decides that no module changed (it knows which buffers were edited since ``previous``).
    """
    model = read_model(project, settings, environ=environ, overrides=overrides)
    before = [m.requires_python[0] for m in previous.manifests if m.requires_python]
    scan = None
    if (
        previous.usage is not None and previous.modules is not None
        and model.settings == previous.settings
        and model.environment == previous.environment
        and model.installed is previous.installed
        and target_python(model.environment, model.requires_python) == target_python(previous.environment, before)
        and layout_settings(model.pyproject_toml) == layout_settings(previous.pyproject_toml)
        and before == model.requires_python
        and same_local_code(previous.usage, previous.modules, _declared_names(previous.declarations),
                            _declared_names(model.declarations))
        and _build_system(model.pyproject_toml) == _build_system(previous.pyproject_toml)
    ):
        scan = (previous.usage, previous.modules)
    return _check(model, scan, None)


# modules read for more than their imports (sys.path set-up, declarations, a PEP 723 block): never on the fast path
_READ_FOR_MORE = frozenset({"setup.py", "conftest.py", "noxfile.py"})


def imports_unchanged(previous: ProjectReport, buffers: Mapping[Path, str]) -> bool:
    """Whether editing the module ``buffers`` leaves ``previous`` as it stands: each one is a module ``previous``
    scanned, and its imports read now exactly as then (the same statements at the same places, the same gates).

    A module edit can change only that module's imports (what the import rules judge); modules the engine reads
    for more — ``setup.py``, ``conftest.py``, a script's ``# /// script`` block, settings files (read from disk,
    not from the buffer, until saved) — are judged by the full check. This is the keystroke path of an editor:
    a body being typed, imports untouched, costs one scan of that buffer instead of a project check."""
    usage = previous.usage
    if usage is None or not buffers:
        return False
    for path, text in buffers.items():
        before = usage.scanned.get(path)
        if path.suffix == NOTEBOOK_SUFFIX:  # an open notebook: its imports, and what its pip lines install
            if before is None or scan_notebook(text) != before or not _same_installs(previous, path, text):
                return False
            continue
        if (before is None or path.suffix != ".py" or path.name in _READ_FOR_MORE or "# ///" in text
                or scan_source(text) != before):
            return False
    return True


def _same_installs(previous: ProjectReport, path: Path, text: str) -> bool:
    """Whether the notebook ``text`` at ``path`` has the VS305 findings ``previous`` has there (same places)."""
    now = {(f.range, f.package) for f in notebook_findings([path], {path: text}, previous.declarations)}
    return now == {(f.range, f.package) for f in previous.findings if f.code == "VS305" and f.file == path}
def script_blocks_edited(previous: ProjectReport, buffers: Mapping[Path, str]) -> bool:
    """Whether editing the module ``buffers`` is the keystroke of a PEP 723 block: each one is a script of
    ``previous`` (or holds ``# /// script`` now) and its imports read exactly as then. Its block is then a
    manifest like any other: ``recheck_manifests`` re-reads the block and judges it (and the script's imports,
    against its possibly new declarations) on the import classification ``previous`` made — the requirements
    file's keystroke path, not a project check."""
    usage = previous.usage
    if usage is None or not buffers:
        return False
    scripts = {script.path for script in previous.scripts}
    for path, text in buffers.items():
        before = usage.scanned.get(path)
        if (before is None or path.suffix != ".py" or path.name in _READ_FOR_MORE
                or not (path in scripts or is_script_text(text)) or scan_source(text) != before):
            return False
    return True


def _declared_names(declarations: list[Declaration]) -> set[str]:
    """What the classification reads of the declarations (a local folder named like one is not local code)."""
    return {d.normalized for d in declarations if d.normalized}


def _build_system(pyproject_toml: TomlFile | None) -> object:
    """What the classification reads of ``[build-system]`` (the build script's imports)."""
    return pyproject_toml.table("build-system").get("requires") if pyproject_toml is not None else None


def _check(model: ProjectModel, scan: tuple[Usage, ModuleIndex] | None,
           disk_cache: DiskScanCache | None) -> ProjectReport:
    settings = model.settings
    report = ProjectReport(model.project, settings, model.environment, model.installed, model.sets,
                           model.python_version_file, pyproject_toml=model.pyproject_toml, scopes=model.scopes,
                           lock=model.lock)
    found = reader_findings(model)
    found.extend(environment_findings(model))
    if model.environment is not None and model.installed is not None:
        found.extend(declaration_findings(model, model.environment, model.installed))
        found.extend(outdated_findings(model, model.environment, model.installed))
    found.extend(conflicting_declarations(model.declarations, model.environment))
    locked = lock_findings(model)
    if locked.covered:  # a declared package out of sync with the lock is said once, by VS402
        found = [f for f in found if not (f.code in ("VS201", "VS202") and f.package in locked.covered)]
    found.extend(locked.findings)
    if settings.check_imports:
        if scan is None:
            scan = scan_project(
                model.root, installed=model.installed,
                python=target_python(model.environment, model.requires_python),
                module_map=settings.module_map, known_first_party=settings.known_first_party,
                exclude=settings.exclude, overrides=model.buffers, pyproject_toml=model.layout_pyproject,
                setup_cfg_text=model.setup_cfg_text, disk_cache=disk_cache,
                requires_python=model.requires_python,
                declared=sorted(_declared_names(model.declarations)),
            )
        report.usage, report.modules = scan
        report.scripts = read_scripts(model.root, scan[0].scanned, settings, model.buffers, model.environ)
        for script in report.scripts:
            found.extend(script_findings(script, scan[0], settings, model.root))
        # the scripts' imports are judged against their own blocks: the project's rules see the rest
        project_usage = scan[0].without(s.path for s in report.scripts) if report.scripts else scan[0]
        found.extend(import_findings(
            project_usage, scan[1], declarations=model.declarations,
            environment=model.environment, installed=model.installed,
            project_name=model.name, check_unused=settings.check_unused,
            used_without_import=settings.used_without_import,
            environment_label=venv_label(model.environment, model.root) if model.environment else None,
            root=model.root, incomplete=model.declarations_incomplete, scopes=model.scopes,
            pyproject_toml=model.pyproject_toml, lock=model.lock,
        ))
        found.extend(notebook_findings(scan[0].notebooks, model.buffers, model.declarations))
        found = manifestless_findings(model, project_usage, scan[1], found)
    if model.pyproject_toml is not None:
        report.workspace = workspace_of(model.root, model.pyproject_toml)
        found = workspace_findings(report.workspace, model.declarations, found, root=model.root,
                                   has_venv=model.environment is not None, pyproject_toml=model.pyproject_toml,
                                   scopes=model.scopes)
    report.findings = cap_quotes(cap_per_file(fold_outside(decide(found, settings), model.sets,
                                                           (*settings.workspace, model.root))))
    return report


def fold_outside(findings: list[Finding], manifests: list[Manifest], workspace: tuple[Path, ...]) -> list[Finding]:
    """Findings in files outside the workspace replaced by one per place that led to them, counting them without
    a word of what those files say (a secret included by ``-r ../.pypirc`` is never quoted, nor a package name
    read from it). The places are those the requirements reader recorded (``Manifest.outside``); any other file a
    manifest read whose real path is outside ``workspace`` (a ``file:`` of ``setup.cfg`` or of
    ``[tool.setuptools.dynamic]``) counts at the top of that manifest."""
    folders = [os.path.realpath(folder) for folder in workspace]
    outside: dict[Path, tuple[Path, Range]] = {}
    for manifest in manifests:
        for path, (file, range_) in manifest.outside.items():
            # a place that is itself outside (a `file:` of setup.cfg leading out, then a link): the manifest's top
            where = os.path.join(os.path.realpath(file.parent), file.name)
            outside[path] = (file, range_) if _inside_any(where, folders) else (manifest.path, START)
        for path in manifest.files[1:]:
            if path not in outside and not _inside_any(os.path.realpath(path), folders):
                outside[path] = (manifest.path, START)
    if not outside:
        return findings
    kept: list[Finding] = []
    folded: dict[tuple[Path, Range], list[Finding]] = {}
    for finding in findings:
        place = outside.get(finding.file)
        if place is None:
            kept.append(finding)
        else:
            folded.setdefault(place, []).append(finding)
    for (file, range_), items in folded.items():
        worst = max(items, key=lambda f: f.severity)
        count = f"{len(items)} finding{'s' if len(items) > 1 else ''}"
        if file in outside:  # a requirements file that is a link leading out of the workspace
            code, where = "VS206", "this file leads outside the workspace: its"
        elif range_ == START:
            code, where = "VS207", "a file this manifest reads is outside the workspace: its"
        else:
            code, where = "VS207", "this include leads outside the workspace: the included file's"
        verb = "is" if len(items) == 1 else "are"
        kept.append(Finding(code, f"{where} {count} {verb} not shown, nor any of its content (open a workspace "
                            "holding that file to see them)", file, range_, worst.severity,
                            declaration_set=worst.declaration_set, secondary=worst.secondary))
    kept.sort(key=finding_order)
    return kept


def _inside_any(path: str, folders: list[str]) -> bool:
    return any(path == folder or path.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders)


QUOTE_LIMIT = 80  # the most characters of a file's text a message quotes
# a quoted text starts and ends with a character that is not a space: the stretch between two quoted names
# (`'numpy' is imported … provided by 'numpy'`) is not one
_LONG_QUOTE = re.compile(rf"'(?=[^\s'])([^'\n]{{{QUOTE_LIMIT + 1},}})(?<=[^\s'])'"
                         rf"|\"(?=[^\s\"])([^\"\n]{{{QUOTE_LIMIT + 1},}})(?<=[^\s\"])\"")


def _cut(match: re.Match[str]) -> str:
    quote = match.group()[0]
    return f"{quote}{match.group()[1:QUOTE_LIMIT]}…{quote}"


def cap_quotes(findings: list[Finding]) -> list[Finding]:
    """Every quoted text in a message cut at ``QUOTE_LIMIT`` characters, whichever reader quoted it (a 5 MB line
    is not repeated into a diagnostic). The requirements reader cuts its own quotes as it makes them."""
    out = findings
    for index, finding in enumerate(findings):
        if len(finding.message) > QUOTE_LIMIT + 2 and _LONG_QUOTE.search(finding.message):
            if out is findings:
                out = list(findings)
            out[index] = replace(finding, message=_LONG_QUOTE.sub(_cut, finding.message))
    return out


PER_FILE = 1000  # the most findings shown for one file; one more says how many were left out


def cap_per_file(findings: list[Finding], limit: int = PER_FILE) -> list[Finding]:
    """At most ``limit`` findings per file (the first ones, in order), then one saying how many more there are
    (a generated 700,000-line file with a problem on every line stays readable, and small)."""
    if len(findings) <= limit:
        return findings
    counts: dict[Path, int] = {}
    for finding in findings:
        counts[finding.file] = counts.get(finding.file, 0) + 1
    if max(counts.values()) <= limit:
        return findings
    kept: list[Finding] = []
    seen: dict[Path, int] = {}
    for finding in findings:
        index = seen[finding.file] = seen.get(finding.file, 0) + 1
        if index <= limit:
            kept.append(finding)
        elif index == limit + 1:
            rest = counts[finding.file] - limit
            kept.append(Finding(finding.code, f"{rest:,} more finding{'s' if rest > 1 else ''} in this file are not "
                                f"shown (at most {limit:,} per file)", finding.file, finding.range,
                                finding.severity, declaration_set=finding.declaration_set,
                                secondary=finding.secondary))
    return kept
