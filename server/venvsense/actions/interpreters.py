"""Choosing the Python a new venv is built from, and the installer (uv or pip), each with the reason why.

Order for the interpreter: an explicit ``--python``; else ``.python-version`` (pyenv's
``$PYENV_ROOT/versions/X.Y.Z``, a prefix like ``3.12`` meaning the newest 3.12.x); else the newest
interpreter that satisfies ``requires-python`` (pyenv versions, ``python3.X`` on ``PATH``); else the Python
running venvsense. Asking an interpreter on ``PATH`` for its version runs it (``-c``), nothing else does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from venvsense.actions.steps import ActionError, Backend, BackendName, Interpreter
from venvsense.declarations.pythonversion import PYTHON_VERSION

_FULL = re.compile(r"\d+\.\d+\.\d+")
_VERSION_SCRIPT = "import sys; print('%d.%d.%d' % sys.version_info[:3])"


@dataclass(frozen=True)
class Candidate:
    path: Path
    version: Version
    origin: str  # "pyenv" or "PATH"


def pyenv_root(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _python_in(folder: Path) -> Path | None:
    for name in ("python3", "python"):
        candidate = folder / "bin" / name
        if candidate.exists():
            return candidate
    return None


def pyenv_versions(environ: Mapping[str, str]) -> list[Candidate]:
    """CPython 3 versions installed by pyenv (``versions/X.Y.Z`` with a ``bin/python3``), oldest first."""
    found: list[Candidate] = []
    try:
        entries = list((pyenv_root(environ) / "versions").iterdir())
    except OSError:
        return found
    for entry in entries:
        if not _FULL.fullmatch(entry.name) or not entry.name.startswith("3."):
            continue
        python = _python_in(entry)
        if python is not None:
            found.append(Candidate(python, Version(entry.name), "pyenv"))
    return sorted(found, key=lambda c: c.version)


def ask_version(executable: Path, timeout: float = 10.0) -> str | None:
    """The ``X.Y.Z`` version of an interpreter, by running it (argument list, no shell); None if it fails."""
    try:
        result = subprocess.run([str(executable), "-c", _VERSION_SCRIPT], capture_output=True, text=True,
                                timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    text = result.stdout.strip()
    return text if result.returncode == 0 and _FULL.fullmatch(text) else None


def _is_venv_python(path: Path) -> bool:
    return (path.parent.parent / "pyvenv.cfg").is_file()


def path_pythons(environ: Mapping[str, str]) -> list[Candidate]:
    """``python3.X`` found on ``PATH`` (not venv interpreters, not pyenv shims), with versions asked."""
    found: list[Candidate] = []
    seen: set[str] = set()
    search = environ.get("PATH", os.defpath)
    for minor in range(6, 21):
        where = shutil.which(f"python3.{minor}", path=search)
        if where is None:
            continue
        path = Path(where)
        if "shims" in path.parts or _is_venv_python(path):
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        version = ask_version(path)
        if version is not None:
            found.append(Candidate(path, Version(version), "PATH"))
    return sorted(found, key=lambda c: c.version)


def running_python() -> Interpreter:
    base = getattr(sys, "_base_executable", None) or sys.executable
    version = ".".join(str(part) for part in sys.version_info[:3])
    return Interpreter(Path(base), version, f"the Python running venvsense ({version}), as the project names "
                       "no Python version (.python-version or requires-python)")


def _matches(version: Version, wanted: str) -> bool:
    parts = wanted.split(".")
    return [str(p) for p in version.release[: len(parts)]] == parts


def _listing(candidates: Sequence[Candidate]) -> str:
    return ", ".join(f"{c.version} ({c.origin})" for c in candidates) or "none"


def _by_version(wanted: str, environ: Mapping[str, str], why: str) -> Interpreter | None:
    """The newest pyenv, else ``PATH``, interpreter matching ``wanted`` (``3.12`` or ``3.12.1``)."""
    pyenv = [c for c in pyenv_versions(environ) if _matches(c.version, wanted)]
    if pyenv:
        chosen = pyenv[-1]
        return Interpreter(chosen.path, str(chosen.version), f"{why}: {wanted} → pyenv {chosen.version}")
    path = [c for c in path_pythons(environ) if _matches(c.version, wanted)]
    if path:
        chosen = path[-1]
        return Interpreter(chosen.path, str(chosen.version),
                           f"{why}: {wanted} → {chosen.path.name} on PATH, not in pyenv")
    return None


def choose_interpreter(
    *,
    requested: str | None = None,
    python_version_file: Sequence[str] = (),
    requires_python: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Interpreter:
    """The interpreter for a new venv and the reason, or ``ActionError`` saying what is missing."""
    environ = os.environ if environ is None else environ
    if requested:
        return _requested(requested, environ)
    if python_version_file:
        return _from_python_version(python_version_file, environ)
    if requires_python:
        try:
            spec = SpecifierSet(requires_python)
        except InvalidSpecifier:
            spec = None
        if spec is not None:
            candidates = pyenv_versions(environ) + path_pythons(environ)
            fitting = [c for c in candidates if spec.contains(c.version, prereleases=True)]
            if fitting:
                # newest first; pyenv over PATH at the same version (its location is stable)
                chosen = max(fitting, key=lambda c: (c.version, c.origin == "pyenv"))
                return Interpreter(chosen.path, str(chosen.version),
                                   f"the newest Python found ({chosen.origin}) that satisfies "
                                   f"requires-python {requires_python!r}")
            running = running_python()
            if running.version and spec.contains(running.version, prereleases=True):
                return Interpreter(running.path, running.version,
                                   f"the Python running venvsense, the only one found that satisfies "
                                   f"requires-python {requires_python!r}")
            raise ActionError(
                f"no installed Python satisfies requires-python {requires_python!r} (found: "
                f"{_listing(candidates)}); install one (e.g. with pyenv) or pass --python")
    return running_python()


def _requested(requested: str, environ: Mapping[str, str]) -> Interpreter:
    text = requested.strip()
    if text.startswith("-"):
        raise ActionError(f"--python {text!r} is neither a version nor an interpreter path")
    if PYTHON_VERSION.fullmatch(text):
        found = _by_version(text, environ, "asked for with --python")
        if found is None:
            raise ActionError(
                f"Python {text} (asked for with --python) is not installed: pyenv has "
                f"{_listing(pyenv_versions(environ))}; on PATH: {_listing(path_pythons(environ))}")
        return found
    if os.sep in text or (os.altsep and os.altsep in text):
        path = Path(text).expanduser()
    else:
        where = shutil.which(text, path=environ.get("PATH", os.defpath))
        if where is None:
            raise ActionError(f"--python {text}: no such interpreter on PATH")
        path = Path(where)
    if not path.exists():
        raise ActionError(f"--python {text}: {path} does not exist")
    version = ask_version(path)
    if version is None:
        raise ActionError(f"--python {text}: {path} did not run as a Python interpreter")
    return Interpreter(path.absolute(), version, f"asked for with --python {text}")


def _from_python_version(wanted: Sequence[str], environ: Mapping[str, str]) -> Interpreter:
    root = pyenv_root(environ) / "versions"
    for name in wanted:
        name = name.strip()
        if not name or "/" in name or name.startswith("."):
            continue
        exact = _python_in(root / name)
        if exact is not None:  # any pyenv version name, including pyenv-virtualenv names
            return Interpreter(exact, name if _FULL.fullmatch(name) else None,
                               f"from .python-version: {name} (pyenv)")
        if name == "system":
            where = shutil.which("python3", path=environ.get("PATH", os.defpath))
            if where and "shims" not in Path(where).parts:
                return Interpreter(Path(where), ask_version(Path(where)),
                                   "from .python-version: system (python3 on PATH)")
            continue
        if PYTHON_VERSION.fullmatch(name):
            found = _by_version(name, environ, "from .python-version")
            if found is not None:
                return found
    asked = ", ".join(wanted)
    first = wanted[0] if wanted else "?"
    raise ActionError(
        f".python-version asks for Python {asked}, which is not installed (pyenv has "
        f"{_listing(pyenv_versions(environ))}): run `pyenv install {first}`, or pass --python")


def find_uv(environ: Mapping[str, str] | None = None) -> tuple[Path, str] | None:
    """The uv executable and where it was found: on ``PATH``, else from the ``uv`` Python package."""
    environ = os.environ if environ is None else environ
    where = shutil.which("uv", path=environ.get("PATH", os.defpath))
    if where:
        return Path(where), "uv found on PATH"
    try:
        import uv  # type: ignore[import-not-found, unused-ignore]

        binary = Path(uv.find_uv_bin())
    except (ImportError, FileNotFoundError, AttributeError):
        return None
    return (binary, "uv from the `uv` Python package") if binary.exists() else None


def choose_backend(forced: BackendName | None = None, environ: Mapping[str, str] | None = None) -> Backend:
    """uv when available (or when forced), else pip; ``ActionError`` when uv is forced but missing."""
    if forced == "pip":
        return Backend("pip", None, "asked for with --installer pip (python -m venv, then the venv's pip)")
    uv = find_uv(environ)
    if uv is not None:
        reason = uv[1] + (" (asked for with --installer uv)" if forced == "uv" else "")
        return Backend("uv", uv[0], reason)
    if forced == "uv":
        raise ActionError("--installer uv: uv is neither on PATH nor installed as a Python package "
                          "(`pip install uv`)")
    return Backend("pip", None, "uv is not available, so python -m venv and the venv's pip")

