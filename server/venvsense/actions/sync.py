"""Syncing a venv with the project's lock file, and updating the lock: two more plans (data a person reads
first), run by ``run.execute`` like the others (guarded processes, progress, cancellation, the venv's lock).

=================  ==========================================================================================
lock               "Sync .venv with <lock>"
=================  ==========================================================================================
``uv.lock``        ``uv sync --frozen`` with ``UV_PROJECT_ENVIRONMENT`` set to the project's venv: exactly the
                   lock's selection, packages it does not select removed, the lock left as it is; without uv
                   (or with ``--installer pip``) the exact pins. A project without a venv gets one: ``uv sync
                   --frozen --python <create's choice>`` into ``.venv.venvsense-new``, renamed into place only
                   once complete (a ``create`` plan)
``poetry.lock``    ``poetry install --sync`` (``VIRTUAL_ENV`` set to the venv) when Poetry is on ``PATH``, else
                   the exact pins
``pylock.toml``    ``uv pip sync --python <venv> pylock.toml`` when uv is there, else the exact pins
``Pipfile.lock``,  the exact pins: the packages the lock selects for the venv (markers evaluated for its Python
``pdm.lock``       and platform), each ``name==version``, installed with ``--no-deps`` (the lock is the whole
                   closure: nothing is resolved again), then what the venv holds besides them uninstalled
=================  ==========================================================================================

"Update the lock" runs the lock's own tool: ``uv lock``, ``poetry lock``, ``pipenv lock``, ``pdm lock``
(``pylock.toml`` names no tool: refused with the reason). A sync needs an existing venv of the project (but a
``uv.lock`` builds one); both refuse an untrusted workspace (``execute``). Index URLs the lock records (a registry other
than PyPI, Pipfile.lock's sources) are index settings the person must accept, as those of requirements files.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvsense.actions.interpreters import choose_backend, choose_interpreter, find_uv
from venvsense.actions.planning import (
    Options,
    _cli_index,
    _has_pip,
    _install_argv,
    _option_args,
    _own_pip_takes_python,
    staging_path,
    target_venv,
)
from venvsense.actions.safety import (
    ensure_virtual_environment,
    safe_path,
    safe_requirement,
    safe_value,
    venv_python,
)
from venvsense.actions.steps import ActionError, ActionRefused, Backend, IndexSetting, Plan, Step, ToolName
from venvsense.check import ProjectReport
from venvsense.declarations.locks import (
    Lock,
    LockedPackage,
    Selection,
    Target,
    find_lock,
    format_of,
    read_lock,
    select,
)
from venvsense.environment import marker_environment
from venvsense.text import UnreadableFile, read_text

PYPI = frozenset({"https://pypi.org/simple", "https://pypi.python.org/simple", "https://pypi.org/pypi"})
# the tool that writes each kind of lock, and its "update the lock" arguments
LOCK_TOOLS: Mapping[str, tuple[ToolName, tuple[str, ...]]] = {
    "uv": ("uv", ("lock",)),
    "poetry": ("poetry", ("lock", "--no-interaction")),
    "pipfile": ("pipenv", ("lock",)),
    "pdm": ("pdm", ("lock",)),
}


@dataclass(frozen=True)
class LockInfo:
    """The lock a project uses, read: its path and model, for planning."""

    path: Path
    lock: Lock


def project_lock(report: ProjectReport) -> LockInfo:
    """The project's lock file, read; ``ActionError`` when it has none or it cannot be read."""
    root = report.project.root
    if report.lock is not None and report.lock.kind == "compiled":  # a pip-compile'd requirements file
        return LockInfo(report.lock.path, report.lock)
    path = find_lock(root)
    if path is None:
        raise ActionError(f"{root.name} has no lock file (uv.lock, poetry.lock, pylock.toml, Pipfile.lock, "
                          "pdm.lock): there is nothing to sync with")
    lock = read_lock(path)
    if lock.error is not None and format_of(lock.kind) is not None:
        line = lock.error.range.start.line + 1
        raise ActionError(f"{path.name} cannot be used: {lock.error.message} (line {line})")
    # a kind this version cannot read: its own tool may still sync it (the exact pins cannot be planned)
    return LockInfo(path, lock)


