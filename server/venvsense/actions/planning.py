"""Turning a checked project into a plan: create its venv, recreate it, or install what is missing.

Planning reads files (and may ask an interpreter on ``PATH`` its version); it never changes anything.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvsense.actions.interpreters import choose_backend, choose_interpreter
from venvsense.actions.safety import (
    ensure_virtual_environment,
    safe_path,
    safe_requirement,
    safe_value,
    venv_python,
)
from venvsense.actions.sources import default_files, default_groups, inside, merged, real_root
from venvsense.actions.steps import (
    ActionError,
    ActionKind,
    ActionRefused,
    Backend,
    BackendName,
    IndexSetting,
    Interpreter,
    Plan,
    Step,
)
from venvsense.check import ProjectReport
from venvsense.declarations import Declaration, Manifest
from venvsense.environment import marker_environment
from venvsense.fixes import INSTALL_CODES, imported_packages, repair_for
from venvsense.model import relative_path
from venvsense.rules.declarations import marker_holds
from venvsense.tomlfile import TomlFile

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass  # type: ignore[import-not-found, unused-ignore]

STAGING_SUFFIX = ".venvsense-new"
_INDEX_OPTIONS = ("--index-url", "--extra-index-url", "--find-links", "--trusted-host", "--no-index")


@dataclass(frozen=True)
class Options:
    """What a person can choose for an action (CLI flags, editor settings)."""

    venv_name: str = ".venv"
    python: str | None = None
    installer: BackendName | None = None
    groups: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    index_url: str | None = None
    environ: Mapping[str, str] | None = None
    only_main: bool = False


def staging_path(venv: Path) -> Path:
    return venv.with_name(venv.name + STAGING_SUFFIX)


def target_venv(report: ProjectReport, options: Options) -> Path:
    """The venv ``create`` makes: ``<root>/<venv_name>`` (``.venv`` unless configured)."""
    name = options.venv_name
    if not name or name.startswith("-") or os.sep in name.strip(os.sep) or name in (".", ".."):
        raise ActionError(f"--venv-name {name!r}: give a folder name such as .venv")
    return report.project.root / name


# --- reading what the project declares ------------------------------------------------------------------


def _pyproject_data(report: ProjectReport, pyproject: TomlFile | None = None) -> Mapping[str, Any]:
    """The parsed ``pyproject.toml`` of the project: ``pyproject`` when the caller gives one, else the one the
    check parsed (the project model's); empty when absent or invalid."""
    parsed = pyproject if pyproject is not None else report.pyproject_toml
    if parsed is None or report.project.pyproject is None:
        return {}
    return parsed.data or {}


def buildable(report: ProjectReport, pyproject: TomlFile | None = None) -> bool:
    """A project pip/uv can build: a ``[build-system]`` table, or a ``setup.py``."""
    return _buildable(report, _pyproject_data(report, pyproject))


def _buildable(report: ProjectReport, data: Mapping[str, Any]) -> bool:
    return "build-system" in data or (report.project.root / "setup.py").is_file()


def _project_name(data: Mapping[str, Any]) -> str | None:
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return canonicalize_name(name) if isinstance(name, str) and name else None


def _manifest_for(report: ProjectReport, path: Path) -> Manifest | None:
    for manifest in report.manifests:
        if manifest.path == path:
            return manifest
    return None


def _manifests_holding(report: ProjectReport, files: Iterable[Path]) -> list[Manifest]:
    wanted = set(files)
    return [m for m in report.manifests if wanted & set(m.files or [m.path])]


def _index_settings(manifests: Iterable[Manifest], root: Path, real: str) -> list[IndexSetting]:
    """The index options the manifests' files set, those of files outside the project (``real``) left out."""
    out: list[IndexSetting] = []
    for manifest in manifests:
        for option in manifest.index_options:
            if not inside(option.file, real):
                continue
            where = relative_path(option.file, root)
            line = option.range.start.line + 1
            out.append(IndexSetting(option.option, option.value, f"{where} line {line}", from_file=True))
    return out




def _option_args(settings: Iterable[IndexSetting], backend: Backend, base: Path) -> list[str]:
    """Index settings as installer arguments (``--option=value``), relative local paths made absolute."""
    args: list[str] = []
    for setting in settings:
        option = setting.option
        if option not in _INDEX_OPTIONS:
            continue
        if option == "--no-index":
            args.append(option)
            continue
        value = setting.value
        if option == "--find-links" and "://" not in value and not os.path.isabs(value):
            value = str((base / value).absolute())
        if option == "--trusted-host" and backend.name == "uv":
            option = "--allow-insecure-host"
        args.append(safe_value(option, value))
    return list(dict.fromkeys(args))


def _cli_index(options: Options) -> list[IndexSetting]:
    settings = [IndexSetting("--find-links", str(Path(link).absolute()) if "://" not in link else link,
                             "command line") for link in options.find_links]
    if options.index_url:
        settings.append(IndexSetting("--index-url", options.index_url, "command line"))
    if options.no_index:
        settings.append(IndexSetting("--no-index", "", "command line"))
    return settings


def _expected(declarations: Iterable[Declaration], python: str | None) -> list[str]:
    markers = marker_environment(python)
    return [d.normalized for d in declarations if d.normalized and marker_holds(d.marker, markers)]


def _group_files(report: ProjectReport, group: str) -> list[Path]:
    key = canonicalize_name(group)
    names = {f"requirements-{key}", f"requirements_{key.replace('-', '_')}", f"{key}-requirements",
             f"requirements.{key}"}
    found = []
    for path in report.project.requirements:
        stem = canonicalize_name(path.stem).replace("_", "-")
        if path.stem.lower() in names or stem in names or (
            path.parent.name.lower() == "requirements" and canonicalize_name(path.stem) == key
        ):
            found.append(path)
    return found


def _group_declarations(report: ProjectReport, group: str, files: Sequence[Path]) -> list[Declaration]:
    key = canonicalize_name(group)
    return [d for d in report.declarations if canonicalize_name(d.group) == key and d.file in files]


# --- what to install ------------------------------------------------------------------------------------


@dataclass
class _Install:
    args: list[str]
    shown: list[str]
    expected: list[str]
    index: list[IndexSetting]
    notes: list[str]
    reasons: list[str] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)

    def add_declarations(self, declarations: Sequence[Declaration], python: str | None) -> list[str]:
        """Each declaration as an argument (one per distribution); the arguments as shown."""
        shown = []
        for argument, members in merged(declarations, _requirement_arg):
            self.args.append(safe_requirement(argument) if members[0].kind == "registry" else argument)
            shown.append(argument if members[0].kind == "registry" else members[0].requirement)
            self.sources += [m.file for m in members]
        self.shown += shown
        self.expected += _expected(declarations, python)
        return shown


