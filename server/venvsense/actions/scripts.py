""""Create an environment for this script": the plan for a PEP 723 script that has no environment.

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
    if script.environment is not None:
        raise ActionError(f"{script.name} already has an environment ({script.environment.path}); venvsense "
                          "never overwrites one")
    if any(f.code == "VS206" and f.file == script.path for f in report.findings):
        raise ActionError(f"{script.name}'s script metadata cannot be read (VS206): fix the block first")
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