def _disk_text(path: Path) -> str | None:
    """A manifest's text on disk, for the lock's selection (``None`` when unreadable)."""
    try:
        return read_text(path)
    except UnreadableFile:
        return None


def _which(program: str, environ: Mapping[str, str] | None) -> Path | None:
    environ = os.environ if environ is None else environ
    where = shutil.which(program, path=environ.get("PATH", os.defpath))
    return Path(where) if where else None


def _venv_of(report: ProjectReport) -> Path:
    env = report.environment
    if env is None:
        raise ActionError(f"{report.project.root} has no virtual environment: create one first (venvsense create)")
    ensure_virtual_environment(env.path)
    if any(f.code == "VS102" for f in report.findings):
        raise ActionRefused(f"{env.path} belongs to another project; venvsense will not sync it with this "
                            "project's lock: create the project's own (venvsense create)")
    return env.path


# --- where the lock says packages come from ---------------------------------------------------------------


def _registries(lock: Lock) -> list[tuple[str, int]]:
    """The package indexes the lock records (URL or folder, with the 1-based line where first seen), PyPI left
    out: uv's ``source = { registry = ... }``, Poetry's ``[package.source]`` of type ``legacy``, Pipfile.lock's
    ``_meta.sources``, pylock's ``index``."""
    data: Mapping[str, Any] = lock.data
    found: dict[str, int] = {}

    def add(value: object, line: int) -> None:
        if isinstance(value, str) and value and value.rstrip("/") not in PYPI:
            found.setdefault(value, line)

    if lock.kind == "pipfile":
        meta = data.get("_meta")
        sources = meta.get("sources") if isinstance(meta, Mapping) else None
        for source in sources if isinstance(sources, list) else []:
            if isinstance(source, Mapping):
                add(source.get("url"), 1)
        return list(found.items())
    entries = data.get("packages" if lock.kind == "pylock" else "package")
    lines = {package.name: package.line + 1 for package in lock.packages}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        name = entry.get("name")
        line = lines.get(canonicalize_name(name), 1) if isinstance(name, str) else 1
        source = entry.get("source")
        if lock.kind == "uv" and isinstance(source, Mapping):
            add(source.get("registry"), line)
        elif lock.kind in ("poetry", "pdm") and isinstance(source, Mapping) and source.get("type") == "legacy":
            add(source.get("url"), line)
        elif lock.kind == "pylock":
            add(entry.get("index"), line)
    return list(found.items())


def _lock_index(info: LockInfo, options: Options) -> list[IndexSetting]:
    """The lock's indexes as settings needing consent, those the person named already (``--find-links``,
    the index URL setting) left out; folders relative to the project made absolute for comparing."""
    own = {setting.value.rstrip("/") for setting in _cli_index(options) if setting.value}
    out: list[IndexSetting] = []
    for value, line in _registries(info.lock):
        local = "://" not in value
        compared = str((info.path.parent / value).absolute()) if local and not os.path.isabs(value) else value
        if compared.rstrip("/") in own:
            continue
        option = "--find-links" if local else "--extra-index-url"
        out.append(IndexSetting(option, value, f"{info.path.name} line {line}", from_file=True))
    return out


# --- the exact pins -------------------------------------------------------------------------------------


def _pin(package: LockedPackage, base: Path) -> list[str] | None:
    """One locked package as installer arguments, ``None`` when nothing is installed for it (virtual)."""
    if package.source == "virtual":
        return None
    if package.source in ("editable", "directory", "path"):
        path = Path(package.location or ".")
        path = path if path.is_absolute() else base / path
        return ["-e", safe_path(path)] if package.source == "editable" else [safe_path(path)]
    if package.source in ("git", "url"):
        location = package.location if package.source == "url" else f"git+{package.location.removeprefix('git+')}"
        return [safe_requirement(f"{package.name} @ {location}")]
    if not package.version:
        return [safe_requirement(package.name)]
    return [safe_requirement(f"{package.name}=={package.version}")]