def _add_file(todo: _Install, report: ProjectReport, path: Path, python: str | None, why: str) -> None:
    """A requirements file: ``-r file`` when every file it reads is inside the project; its inside entries one
    by one when it includes something outside (the installer would read that itself); nothing when the file
    itself is outside (a link out of the project)."""
    root, real = report.project.root, real_root(report)
    shown = relative_path(path, root)
    if not inside(path, real):
        todo.notes.append(f"{shown} is a link to a file outside the project: nothing of it is installed")
        return
    manifest = _manifest_for(report, path)
    files = (manifest.files or [path]) if manifest is not None else [path]
    outside = [f for f in files if not inside(f, real)]
    if manifest is not None:
        todo.index += _index_settings([manifest], root, real)
    if not outside:
        todo.args += ["-r", safe_path(path)]
        todo.shown.append(f"-r {shown}")
        todo.reasons.append(f"-r {shown}: {why}")
        todo.sources += files
        if manifest is not None:
            todo.expected += _expected(manifest.declarations, python)
        return
    kept = [d for d in manifest.declarations if inside(d.file, real)] if manifest is not None else []
    names = ", ".join(relative_path(f, root, climb=True) for f in outside)
    todo.notes.append(f"{shown} includes {names}, outside the project: what is read there is not installed, "
                      f"and {shown} is not passed to the installer (its own entries are listed instead)")
    entries = todo.add_declarations(kept, python)
    if entries:
        todo.reasons.append(f"{', '.join(entries)}: from {shown}, {why}")


