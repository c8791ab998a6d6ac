"""The fix policy: which fixes apply to a finding or to a whole project, with their text edits or the command
(and arguments) that does them. The language server's code actions, its status payload and ``venvsense fix``
all decide from here; this module only decides, it runs and writes nothing.

=========  ==================================================================================================
VS101      Create .venv here (command); first "Create .venv from uv.lock" (``venvsense.syncLock``) with a uv.lock
script     in a PEP 723 script: Create an environment for this script (VS101), Install the script's
           dependencies (VS201-203, a declared VS301), Change pin (VS202) — its own environment and block only
VS102      Use this project's .venv (``venvsense.recheck`` with ``venv``) — or Create .venv here when it has none
VS103      Recreate .venv with Python X (command; in-project venvs only)
VS104      Recreate .venv (command; in-project venvs only)
VS201/203  Install <declared requirement>, Install all missing (commands)
VS202      Install <declared requirement> (command), Change pin to name==installed (edit)
VS301      Install X when X is declared (command); else Add X to requirements.txt / pyproject.toml (edits)
VS302      Add X to requirements.txt / pyproject.toml (edits)
VS304      Add X to requirements.txt / pyproject.toml (edits): the main dependencies, beside its development set
VS302      (a folder with no manifest, with a venv) Write requirements.txt from this venv (a new file)
VS305      Add X (the requirement as the notebook's pip line wrote it: X==1.2) to requirements.txt / pyproject.toml
VS210      Update the pin to name==newest (edit; a declaration with a specifier: ``>=`` in pyproject.toml)
VS301      (a folder with no manifest, with a venv) Install X (command, by name)
VS101      (a folder with no manifest) Create .venv here and install X, Y; (a uv workspace member) none
VS401      Update uv.lock and sync .venv, Update uv.lock (``venvsense.updateLock``, ``sync``: then sync)
VS402/403  Sync .venv with uv.lock (``venvsense.syncLock``)
fix all    what ``venvsense fix`` does: create a missing venv, recreate a broken one, or install (``repair_for``);
           with a lock and VS401/VS402, the lock's sync comes first (``lock_fixes``)
=========  ==================================================================================================

A fix's ``arguments`` are those of its command besides ``project``, which the caller adds (a URI for the
language server). Fixes that run a process are left out when the workspace is not trusted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from packaging.utils import canonicalize_name

from venvsense.check import ProjectReport
from venvsense.declarations.pythonversion import PYTHON_VERSION
from venvsense.edits import (
    TextEdit,
    add_to_pyproject,
    add_to_requirements,
    can_add_to_pyproject,
    declares,
    specifier_edit,
)
from venvsense.environment import in_project_environments
from venvsense.findings import Finding
from venvsense.protocol import (
    CREATE_ENVIRONMENT,
    FIX_ALL_KIND,
    FIX_VERSIONS,
    INSTALL_MISSING,
    PROCESS_COMMANDS,
    RECHECK,
    RECREATE_ENVIRONMENT,
    SYNC_LOCK,
    UPDATE_LOCK,
)
from venvsense.text import START, UnreadableFile, read_text

REQUIREMENTS_TXT = "requirements.txt"

# Findings an install fixes (missing, mismatched, missing extra), and those recreating the venv fixes.
INSTALL_CODES = frozenset({"VS201", "VS202", "VS203"})
RECREATE_CODES = frozenset({"VS103", "VS104"})
# Findings about the lock file: outdated (its tool updates it), and the venv out of sync with it (a sync fixes).
OUTDATED_LOCK, NOT_SYNCED, NOT_IN_LOCK = "VS401", "VS402", "VS403"
SYNC_CODES = frozenset({OUTDATED_LOCK, NOT_SYNCED, NOT_IN_LOCK})

QUICK_FIX: Final = "quickfix"
FixKind = Literal["quickfix", "source.fixAll.venvsense", "project"]
Repair = Literal["create", "recreate", "install"]
TextOf = Callable[[Path], str | None]


@dataclass(frozen=True)
class Fix:
    """One fix: a command to run (``command`` with ``arguments`` besides the project) or text edits to apply.

    ``kind`` is ``quickfix`` for a finding's fix, ``source.fixAll.venvsense`` for "fix everything", ``project``
    for a fix offered for the whole project (the status bar's list); ``preferred`` marks the one an editor may
    apply with one key.
    """

    title: str
    kind: FixKind = QUICK_FIX
    preferred: bool = False
    command: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    edits: tuple[TextEdit, ...] = ()
    creates: Path | None = None  # a new file the edits fill (never one that exists: the client refuses then)

    @property
    def runs_process(self) -> bool:
        """Whether it creates a venv or installs: such fixes are only for trusted workspaces."""
        return self.command in PROCESS_COMMANDS


def _declared(report: ProjectReport, package: str) -> bool:
    return any(d.normalized == package for d in report.declarations)


def _display_name(report: ProjectReport, package: str, finding: Finding | None = None) -> str:
    shown = finding.data.get("distribution") if finding is not None else None
    if isinstance(shown, str) and shown:
        return shown
    if report.installed is not None and package in report.installed.distributions:
        return report.installed.distributions[package].name
    return package


def _guessed(report: ProjectReport, finding: Finding) -> bool:
    """Whether the distribution named for an import is only a guess from the import's name."""
    module = finding.data.get("module")
    if not isinstance(module, str) or report.modules is None:
        return False
    providers = report.modules.providers(module)
    return bool(providers) and providers[0].how == "guess"


def _recreate_python(report: ProjectReport) -> str | None:
    pvf = report.python_version_file
    if pvf and pvf.versions and PYTHON_VERSION.fullmatch(pvf.versions[0][0]):
        return pvf.versions[0][0]
    return None


def add_requirement_fixes(report: ProjectReport, finding: Finding, package: str, text_of: TextOf, *,
                          edits: bool = True, requirement: str | None = None) -> list[Fix]:
    """Add ``package`` (or ``requirement``, a requirement naming it: ``x==1.2``) to the main requirements file
    and/or ``pyproject.toml`` of the project; ``edits`` False: the fixes' titles only (what the status shows),
    without making the edits."""
    project = report.project
    name = _display_name(report, package, finding)
    added = requirement or name
    fixes: list[Fix] = []
    targets: list[Path] = []
    if project.main_requirements:
        targets.append(project.main_requirements[0])
    if project.pyproject is not None:
        targets.append(project.pyproject)
    for path in targets:
        text = text_of(path)
        if text is None:
            continue
        if path.name == "pyproject.toml":
            if declares(text, name) or not can_add_to_pyproject(text):
                continue
            edit = add_to_pyproject(path, text, added) if edits else None
        else:
            edit = add_to_requirements(path, text, added) if edits else None
        if edits and edit is None:
            continue
        fixes.append(Fix(f"Add {added} to {path.name}", preferred=not fixes, edits=(edit,) if edit else ()))
    return fixes


def change_pin_fix(report: ProjectReport, finding: Finding, text_of: TextOf) -> Fix | None:
    """Rewrite the declared specifier of a VS202 to accept the installed version."""
    installed = finding.data.get("installed")
    if not isinstance(installed, str) or finding.package is None:
        return None
    declaration = next((d for d in [*report.declarations, *report.constraints]
                        if d.file == finding.file and d.range == finding.range), None)
    text = text_of(finding.file)
    if declaration is None or text is None:
        return None
    edit = specifier_edit(declaration, installed, text)
    if edit is None:
        return None
    name = declaration.name or finding.package
    title = (f"Change pin to {name}{edit.new_text}" if edit.new_text.startswith("==")
             else f"Change specifier to {name}{edit.new_text}")
    return Fix(title, edits=(edit,))


def update_pin_fix(report: ProjectReport, finding: Finding, text_of: TextOf) -> Fix | None:
    """Rewrite the specifier of a VS210's declaration to the newest version on the index."""
    newest = finding.data.get("newest")
    declaration = next((d for d in report.declarations if d.file == finding.file and d.range == finding.range),
                       None)
    if not isinstance(newest, str) or declaration is None or not declaration.specifier.strip():
        return None
    text = text_of(finding.file)
    edit = specifier_edit(declaration, newest, text) if text is not None else None
    if edit is None:
        return None
    what = "pin" if edit.new_text.startswith("==") else "specifier"
    return Fix(f"Update the {what} to {declaration.name}{edit.new_text}", edits=(edit,))


def imported_packages(report: ProjectReport) -> list[str]:
    """What a folder with no manifest imports and has no venv for (its VS101's ``packages``): what creating its
    venv installs."""
    for finding in report.findings:
        packages = finding.data.get("packages") if finding.code == "VS101" else None
        if isinstance(packages, list) and packages:
            return [str(p) for p in packages]
    return []


def _create_title(finding: Finding) -> str:
    packages = finding.data.get("packages")
    if isinstance(packages, list) and packages:
        return "Create .venv here and install " + ", ".join(str(p) for p in packages)
    return "Create .venv here"


def _script_fixes(report: ProjectReport, finding: Finding, text_of: TextOf) -> list[Fix] | None:
    """The fixes of a finding in a PEP 723 script (``None``: the file is no script): its own environment is
    created or brought in line with its block (never the project's venv, never the project's manifests)."""
    script = next((s for s in report.scripts if s.path == finding.file), None)
    if script is None:
        return None
    code = finding.code
    if code == "VS101":
        return [Fix("Create an environment for this script", preferred=True, command=CREATE_ENVIRONMENT,
                    arguments={"script": str(script.path)})]
    declared = finding.package is not None and any(
        d.normalized == finding.package for d in script.manifest.declarations)
    if script.environment is None or not (code in INSTALL_CODES or (code == "VS301" and declared)):
        return []
    fixes = [Fix("Install the script's dependencies", preferred=code != "VS202", command=CREATE_ENVIRONMENT,
                 arguments={"script": str(script.path)})]
    installed = finding.data.get("installed")
    declaration = next((d for d in script.manifest.declarations if d.range == finding.range), None)
    text = text_of(script.path) if code == "VS202" and declaration is not None else None
    if text is not None and declaration is not None and isinstance(installed, str):
        edit = specifier_edit(declaration, installed, text)
        if edit is not None:
            fixes.append(Fix(f"Change pin to {declaration.name}{edit.new_text}", edits=(edit,)))
    return fixes


def lock_name(report: ProjectReport) -> str | None:
    """The file name of the lock the project uses (``uv.lock``) as its check read it, ``None`` without one."""
    return report.lock.path.name if report.lock is not None else None


CREATE_FROM_UV_LOCK = "Create .venv from uv.lock"


def from_uv_lock(report: ProjectReport) -> bool:
    """Whether a project without a venv has a ``uv.lock`` to build one from (``uv sync --frozen``: the exact pins,
    where "Create .venv here" installs what the manifest declares)."""
    return report.environment is None and lock_name(report) == "uv.lock"


def lock_fixes(report: ProjectReport, kind: FixKind = "project") -> list[Fix]:
    """The lock's fixes, most useful first: with VS401 "Update uv.lock and sync .venv" (then the sync alone and
    the update alone), with VS402/VS403 "Sync .venv with uv.lock"; none without a lock, a usable venv of the
    project's own (VS102, VS104 come first) or such a finding."""
    codes = {f.code for f in report.findings}
    env = report.environment
    if not codes & SYNC_CODES or env is None or env.problems or codes & (RECREATE_CODES | {"VS102"}):
        return []
    name = lock_name(report)
    if name is None:
        return []
    venv = env.name
    fixes: list[Fix] = []
    if OUTDATED_LOCK in codes:
        fixes.append(Fix(f"Update {name} and sync {venv}", kind, preferred=True, command=UPDATE_LOCK,
                         arguments={"sync": True}))
    if codes & {NOT_SYNCED, NOT_IN_LOCK}:
        fixes.append(Fix(f"Sync {venv} with {name}", kind, preferred=not fixes, command=SYNC_LOCK))
    if OUTDATED_LOCK in codes:
        fixes.append(Fix(f"Update {name}", kind, command=UPDATE_LOCK))
    return fixes


def _finding_fixes(report: ProjectReport, finding: Finding, text_of: TextOf, edits: bool) -> list[Fix]:
    env = report.environment
    code = finding.code
    in_script = _script_fixes(report, finding, text_of) if report.scripts else None
    if in_script is not None:
        return in_script
    if code in SYNC_CODES:
        fixes = lock_fixes(report, QUICK_FIX)
        if code == OUTDATED_LOCK:
            return fixes
        # the finding is about the venv, not the lock: the sync with the lock as it is comes first
        sync = [Fix(f.title, preferred=True, command=f.command) for f in fixes if f.command == SYNC_LOCK]
        return [*sync, *(Fix(f.title, command=f.command, arguments=f.arguments) for f in fixes
                         if f.command != SYNC_LOCK)]
    if code == "VS101":
        if finding.data.get("workspace_root"):
            return []  # a workspace member: the venv is made at the workspace's root
        if from_uv_lock(report):
            return [Fix(CREATE_FROM_UV_LOCK, preferred=True, command=SYNC_LOCK),
                    Fix(_create_title(finding), command=CREATE_ENVIRONMENT)]
        return [Fix(_create_title(finding), preferred=True, command=CREATE_ENVIRONMENT)]
    if code == "VS102":
        own = [p for p in in_project_environments(report.project.root) if env is None or p != env.path]
        if own:
            return [Fix(f"Use this project's {own[0].name}", preferred=True, command=RECHECK,
                        arguments={"venv": str(own[0])})]
        return [Fix("Create .venv here", command=CREATE_ENVIRONMENT)]
    if code in RECREATE_CODES and env is not None and env.source == "in-project":
        wanted = finding.data.get("wanted") if code == "VS103" else _recreate_python(report)
        arguments: dict[str, Any] = {}
        if isinstance(wanted, str) and PYTHON_VERSION.fullmatch(wanted):
            title = f"Recreate {env.name} with Python {wanted}"
            arguments["python"] = wanted
        elif isinstance(wanted, str):
            title = f"Recreate {env.name} with a Python matching {wanted}"
        else:
            title = f"Recreate {env.name}"
        return [Fix(title, preferred=True, command=RECREATE_ENVIRONMENT, arguments=arguments)]
    if code == "VS302" and finding.data.get("manifestless"):
        frozen = freeze_fix(report)
        return [] if frozen is None else [frozen]
    if finding.package is None:
        return []
    package = finding.package
    if code in ("VS201", "VS203"):
        wanted = str(finding.data.get("wanted") or package)
        fixes = [Fix(f"Install {wanted}", preferred=True, command=INSTALL_MISSING,
                     arguments={"packages": [package]})]
        missing = {f.package for f in report.findings if f.code == "VS201" and f.package}
        if len(missing) > 1:
            fixes.append(Fix("Install all missing", command=INSTALL_MISSING))
        return fixes
    if code == "VS202":
        wanted = str(finding.data.get("wanted") or package)
        fixes = [Fix(f"Install {wanted}", command=FIX_VERSIONS, arguments={"packages": [package]})]
        pin = change_pin_fix(report, finding, text_of)
        return fixes if pin is None else [*fixes, pin]
    if code == "VS301":
        if report.project.manifestless and env is not None:  # nothing to declare in: install it
            return [Fix(f"Install {_display_name(report, package, finding)}", preferred=True,
                        command=INSTALL_MISSING, arguments={"packages": [package]})]
        if _declared(report, package):
            return [Fix(f"Install {_display_name(report, package)}", preferred=True, command=INSTALL_MISSING,
                        arguments={"packages": [package]})]
        return [] if _guessed(report, finding) else add_requirement_fixes(report, finding, package, text_of,
                                                                          edits=edits)
    if code in ("VS302", "VS304"):
        return add_requirement_fixes(report, finding, package, text_of, edits=edits)
    if code == "VS305":
        written = finding.data.get("requirement")
        return add_requirement_fixes(report, finding, package, text_of, edits=edits,
                                     requirement=written if isinstance(written, str) else None)
    if code == "VS210":
        update = update_pin_fix(report, finding, text_of)
        return [update] if update is not None else []
    return []


def freeze_fix(report: ProjectReport) -> Fix | None:
    """A folder with no manifest and a venv: "Write requirements.txt from this venv" — a new file holding what
    ``venvsense freeze`` writes (``rules.freeze``); ``None`` when the file exists or nothing can be frozen."""
    from venvsense.rules.freeze import CannotFreeze, freeze_text

    target = report.project.root / REQUIREMENTS_TXT
    if os.path.lexists(target):
        return None
    try:
        text = freeze_text(report)
    except CannotFreeze:
        return None
    return Fix(f"Write {REQUIREMENTS_TXT} from this venv", preferred=True, creates=target,
               edits=(TextEdit(target, START, text, f"write {REQUIREMENTS_TXT}"),))


def finding_fixes(report: ProjectReport, finding: Finding, *, trusted: bool, text_of: TextOf,
                  edits: bool = True) -> list[Fix]:
    """The fixes for one finding of ``report``, most useful first; ``text_of`` gives a file's current text
    (the editor's buffer or the disk), ``None`` when unreadable; ``edits`` False: an edit's title without
    the edit (adding a requirement to a large ``pyproject.toml`` re-renders the whole document)."""
    return [fix for fix in _finding_fixes(report, finding, text_of, edits) if trusted or not fix.runs_process]


def repair_for(report: ProjectReport) -> Repair | None:
    """What fixing the whole project does (``venvsense fix``, "fix all"): create a missing venv when something
    is declared, recreate a broken in-project venv or one with the wrong Python (VS104/VS103), else install
    what is missing or mismatched; ``None`` when none of these applies."""
    codes = {f.code for f in report.project_findings}  # a script's are its own
    env = report.environment
    if env is None:
        vs101 = [f for f in report.findings if f.code == "VS101"]
        if any(f.data.get("workspace_root") for f in vs101):
            return None  # a workspace member: its venv is the workspace root's
        return "create" if report.declarations or vs101 else None
    if env.source == "in-project" and codes & RECREATE_CODES:
        return "recreate"
    if codes & INSTALL_CODES or (report.project.manifestless and "VS301" in codes):
        return "install"
    return None


def fix_all(report: ProjectReport, *, trusted: bool) -> Fix | None:
    """The one command fixing the whole project (``source.fixAll.venvsense``): with a lock the venv drifted from
    (or an outdated one), the lock's first fix (``lock_fixes``: update and sync, or sync); else the command doing
    ``repair_for``. ``None`` when untrusted."""
    if not trusted:
        return None
    locked = lock_fixes(report, FIX_ALL_KIND)
    if locked:
        return locked[0]
    repair = repair_for(report)
    env = report.environment
    if repair == "create" and from_uv_lock(report):
        return Fix(CREATE_FROM_UV_LOCK, FIX_ALL_KIND, command=SYNC_LOCK)
    if repair == "create":
        return Fix("Create .venv and install the declared dependencies", FIX_ALL_KIND, command=CREATE_ENVIRONMENT)
    if repair == "recreate" and env is not None:
        return Fix(f"Recreate {env.name}", FIX_ALL_KIND, command=RECREATE_ENVIRONMENT)
    if repair == "install":
        return Fix("Install missing and mismatched dependencies", FIX_ALL_KIND, command=FIX_VERSIONS)
    return None


def project_fixes(report: ProjectReport, *, trusted: bool = True) -> list[Fix]:
    """The fixes offered for a whole project (a status bar's list), most relevant first: create a missing
    venv; install missing packages, fix versions, recreate the venv (first when it is broken or has the wrong
    Python); re-check."""
    codes = {f.code for f in report.project_findings}  # a script's are its own
    env = report.environment
    fixes: list[Fix] = []
    member = any(f.code == "VS101" and f.data.get("workspace_root") for f in report.findings)
    if (env is None or "VS101" in codes) and not member:
        if env is None and from_uv_lock(report):
            fixes.append(Fix(CREATE_FROM_UV_LOCK, "project", command=SYNC_LOCK))
        vs101 = next((f for f in report.findings if f.code == "VS101"), None)
        title = _create_title(vs101) if vs101 is not None else "Create .venv here"
        fixes.append(Fix(title, "project", command=CREATE_ENVIRONMENT))
    if env is not None:
        if codes & {"VS201", "VS203"}:
            fixes.append(Fix("Install missing", "project", command=INSTALL_MISSING))
        if "VS202" in codes:
            fixes.append(Fix("Fix versions", "project", command=FIX_VERSIONS))
        recreate = Fix(f"Recreate {env.name}", "project", command=RECREATE_ENVIRONMENT)
        urgent = bool(env.problems) or bool(codes & RECREATE_CODES)
        fixes = [recreate, *fixes] if urgent else [*fixes, recreate]
    fixes = [*lock_fixes(report), *fixes]  # with a lock that the venv has drifted from: its sync first
    fixes.append(Fix("Re-check", "project", command=RECHECK))
    return [fix for fix in fixes if trusted or not fix.runs_process]


def version_edits(report: ProjectReport, packages: Iterable[str] | None = None) -> list[TextEdit]:
    """Edits for every VS202 of the project (or those about ``packages``) where a rewrite is possible, from
    the files on disk."""
    wanted = {canonicalize_name(p) for p in packages} if packages is not None else None
    by_place = {(d.file, d.range): d for d in [*report.declarations, *report.constraints]}
    texts: dict[Path, str | None] = {}
    edits: list[TextEdit] = []
    for finding in report.findings:
        if finding.code != "VS202" or (wanted is not None and finding.package not in wanted):
            continue
        declaration = by_place.get((finding.file, finding.range))
        installed = finding.data.get("installed")
        if declaration is None or not isinstance(installed, str):
            continue
        if declaration.file not in texts:
            try:
                texts[declaration.file] = read_text(declaration.file)
            except UnreadableFile:
                texts[declaration.file] = None
        text = texts[declaration.file]
        if text is None:
            continue
        edit = specifier_edit(declaration, installed, text)
        if edit is not None:
            edits.append(edit)
    return edits