def _selection(report: ProjectReport, info: LockInfo, python: str | None = None) -> Selection:
    """What the lock selects for the project's venv (markers for its Python, or ``python``'s; the tool's default
    groups)."""
    env = report.environment
    if python is None and env is not None:
        python = env.python
    settings = report.settings
    target = Target(marker_environment(python), frozenset(settings.lock_extras), frozenset(settings.lock_groups))
    return select(info.lock, target, _disk_text)


def _tool_sets(report: ProjectReport, kind: str) -> list[str]:
    """The extras and groups the settings add (``lock-extras``, ``lock-groups``; ``*``: all) as the arguments of
    the lock's tool (uv and uv pip: ``--extra``/``--group``; Poetry: ``--extras``/``--with``), so its sync selects
    what the check compares."""
    settings = report.settings
    extras, groups = list(settings.lock_extras), list(settings.lock_groups)
    args: list[str] = []
    if kind == "poetry":
        if "*" in extras:
            args.append("--all-extras")
        elif extras:
            args.append(safe_value("--extras", " ".join(extras)))
        if "*" in groups:
            args.append("--all-groups")
        elif groups:
            args.append(safe_value("--with", ",".join(groups)))
        return args
    if "*" in extras:
        args.append("--all-extras")
    else:
        args += [safe_value("--extra", extra) for extra in extras]
    if "*" in groups:
        args.append("--all-groups")
    else:
        args += [safe_value("--group", group) for group in groups]
    return args


def _shown(selection: Selection) -> list[str]:
    """The selection as a person reads it: ``alpha==1.0``, ``proj (editable)``; virtual projects left out."""
    return [f"{p.name}=={p.version}" if p.source == "registry" and p.version else f"{p.name} ({p.source})"
            for _, p in sorted(selection.packages.items()) if p.source != "virtual"]


def _pins_steps(report: ProjectReport, info: LockInfo, venv: Path, options: Options, index: list[IndexSetting],
                selection: Selection) -> tuple[Backend, list[Step], list[str], list[str], list[str]]:
    """Install exactly the lock's selection with ``--no-deps``, then uninstall what it does not select; the
    backend, the steps, the pins shown, the names expected afterwards, notes."""
    env = report.environment
    assert env is not None
    if selection.error is not None:
        raise ActionError(f"{info.path.name}: venvsense cannot tell what it selects for {venv.name} "
                          f"({selection.error}), and no tool that reads it is available")
    backend = choose_backend(options.installer, options.environ)
    has_pip = _has_pip(env.site_packages)
    if backend.name == "pip" and not has_pip and not _own_pip_takes_python():
        raise ActionError(f"{venv} has no pip and venvsense's own pip cannot install into it: install uv, or "
                          "install pip into the venv (python -m ensurepip)")
    root = report.project.root
    args: list[str] = []
    expected: list[str] = []
    installed = report.installed.distributions if report.installed is not None else {}
    for name, package in sorted(selection.packages.items()):
        pin = _pin(package, info.path.parent)
        if pin is None:
            continue
        expected.append(name)
        have = installed.get(name)
        if package.source == "registry" and have is not None and not have.editable and package.version and \
                _same_version(have.version, package.version):
            continue  # already the locked version: nothing to do for it
        args += pin
    shown = _shown(selection)
    steps: list[Step] = []
    if args:
        steps.append(Step("install", f"install exactly what {info.path.name} pins (of {len(shown)} packages, those "
                                     "not installed at the locked version; --no-deps: the lock is the whole set)",
                          _install_argv(backend, venv, ["--no-deps", *args], index, root, has_pip),
                          tuple(expected)))
    keep = {"pip"} if backend.name == "pip" else set()
    if info.lock.kind == "compiled":  # pip-sync never uninstalls its installers (pip-tools' PACKAGES_TO_IGNORE)
        keep |= {"pip", "pip-tools", "setuptools", "wheel"}
    stray = sorted(n for n in installed if n not in selection.packages and n not in selection.own and n not in keep)
    notes: list[str] = []
    if stray:
        shown_stray = [installed[n].name for n in stray]
        steps.append(Step("install", f"uninstall what {info.path.name} does not select: {', '.join(shown_stray)}",
                          _uninstall_argv(backend, venv, shown_stray, has_pip)))
    if "pip" in installed and "pip" not in selection.packages and backend.name == "pip":
        notes.append("pip stays installed: it is the installer of this plan")
    return backend, steps, shown, expected, notes