def _declared_install(report: ProjectReport, options: Options, python: str | None,
                      pyproject: Mapping[str, Any]) -> _Install:
    """What ``create`` installs: the main requirements file(s) with ``-r``, else the pyproject/setup.cfg
    dependencies (``-e .[extras]`` when buildable, else the list); then the default development set (unless
    ``only_main``) and the groups asked for — only what files inside the project declare."""
    root, real = report.project.root, real_root(report)
    todo = _Install([], [], [], [], [])
    extras: list[str] = []
    pyproject_files = [p for p in (report.project.pyproject, report.project.setup_cfg) if p and inside(p, real)]
    main = [d for d in report.declarations if d.file in pyproject_files and d.group == "main"]
    if report.project.main_requirements:
        for path in report.project.main_requirements:
            _add_file(todo, report, path, python, "the main dependencies")
        _add_uncovered(todo, report, main, python, pyproject)
    else:
        if _buildable(report, pyproject):
            extras_text = ""
            extra_groups = [g for g in options.groups if _is_extra(report, pyproject, g, pyproject_files)]
            if extra_groups:
                extras_text = "[" + ",".join(sorted(canonicalize_name(g) for g in extra_groups)) + "]"
                extras = extra_groups
            todo.args += ["-e", safe_path(root) + extras_text]
            todo.shown.append(f"-e .{extras_text}")
            todo.reasons.append(f"-e .{extras_text}: the project itself, editable, with its main dependencies"
                                + (f" and the extras {', '.join(extra_groups)} (--with-group)" if extras else ""))
            todo.sources += list(dict.fromkeys(d.file for d in main)) or pyproject_files[:1]
            name = _project_name(pyproject)
            if name:
                todo.expected.append(name)
            todo.expected += _expected(main, python)
        elif main:
            entries = todo.add_declarations(main, python)
            todo.reasons.append(f"{', '.join(entries)}: the main dependencies")
            todo.notes.append("the project is not buildable (no [build-system], no setup.py): its dependency "
                              "list is installed, not the project itself")
    imported = imported_packages(report) if report.project.manifestless else []
    if imported:  # a folder with no manifest: what its code imports (the module → distribution mapping)
        todo.args += [safe_requirement(name) for name in imported]
        todo.shown += imported
        todo.expected += [canonicalize_name(name) for name in imported]
        todo.reasons.append(f"{', '.join(imported)}: imported by the folder's code (there is no manifest; "
                            "`venvsense freeze` writes a requirements file once they are installed)")
    sets: list[tuple[str, str, bool]] = []  # (group, why, asked for)
    if not options.only_main:
        for dev in default_files(report):
            assert dev.file is not None
            _add_file(todo, report, dev.file, python,
                      f"{dev.reason}, installed by default (--only-main leaves it out)")
        sets += [(d.group, d.reason, False) for d in default_groups(report, pyproject, pyproject_files) if d.group]
    asked = [(g, "--with-group", True) for g in options.groups]
    done: set[str] = set()
    for group, why, explicit in [*asked, *sets]:
        key = canonicalize_name(group)
        if key in done:
            continue
        done.add(key)
        if group in extras:
            todo.expected += _expected(_group_declarations(report, group, pyproject_files), python)
            continue
        members = _group_declarations(report, group, pyproject_files)
        files = _group_files(report, group) if explicit else []
        if files:
            for path in files:
                _add_file(todo, report, path, python, f"asked for with --with-group {group}")
        elif members:
            entries = todo.add_declarations(members, python)
            how = "asked for with --with-group" if explicit else f"{why} (--only-main leaves it out)"
            todo.reasons.append(f"group '{group}' ({', '.join(entries)}): {how}")
        elif explicit:
            known = sorted({d.group for d in report.declarations if d.group != "main"})
            raise ActionError(f"--with-group {group}: no dependency group, extra or requirements-{group}.txt "
                              f"in {root} (known groups: {', '.join(known) or 'none'})")
    todo.args = _unique_args(todo.args)
    todo.sources = list(dict.fromkeys(todo.sources))
    return todo


