"""Which environment a project uses: the configured one, else its own venv, else ``$VIRTUAL_ENV``."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from venvsense.environment.pyvenv import Environment, read_environment
from venvsense.tree import folders_above

IN_PROJECT_NAMES = (".venv", "venv", "env", ".env")


def in_project_environments(project_root: Path) -> list[Path]:
    """The project's own venv folders (``.venv``, ``venv``, ``env``, ``.env``) that hold a ``pyvenv.cfg``.

    A folder without ``pyvenv.cfg`` does not count: ``env/`` or ``.env`` are often something else.
    """
    found: list[Path] = []
    for name in IN_PROJECT_NAMES:
        candidate = project_root / name
        try:
            if (candidate / "pyvenv.cfg").is_file():
                found.append(candidate)
        except OSError:
            continue
    return found


def find_environment(project_root: Path, *, configured: Path | None = None,
                     environ: Mapping[str, str] | None = None,
                     is_project: Callable[[Path], bool] | None = None) -> Environment | None:
    """The environment a project uses: the configured one, else its own venv, else the venv of the nearest
    enclosing project (``is_project`` tells a project's folder; a nested ``docs/`` project is developed with
    its parent's venv), else ``$VIRTUAL_ENV``.

    A configured path is taken even when it is broken (it comes back with ``problems``) so that the user
    is told, rather than another environment being picked silently. A relative path is relative to
    ``project_root``; a path to an interpreter inside a venv (``.venv/bin/python``) means that venv.
    ``environ`` defaults to ``os.environ``.
    """
    if configured is not None:
        path = configured if configured.is_absolute() else project_root / configured
        return read_environment(_venv_of_interpreter(path), "configured")
    own = in_project_environments(project_root)
    if own:
        return read_environment(own[0], "in-project")
    if is_project is not None:
        enclosing = enclosing_environment(project_root, is_project)
        if enclosing is not None:
            return read_environment(enclosing, "enclosing-project")
    variables = os.environ if environ is None else environ
    virtual_env = variables.get("VIRTUAL_ENV", "").strip()
    if virtual_env:
        path = Path(virtual_env)
        return read_environment(path if path.is_absolute() else project_root / path, "VIRTUAL_ENV")
    return None


def enclosing_environment(project_root: Path, is_project: Callable[[Path], bool]) -> Path | None:
    """The in-project venv of the nearest folder above ``project_root`` that is a project and has one, looking
    no further than the repository's root (the first folder up holding ``.git``) and never at the home folder
    or above it."""
    for folder in folders_above(project_root):
        own = in_project_environments(folder)
        if own and is_project(folder):
            return own[0]
    return None


def _venv_of_interpreter(path: Path) -> Path:
    """``.venv/bin/python`` → ``.venv`` when that folder is a venv; any other path as it is."""
    try:
        if path.is_file() and path.parent.name in ("bin", "Scripts"):
            venv = path.parent.parent
            if (venv / "pyvenv.cfg").is_file():
                return venv
    except OSError:
        pass
    return path


SCRIPT_VENVS = ".venvs"  # where venvsense makes a script's venv when uv is absent: ``.venvs/<script-name>``


def find_script_environment(script: Path, *, configured: Path | None = None,
                            environ: Mapping[str, str] | None = None) -> Environment | None:
    """The environment of a PEP 723 script, found without running anything: the one uv made for it in its
    cache (``uv run --script`` / ``uv sync --script``; ``environment.uvcache`` computes the folder from the
    script's path as uv does, also from its real path when a link leads to it), else ``configured`` (the
    ``scripts.venv`` setting; relative to the script's folder), else ``.venvs/<script-name>`` beside the
    script (what "Create an environment for this script" makes without uv); ``None`` when there is none."""
    from venvsense.environment.uvcache import script_environment_path

    variables = os.environ if environ is None else environ
    candidates = [script_environment_path(script, variables)]
    real = Path(os.path.realpath(script))
    if real != script.absolute():
        candidates.append(script_environment_path(real, variables))
    for candidate in candidates:
        if (candidate / "pyvenv.cfg").is_file():
            return read_environment(candidate, "uv-script")
    if configured is not None:
        path = configured if configured.is_absolute() else script.parent / configured
        return read_environment(_venv_of_interpreter(path), "configured")
    beside = script.parent / SCRIPT_VENVS / script.stem
    if (beside / "pyvenv.cfg").is_file():
        return read_environment(beside, "script-venv")
    return None