def _same_version(installed: str, locked: str) -> bool:
    try:
        return Version(installed) == Version(locked)
    except InvalidVersion:
        return installed == locked


def _uninstall_argv(backend: Backend, venv: Path, names: list[str], has_pip: bool) -> tuple[str, ...]:
    python = str(venv_python(venv))
    checked = [safe_requirement(name) for name in names]
    if backend.name == "uv":
        assert backend.executable is not None
        return (str(backend.executable), "pip", "uninstall", "--python", python, *checked)
    quiet = ("--disable-pip-version-check", "--no-input")
    if has_pip:
        return (python, "-m", "pip", "uninstall", "-y", *quiet, *checked)
    return (sys.executable, "-m", "pip", "--python", python, "uninstall", "-y", *quiet, *checked)


# --- the two plans --------------------------------------------------------------------------------------


def plan_sync(report: ProjectReport, options: Options | None = None) -> Plan:
    """Make the project's venv hold exactly what its lock selects (see the module's table)."""
    options = options or Options()
    info = project_lock(report)
    if report.environment is None and info.lock.kind == "uv":
        return _plan_create_from_uv_lock(report, info, options)
    venv = _venv_of(report)
    root = report.project.root
    name = info.path.name
    index = [*_lock_index(info, options), *_cli_index(options)]
    notes: list[str] = []
    reasons = [f"{name} is the project's lock: the venv is made to match it exactly (packages it does not "
               "select are removed)"]
    kind = info.lock.kind
    uv = find_uv(options.environ) if options.installer != "pip" else None
    poetry = _which("poetry", options.environ) if kind == "poetry" else None
    selection = _selection(report, info)
    expected = sorted(n for n, p in selection.packages.items() if p.source != "virtual")
    shown = _shown(selection) or [f"what {name} selects"]
    own_index = _cli_index(options)  # uv reads the lock's own sources itself
    if kind == "uv" and uv is not None:
        backend = Backend("uv", uv[0], uv[1] + " (uv.lock is uv's lock)")
        argv = (str(uv[0]), "sync", "--frozen", *_tool_sets(report, kind), *_option_args(own_index, backend, root))
        steps = [Step("install", f"sync {venv.name} with {name} (uv sync --frozen: exactly the lock, the lock "
                                 "left as it is)", argv, tuple(expected),
                      (("UV_PROJECT_ENVIRONMENT", str(venv)),))]
    elif kind == "poetry" and poetry is not None:
        backend = Backend("poetry", poetry, "Poetry found on PATH (poetry.lock is Poetry's lock)")
        steps = [Step("install", f"sync {venv.name} with {name} (poetry install --sync)",
                      (str(poetry), "install", "--sync", "--no-interaction", *_tool_sets(report, kind)),
                      tuple(expected),
                      (("VIRTUAL_ENV", str(venv)), ("POETRY_VIRTUALENVS_CREATE", "false")))]
    elif kind == "pylock" and uv is not None:
        backend = Backend("uv", uv[0], uv[1])
        argv = (str(uv[0]), "pip", "sync", "--python", str(venv_python(venv)), *_tool_sets(report, kind),
                *_option_args(own_index, backend, root), safe_path(info.path))
        steps = [Step("install", f"sync {venv.name} with {name} (uv pip sync)", argv, tuple(expected))]
    else:
        if kind in ("uv", "poetry"):
            tool = "uv" if kind == "uv" else "Poetry"
            why = "--installer pip was asked for" if kind == "uv" and options.installer == "pip" else \
                f"{tool} is not on PATH"
            notes.append(f"{why}: the locked pins are installed exactly instead")
        backend, steps, shown, expected, more = _pins_steps(report, info, venv, options, index, selection)
        notes += more
    if not steps:
        notes.append(f"{venv.name} already holds exactly what {name} selects")
    return Plan("sync", root, venv, venv, backend, None, tuple(steps), tuple(shown), tuple(dict.fromkeys(expected)),
                tuple(index), tuple(notes), tuple(reasons), (name,), lock=info.path)