def _add_uncovered(todo: _Install, report: ProjectReport, main: Sequence[Declaration], python: str | None,
                   pyproject: Mapping[str, Any]) -> None:
    """A project with a main requirements file whose ``pyproject.toml``/``setup.cfg`` also declares runtime
    dependencies the file does not name: the check expects those too, so they are installed — the project
    itself (``-e .``) when it is buildable and the file does not already install it, else the list."""
    named = {d.normalized for d in report.declarations if d.file in todo.sources and d.normalized}
    markers = marker_environment(python)
    uncovered = [d for d in main if d.normalized and d.normalized not in named and marker_holds(d.marker, markers)]
    if not uncovered:
        return
    names = ", ".join(dict.fromkeys(d.name for d in uncovered))
    where = ", ".join(dict.fromkeys(relative_path(d.file, report.project.root) for d in uncovered))
    project = _project_name(pyproject)
    installs_itself = any(d.kind == "editable" or (project and d.normalized == project)
                          for d in report.declarations if d.file in todo.sources)
    if installs_itself:  # `-e .` in the file installs them
        return
    if _buildable(report, pyproject):
        todo.args += ["-e", safe_path(report.project.root)]
        todo.shown.append("-e .")
        todo.reasons.append(f"-e .: the project itself, editable: {where} declares {names}, which the main "
                            "requirements file does not name")
        todo.sources += [d.file for d in uncovered]
        todo.expected += [n for n in [project] if n] + _expected(uncovered, python)
        return
    entries = todo.add_declarations(uncovered, python)
    todo.reasons.append(f"{', '.join(entries)}: declared in {where} and not named by the main requirements file")


def _unique_args(args: Sequence[str]) -> list[str]:
    """The arguments with repeated ``-r file`` pairs and repeated requirements dropped (order kept)."""
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    index = 0
    while index < len(args):
        item = (args[index], args[index + 1]) if args[index] in ("-r", "-e", "-c") else (args[index],)
        index += len(item)
        if item not in seen:
            seen.add(item)
            out += item
    return out


def _is_extra(report: ProjectReport, pyproject: Mapping[str, Any], group: str,
              pyproject_files: Sequence[Path]) -> bool:
    key = canonicalize_name(group)
    project = pyproject.get("project")
    optional = project.get("optional-dependencies") if isinstance(project, dict) else None
    if isinstance(optional, dict) and key in {canonicalize_name(str(k)) for k in optional}:
        return True
    return any(d.declaration_set.startswith("extra") and canonicalize_name(d.group) == key
               for d in report.declarations if d.file in pyproject_files)


def _requirement_arg(declaration: Declaration) -> str:
    """A declaration as one safe argument (editable and local paths are resolved against their file)."""
    if declaration.kind in ("editable", "path") and declaration.url and "://" not in declaration.url:
        path = Path(declaration.url)
        if not path.is_absolute():
            path = declaration.file.parent / path
        return safe_path(path)
    return safe_requirement(declaration.requirement)


def _install_argv(backend: Backend, venv: Path, args: Sequence[str], index: Sequence[IndexSetting],
                  base: Path, venv_has_pip: bool = True) -> tuple[str, ...]:
    python = str(venv_python(venv))
    options = _option_args(index, backend, base)
    if backend.name == "uv":
        assert backend.executable is not None
        return (str(backend.executable), "pip", "install", "--python", python, *options, *args)
    quiet = ("--disable-pip-version-check", "--no-input")
    if venv_has_pip:
        return (python, "-m", "pip", "install", *quiet, *options, *args)
    # a venv made without pip (uv makes them so): venvsense's own pip installs into it with --python
    return (sys.executable, "-m", "pip", "--python", python, "install", *quiet, *options, *args)


def _has_pip(site_packages: Iterable[Path]) -> bool:
    return any((folder / "pip" / "__init__.py").is_file() for folder in site_packages)


