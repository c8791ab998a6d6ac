""""Create an environment for this script": the plan for a PEP 723 script that has no environment (and, for one
that has, the plan bringing it in line with its block).

Where uv is present (or asked for), ``uv sync --script <file>`` — uv makes the script's environment in its cache,
where ``venvsense check`` then finds it (``environment.uvcache``); otherwise (or with ``--installer pip``) a venv
beside the script in ``.venvs/<script-name>``, built as ``create`` builds a project's (``python -m venv`` in a
staging folder, the block's dependencies installed, moved into place only when complete). Either way the plan
is data first (``Plan``), run by ``actions.run.execute`` like every other: trusted workspaces only, argument
lists, never a shell, progress and cancellation, the venv lock.
"""

from __future__ import annotations

import os
from pathlib import Path

from venvsense.actions.interpreters import choose_backend, choose_interpreter
from venvsense.actions.planning import (
    Options,
    _cli_index,
    _install_argv,
    _option_args,
    _venv_argv,
    staging_path,
)
from venvsense.actions.safety import safe_path, safe_requirement
from venvsense.actions.steps import ActionError, Plan, Step
from venvsense.check import ProjectReport
from venvsense.environment import SCRIPT_VENVS, marker_environment
from venvsense.environment.uvcache import script_environment_path
from venvsense.model.scripts import ScriptScope
from venvsense.rules.declarations import marker_holds


def script_of(report: ProjectReport, path: Path) -> ScriptScope:
    """The PEP 723 script at ``path`` among the checked project's, else ``ActionError``."""
    wanted = path.absolute()
    for script in report.scripts:
        if script.path == wanted or script.path.resolve() == wanted.resolve():
            return script
    raise ActionError(f"{path} is not a PEP 723 script of {report.project.root} (no '# /// script' block was "
                      "found in it)")


def plan_script(report: ProjectReport, path: Path, options: Options | None = None) -> Plan:
    """The plan making the script at ``path`` its environment (module docstring)."""
    options = options or Options()
    script = script_of(report, path)
    if any(f.code == "VS206" and f.file == script.path for f in report.findings):
        raise ActionError(f"{script.name}'s script metadata cannot be read (VS206): fix the block first")
    if script.environment is not None:
        return _plan_sync(report, script, options)
    requires = script.manifest.requires_python[0] if script.manifest.requires_python else None
    interpreter = choose_interpreter(requested=options.python, python_version_file=(), requires_python=requires,
                                     environ=options.environ)
    backend = choose_backend(options.installer, options.environ)
    markers = marker_environment(interpreter.version)
    declarations = script.manifest.declarations
    expected = tuple(dict.fromkeys(d.normalized for d in declarations
                                   if d.normalized and marker_holds(d.marker, markers)))
    shown = tuple(d.requirement for d in declarations)
    index = _cli_index(options)
    root = report.project.root
    reasons = (f"{', '.join(shown)}: the dependencies of {script.name}'s PEP 723 block",) if shown else ()
    source = (os.path.relpath(script.path, root),)
    if backend.name == "uv":
        assert backend.executable is not None
        venv = script_environment_path(script.path, options.environ if options.environ is not None else os.environ)
        argv = (str(backend.executable), "sync", "--script", safe_path(script.path), "--python",
                safe_path(interpreter.path), "--no-python-downloads", *_option_args(index, backend, root))
        step = Step("install", f"uv sync --script {script.name}: uv makes the script's environment in its cache "
                    "and installs its dependencies", argv, expected)
        return Plan("create", root, venv, venv, backend, interpreter, (step,), shown, expected, tuple(index),
                    (f"uv keeps it in its cache ({venv}); `uv run {script.name}` uses it",), reasons, source)
    venv = script.path.parent / SCRIPT_VENVS / script.path.stem
    if os.path.lexists(venv):
        raise ActionError(f"{venv} already exists; venvsense never overwrites a venv")
    build_at = staging_path(venv)
    steps = [Step("venv", f"create the venv with Python {interpreter.version or '(version unknown)'} (pip)",
                  _venv_argv(backend, interpreter, build_at, f"{script.path.stem}"))]
    if declarations:
        args = [safe_requirement(d.requirement) for d in declarations]
        steps.append(Step("install", "install the script's dependencies: " + ", ".join(shown),
                          _install_argv(backend, build_at, args, index, root), expected))
    notes = () if declarations else ("the script declares no dependencies: only the venv is created",)
    return Plan("create", root, venv, build_at, backend, interpreter, tuple(steps), shown, expected, tuple(index),
                notes, reasons, source)


def _plan_sync(report: ProjectReport, script: ScriptScope, options: Options) -> Plan:
    """A script that has an environment: bring it in line with its block — ``uv sync --script`` for uv's
    (uv installs exactly what the block declares), else the block's dependencies installed into it."""
    env = script.environment
    assert env is not None
    if env.problems:
        raise ActionError(f"{env.path} is broken ({env.problems[0]}): remove it, then create it again")
    root = report.project.root
    backend = choose_backend(options.installer, options.environ)
    declarations = script.manifest.declarations
    markers = marker_environment(env.python)
    expected = tuple(dict.fromkeys(d.normalized for d in declarations
                                   if d.normalized and marker_holds(d.marker, markers)))
    shown = tuple(d.requirement for d in declarations)
    index = _cli_index(options)
    reasons = (f"{', '.join(shown)}: the dependencies of {script.name}'s PEP 723 block",) if shown else ()
    source = (os.path.relpath(script.path, root),)
    if env.source == "uv-script":
        if backend.name != "uv":
            raise ActionError(f"{script.name}'s environment is uv's: bring it in line with `uv sync --script`")
        assert backend.executable is not None
        argv = (str(backend.executable), "sync", "--script", safe_path(script.path), "--no-python-downloads",
                *_option_args(index, backend, root))
        step = Step("install", f"uv sync --script {script.name}: uv brings the script's environment in line "
                    "with its block", argv, expected)
    else:
        if not declarations:
            raise ActionError(f"{script.name} declares no dependencies: nothing to install")
        args = [safe_requirement(d.requirement) for d in declarations]
        step = Step("install", "install the script's dependencies: " + ", ".join(shown),
                    _install_argv(backend, env.path, args, index, root), expected)
    return Plan("install", root, env.path, env.path, backend, None, (step,), shown, expected, tuple(index), (),
                reasons, source)
