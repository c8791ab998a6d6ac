"""What keeps actions safe: validated arguments, venv-only targets (PEP 668), a scrubbed child
environment, and a lock so two runs never change one venv at once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from venvsense.actions.steps import ActionRefused, LockBusy

# Variables that would let an installer write outside a venv or skip PEP 668, or break the venv's Python.
_DROPPED = (
    "PIP_BREAK_SYSTEM_PACKAGES", "UV_BREAK_SYSTEM_PACKAGES", "UV_SYSTEM_PYTHON", "PIP_USER", "PIP_TARGET",
    "PIP_PREFIX", "PIP_ROOT", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT", "VIRTUAL_ENV", "CONDA_PREFIX",
    "UV_PYTHON", "PIP_REQUIRE_VIRTUALENV",
)


def safe_requirement(text: str) -> str:
    """A PEP 508 requirement ready for an argument list, or ``ActionRefused``.

    Anything starting with ``-`` (``--index-url=http://evil``) is refused before it can be read as an option.
    """
    stripped = text.strip()
    if not stripped or stripped.startswith("-") or "\n" in stripped or "\r" in stripped or "\x00" in stripped:
        raise ActionRefused(f"refusing {text!r}: not a requirement (it would be read as an installer option)")
    try:
        requirement = Requirement(stripped)
    except InvalidRequirement as error:
        raise ActionRefused(f"refusing {text!r}: not a valid PEP 508 requirement ({error})") from None
    return str(requirement)


def safe_value(option: str, value: str) -> str:
    """An option's value as one ``--option=value`` argument (never mistaken for another option)."""
    if not value or value.startswith("-") or any(c in value for c in "\n\r\x00"):
        raise ActionRefused(f"refusing {option} {value!r}: not a usable value")
    return f"{option}={value}"


def safe_path(path: Path) -> str:
    """A path as an argument: absolute, so it can never start with ``-``."""
    text = str(path.absolute())
    if any(c in text for c in "\n\r\x00"):
        raise ActionRefused(f"refusing path {text!r}")
    return text


def venv_python(venv: Path) -> Path:
    windows = venv / "Scripts" / "python.exe"
    return windows if os.name == "nt" else venv / "bin" / "python"


def ensure_virtual_environment(venv: Path) -> None:
    """Installs only ever go into a venv: the target must hold ``pyvenv.cfg`` and its own interpreter.

    A global or system interpreter (PEP 668 ``EXTERNALLY-MANAGED`` or not) has no ``pyvenv.cfg``.
    """
    if not (venv / "pyvenv.cfg").is_file():
        raise ActionRefused(f"refusing to install into {venv}: it is not a virtual environment (no "
                            "pyvenv.cfg); venvsense never installs into a global or system Python")
    if not venv_python(venv).exists():
        missing = venv_python(venv).relative_to(venv)
        raise ActionRefused(f"refusing to install into {venv}: it has no {missing}")


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for installer processes: the user's, minus what defeats venv-only installs."""
    env = dict(os.environ if environ is None else environ)
    for name in _DROPPED:
        env.pop(name, None)
    env.update({
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PIP_PROGRESS_BAR": "off",
        "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never",
    })
    return env


def lock_path(venv: Path) -> Path:
    """The lock beside the venv (``.venv.venvsense.lock``): it outlives a recreate's swap of the folder."""
    return venv.with_name(venv.name + ".venvsense.lock")


@dataclass(frozen=True)
class HeldLock:
    """A venv's lock while held: its file, the descriptor holding the ``flock`` (a guard process is given it
    so the lock outlives venvsense until the guard's clean-up is done), and the pid written in the file by
    an earlier run that died holding it (``None`` when the file was new or cleanly released)."""

    path: Path
    fd: int | None
    stale_pid: int | None = None


def _stale_holder(fd: int) -> int | None:
    """The pid an earlier run left in the lock file (it died without removing it)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else -1 if text else None


@contextlib.contextmanager
def venv_lock(venv: Path) -> Iterator[HeldLock]:
    """Hold the venv's lock, or raise ``LockBusy`` at once (no waiting: the person is told instead).

    ``fcntl.flock`` is released by the kernel when the last process holding it dies, so a killed run never
    blocks the next one: its file is left behind, and the next run takes it over (``stale_pid`` says whose
    it was, for a log line).
    """
    path = lock_path(venv)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: an exclusive create instead
        yield from _exclusive_file(path, venv)
        return
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise LockBusy(f"cannot create the lock {path} ({error.strerror or error})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise LockBusy(f"another venvsense run is changing {venv} right now (lock {path.name} is held); "
                           "wait for it to finish and try again") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except OSError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file between our open and lock: take the new one
    stale = _stale_holder(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield HeldLock(path, fd, stale)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _exclusive_file(path: Path, venv: Path) -> Iterator[HeldLock]:  # pragma: no cover - Windows
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise LockBusy(f"another venvsense run is changing {venv} right now ({path} exists)") from None
    try:
        yield HeldLock(path, None)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
