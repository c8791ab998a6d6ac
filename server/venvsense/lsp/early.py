"""The first diagnostics of an opened module before its project's first check ends (issue 13, item 5).

A project's first check scans every module of it (seconds on a 4,000-module tree without a disk cache). What
the editor shows on the module just opened needs far less: the project's model (manifests, venv, installed
distributions: ``read_model``), the listing of its files (first-party and local code), and the scan of that
one buffer. ``early_findings`` classifies the open modules alone, as ``classify.scan_project`` would in that
project, and runs the import rules on them; the scheduler publishes the result at once, then the full check's.

Only what the full check cannot take back is kept: a finding that depends on the opened file, the model and the
listing alone. Kept: VS302 with a usable venv (an installed but undeclared import: the import's providers and
the declarations decide it), VS304 (the file's scope and the declarations), and VS301 when a declaration of
the project provides the module (``(declared as …`` in its message: then nothing elsewhere in the project
lowers or silences it; only its own statement and the declaration's marker do). Left to the full check:
VS301 of a module nothing declares (``rules.trust`` lowers it when another file imports it as optional, or
silences it when a test writes it), VS303 and every other finding that needs the whole project, a project
without a usable venv, a folder without manifests, scripts (PEP 723), notebooks and the modules read for more
than their imports. ``tests/lsp/test_early.py`` checks, on real projects, that the first publication is part
of the final one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from venvsense.check import cap_quotes
from venvsense.classify import Usage, target_python
from venvsense.classify.context import Gates, build_modules, declared_local, local_candidates, local_modules
from venvsense.classify.files import project_files
from venvsense.classify.members import workspace_of
from venvsense.classify.providers import ProviderLookup
from venvsense.classify.records import FileImports
from venvsense.classify.scan import _classify_file, _ProjectContext
from venvsense.findings import Finding
from venvsense.firstparty import ScriptFolders, enclosing_first_party, first_party_modules
from venvsense.imports import ScanResult, scan_source
from venvsense.mapping import ModuleIndex
from venvsense.model import ProjectModel
from venvsense.rules.environment import venv_label
from venvsense.rules.imports import import_findings
from venvsense.rules.workspaces import workspace_findings
from venvsense.severity import decide
from venvsense.stdlib import supported_stdlib

# what an early publication may hold (module docstring); VS301 only with its declaration named
EARLY_CODES = frozenset({"VS301", "VS302", "VS304"})
_DECLARED_AS = " (declared as "
# modules the engine reads for more than their imports (``check._READ_FOR_MORE``): the full check judges them
_READ_FOR_MORE = frozenset({"setup.py", "conftest.py", "noxfile.py"})
_LIMIT = 1000  # ``check.PER_FILE``: a file with more findings is capped by the full check; none early then


def early_candidates(buffers: Mapping[Path, str], root: Path) -> dict[Path, str]:
    """The open module buffers of the project at ``root`` an early publication may answer."""
    return {path: text for path, text in buffers.items()
            if path.suffix == ".py" and path.name not in _READ_FOR_MORE and "# ///" not in text
            and root in path.parents}


def early_findings(model: ProjectModel, buffers: Mapping[Path, str]) -> dict[Path, list[Finding]]:
    """The findings of the open modules ``buffers`` (path → text) that the project's full check will hold too,
    by module (an empty list: nothing to show yet there, which the full check may add to); ``{}`` when the
    project is one this cannot answer for (module docstring). Reads the project's listing, never its modules."""
    settings = model.settings
    env, installed = model.environment, model.installed
    if (not buffers or not settings.check_imports or env is None or installed is None or env.problems
            or model.project.manifestless or model.project.single_manifest is not None):
        return {}
    root = model.root
    listing = project_files(root, settings.exclude)
    listed = set(listing)
    scans = {path: scan_source(text) for path, text in buffers.items() if path in listed}
    if not scans:
        return {}
    declared = sorted({d.normalized for d in model.declarations if d.normalized})
    usage, index = _classify(root, listing, scans, model, declared)
    found = import_findings(
        usage, index, declarations=model.declarations, environment=env, installed=installed,
        project_name=model.name, check_unused=False, used_without_import=settings.used_without_import,
        environment_label=venv_label(env, root), root=root, incomplete=model.declarations_incomplete,
        scopes=model.scopes, pyproject_toml=model.pyproject_toml)
    if model.pyproject_toml is not None:
        found = workspace_findings(workspace_of(root, model.pyproject_toml), model.declarations, found, root=root,
                                   has_venv=True, pyproject_toml=model.pyproject_toml, scopes=model.scopes)
    kept: dict[Path, list[Finding]] = {path: [] for path in scans}
    counts = dict.fromkeys(scans, 0)
    for finding in cap_quotes(decide(found, settings)):
        if finding.file in kept:
            counts[finding.file] += 1
            if final(finding):
                kept[finding.file].append(finding)
    # a module near the full check's cap (``check.cap_per_file``): which findings it keeps is its to say
    return {path: findings for path, findings in kept.items() if counts[path] < _LIMIT // 2}


def final(finding: Finding) -> bool:
    """Whether the full check cannot take ``finding`` back (module docstring)."""
    return finding.code in EARLY_CODES and (finding.code != "VS301" or _DECLARED_AS in finding.message)


def _classify(root: Path, listing: Iterable[Path], scans: dict[Path, ScanResult], model: ProjectModel,
              declared: list[str]) -> tuple[Usage, ModuleIndex]:
    """``scans`` classified as ``classify.scan_project`` classifies them in the project at ``root`` (whose files
    are ``listing``): the same stdlib, first-party names, local code, folder listings and providers."""
    settings = model.settings
    installed = model.installed
    python = target_python(model.environment, model.requires_python)
    mapping = ProviderLookup.of(installed, {k: tuple(v) for k, v in settings.module_map.items()})
    stdlib = supported_stdlib(python, tuple(model.requires_python))
    first_party = first_party_modules(root, known=settings.known_first_party, pyproject_toml=model.layout_pyproject,
                                      setup_cfg_text=model.setup_cfg_text)
    enclosing = enclosing_first_party(root)
    if enclosing:
        first_party |= enclosing - declared_local(enclosing, mapping.index, declared)
    candidates = local_candidates(root, listing)
    local = local_modules(candidates, installed, declared_local(candidates, mapping.index, declared))
    project = _ProjectContext(local, build_modules(root, model.layout_pyproject), Gates(python), root)
    folders = ScriptFolders()
    parts: dict[Path, FileImports] = {}
    for path, scan in scans.items():
        if len(scan):
            parts[path] = _classify_file(path, scan, stdlib, first_party, folders.folder(os.path.dirname(path)),
                                         mapping, project)
    return Usage(parts, dict(scans), candidates), mapping.index