def _plan_create_from_uv_lock(report: ProjectReport, info: LockInfo, options: Options) -> Plan:
    """A uv project without a venv: ``uv sync --frozen`` builds ``.venv`` from the lock, beside it (the staging
    folder, renamed into place only when complete, as ``create`` does), with the Python ``create`` would choose."""
    uv = find_uv(options.environ) if options.installer != "pip" else None
    if uv is None:
        raise ActionError(f"{report.project.root} has no virtual environment, and uv (which builds one from uv.lock) "
                          "is not available: create one first (venvsense create)")
    root = report.project.root
    venv = target_venv(report, options)
    if os.path.lexists(venv):
        raise ActionError(f"{venv} exists but is not a usable venv: recreate it (venvsense create --recreate)")
    pvf = report.python_version_file
    requires = next((m.requires_python[0] for m in report.manifests if m.requires_python), None)
    interpreter = choose_interpreter(requested=options.python,
                                     python_version_file=[v for v, _ in pvf.versions] if pvf else (),
                                     requires_python=requires, environ=options.environ)
    backend = Backend("uv", uv[0], uv[1] + " (uv.lock is uv's lock)")
    selection = _selection(report, info, interpreter.version)
    expected = tuple(sorted(n for n, p in selection.packages.items() if p.source != "virtual"))
    build_at = staging_path(venv)
    argv = (str(uv[0]), "sync", "--frozen", "--python", safe_path(interpreter.path), *_tool_sets(report, "uv"),
            *_option_args(_cli_index(options), backend, root))
    step = Step("install", f"create {venv.name} with what {info.path.name} selects (uv sync --frozen)", argv,
                expected, (("UV_PROJECT_ENVIRONMENT", str(build_at)),))
    return Plan("create", root, venv, build_at, backend, interpreter, (step,),
                tuple(_shown(selection) or [f"what {info.path.name} selects"]), expected,
                tuple([*_lock_index(info, options), *_cli_index(options)]), (),
                (f"{info.path.name} is the project's lock: the new venv holds exactly what it selects",),
                (info.path.name,), lock=info.path)


def plan_update_lock(report: ProjectReport, options: Options | None = None) -> Plan:
    """Bring the lock in line with the manifest with the lock's own tool (``uv lock``, ``poetry lock``…)."""
    options = options or Options()
    info = project_lock(report)
    root = report.project.root
    kind = info.lock.kind
    if kind not in LOCK_TOOLS:
        raise ActionError(f"{info.path.name} names no tool that updates it: update it with the tool that made it "
                          "(uv export --format pylock.toml, pdm export, …)")
    program, arguments = LOCK_TOOLS[kind]
    env = report.environment
    venv = env.path if env is not None else root / options.venv_name
    if kind == "uv":
        uv = find_uv(options.environ)
        if uv is None:
            raise ActionError("uv.lock is updated with uv, which is neither on PATH nor installed as a Python "
                              "package (pip install uv)")
        executable, why = uv
    else:
        found = _which(program, options.environ)
        if found is None:
            raise ActionError(f"{info.path.name} is updated with {program}, which is not on PATH")
        executable, why = found, f"{program} found on PATH"
    backend = Backend(program, executable, f"{why} ({info.path.name} is {program}'s lock)")
    index = [*_cli_index(options)]
    argv = (str(executable), *arguments, *(_option_args(index, backend, root) if kind == "uv" else ()))
    environ: tuple[tuple[str, str], ...] = ()
    if kind in ("poetry", "pipfile", "pdm") and env is not None:
        environ = (("VIRTUAL_ENV", str(env.path)),)
    notes = ["poetry lock of Poetry 1.x also updates locked versions (Poetry 2 keeps them)"] if kind == "poetry" \
        else []
    step = Step("lock", f"update {info.path.name} to match the project's manifest ({program} {arguments[0]})", argv,
                environ=environ)
    return Plan("lock", root, venv, venv, backend, None, (step,), (), (), tuple(index), tuple(notes),
                (f"{info.path.name} no longer matches what the project declares",), (info.path.name,),
                lock=info.path)