def _own_pip_takes_python() -> bool:
    """Whether the pip next to venvsense can install into another interpreter (``--python``: pip ≥ 22.3)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        parts = version("pip").split(".")
        return (int(parts[0]), int(parts[1])) >= (22, 3)
    except (PackageNotFoundError, ValueError, IndexError):
        return False


def _venv_argv(backend: Backend, interpreter: Interpreter, build_at: Path,
               prompt: str | None) -> tuple[str, ...]:
    prompt_args = ["--prompt", prompt] if prompt else []
    if backend.name == "uv":
        assert backend.executable is not None
        return (str(backend.executable), "venv", "--python", safe_path(interpreter.path),
                "--no-python-downloads", *prompt_args, safe_path(build_at))
    # venv WITH pip: pip runs as the venv's own `python -m pip`, and the person gets a usual venv
    return (safe_path(interpreter.path), "-m", "venv", *prompt_args, safe_path(build_at))


# --- the three plans ------------------------------------------------------------------------------------


def plan_create(report: ProjectReport, options: Options | None = None, *, recreate: bool = False,
                pyproject: TomlFile | None = None) -> Plan:
    """Create the project's venv (or, with ``recreate``, build a new one beside it to swap in); ``pyproject``
    is the project's parsed ``pyproject.toml`` when the caller has it (else it is read from disk)."""
    options = options or Options()
    venv = target_venv(report, options)
    if os.path.lexists(venv) and not recreate:
        raise ActionError(f"{venv} already exists; venvsense never overwrites a venv: use `venvsense create "
                          "--recreate` to build a new one and swap it in")
    action: ActionKind = "recreate" if recreate and os.path.lexists(venv) else "create"
    if action == "recreate" and not (venv / "pyvenv.cfg").is_file() and any(_listdir(venv)):
        raise ActionRefused(f"{venv} is not a virtual environment (no pyvenv.cfg) and not empty; "
                            "venvsense will not replace it")
    build_at = staging_path(venv)  # built beside, moved into place only when complete
    pvf = report.python_version_file
    requires = next((m.requires_python[0] for m in report.manifests if m.requires_python), None)
    interpreter = choose_interpreter(
        requested=options.python,
        python_version_file=[v for v, _ in pvf.versions] if pvf else (),
        requires_python=requires,
        environ=options.environ,
    )
    backend = choose_backend(options.installer, options.environ)
    todo = _declared_install(report, options, interpreter.version, _pyproject_data(report, pyproject))
    index = [*todo.index, *_cli_index(options)]
    described = f"create the venv with Python {interpreter.version or '(version unknown)'} ({backend.name})"
    steps = [Step("venv", described,
                  _venv_argv(backend, interpreter, build_at, venv.name if action == "recreate" else None))]
    if todo.args:
        steps.append(Step("install", "install what the project declares: " + ", ".join(todo.shown),
                          _install_argv(backend, build_at, todo.args, index, report.project.root),
                          tuple(dict.fromkeys(todo.expected))))
    notes = list(todo.notes)
    if not todo.args:
        notes.append("the project declares nothing to install: only the venv is created")
    return Plan(action, report.project.root, venv, build_at, backend, interpreter, tuple(steps),
                tuple(todo.shown), tuple(dict.fromkeys(todo.expected)), tuple(index), tuple(notes),
                tuple(todo.reasons), tuple(relative_path(f, report.project.root) for f in todo.sources))


def _listdir(path: Path) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def plan_install(report: ProjectReport, options: Options | None = None,
                 packages: Iterable[str] | None = None) -> Plan:
    """Install what is missing and bring versions in line: every VS201/VS202/VS203 of the project (or only
    those about ``packages``) in one installer call, with the declared specifiers and the ``-c`` files."""
    options = options or Options()
    env = report.environment
    if env is None:
        raise ActionError(f"{report.project.root} has no virtual environment: create one first "
                          "(venvsense create)")
    ensure_virtual_environment(env.path)
    if any(f.code == "VS102" for f in report.findings):
        raise ActionRefused(f"{env.path} belongs to another project; venvsense will not install this "
                            "project's dependencies into it: create the project's own (venvsense create)")
    wanted = {canonicalize_name(p) for p in packages} if packages is not None else None
    root, real = report.project.root, real_root(report)
    by_place = {(d.file, d.range): d for d in [*report.declarations, *report.constraints]}
    chosen: dict[Declaration, list[str]] = {}
    notes: list[str] = []
    for finding in report.findings:
        if finding.code not in INSTALL_CODES or finding.package is None:
            continue
        if wanted is not None and finding.package not in wanted:
            continue
        declaration = by_place.get((finding.file, finding.range))
        if declaration is None:
            continue
        if not inside(declaration.file, real):
            notes.append(f"{declaration.requirement} is declared in a file outside the project "
                         f"({declaration.file}): not installed")
            continue
        chosen.setdefault(declaration, []).append(_why(finding.code, finding.data))
    if wanted is not None:
        for name in sorted(wanted - {d.normalized for d in chosen}):
            declared = [d for d in report.declarations if d.normalized == name]
            if not declared:
                raise ActionError(f"{name} is not declared by {report.project.root.name}; declare it first")
    backend = choose_backend(options.installer, options.environ)
    has_pip = _has_pip(env.site_packages)
    if backend.name == "pip" and not has_pip and not _own_pip_takes_python():
        raise ActionError(f"{env.path} has no pip and venvsense's own pip cannot install into it: use "
                          "--installer uv, or install pip into the venv (python -m ensurepip)")
    args: list[str] = []
    shown: list[str] = []
    reasons: list[str] = []
    for argument, members in merged(chosen, _requirement_arg):
        registry = members[0].kind == "registry"
        args.append(safe_requirement(argument) if registry else argument)
        shown.append(argument if registry else members[0].requirement)
        why = "; ".join(dict.fromkeys(w for m in members for w in chosen[m]))
        where = ", ".join(f"{relative_path(m.file, root)} line {m.range.start.line + 1}" for m in members)
        reasons.append(f"{shown[-1]}: {why} (declared in {where})")
    constraint_files = [c for c in dict.fromkeys(c.file for c in report.constraints) if inside(c, real)]
    for path in constraint_files:
        args += ["-c", safe_path(path)]
    files = list(dict.fromkeys([*(d.file for d in chosen), *constraint_files]))
    index = [*_index_settings(_manifests_holding(report, files), root, real), *_cli_index(options)]
    expected = tuple(dict.fromkeys(d.normalized for d in chosen if d.normalized))
    steps: list[Step] = []
    if chosen:
        what = ", ".join(shown) + (" (with the -c constraint files)" if constraint_files else "")
        steps.append(Step("install", f"install {what}",
                          _install_argv(backend, env.path, args, index, root, has_pip), expected))
    else:
        notes.append("nothing to install: no VS201/VS202/VS203 findings")
    return Plan("install", root, env.path, env.path, backend, None, tuple(steps), tuple(shown),
                expected, tuple(index), tuple(dict.fromkeys(notes)), tuple(reasons),
                tuple(relative_path(f, root) for f in files))


def _why(code: str, data: Mapping[str, Any]) -> str:
    """Why a finding's package is in an install plan, in a few words."""
    installed = data.get("installed")
    if code == "VS202":
        return f"installed {installed} does not match" if isinstance(installed, str) else "version mismatch"
    if code == "VS203":
        extra = data.get("extra")
        return f"extra [{extra}] not installed" if isinstance(extra, str) else "an extra is not installed"
    return "not installed"


def plan_fix(report: ProjectReport, options: Options | None = None, *,
             pyproject: TomlFile | None = None) -> Plan | None:
    """What ``venvsense fix`` does for a project (the fix policy's ``repair_for``): create a missing venv,
    recreate a broken one or one with the wrong Python (VS104/VS103), else install what is missing or
    mismatched; ``None`` when nothing is to do."""
    options = options or Options()
    repair = repair_for(report)
    env = report.environment
    if repair == "create":
        return plan_create(report, options, pyproject=pyproject)
    if repair == "recreate" and env is not None:
        options = dataclasses.replace(options, venv_name=env.path.name)
        return plan_create(report, options, recreate=True, pyproject=pyproject)
    if repair == "install":
        return plan_install(report, options)
    return None
