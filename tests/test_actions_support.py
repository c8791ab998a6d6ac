"""Helpers for the action tests (no tests here): projects on disk, an sdist whose build backend sleeps."""

from __future__ import annotations

import io
import tarfile
import textwrap
import time
from pathlib import Path

SLOW_BACKEND = textwrap.dedent('''
    """A PEP 517 backend that records its pid, then sleeps: installs of this sdist can be cancelled."""
    import os
    import time

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        with open(os.environ.get("SLOW_PIDFILE", PIDFILE), "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(SECONDS)
        raise RuntimeError("the slow backend never builds")
''')


def slow_sdist(wheelhouse: Path, name: str, pidfile: Path, seconds: int = 120, version: str = "1.0") -> Path:
    """``name-version.tar.gz`` in ``wheelhouse``; building it writes the backend's pid to ``pidfile`` and
    sleeps ``seconds`` (then fails)."""
    base = f"{name}-{version}"
    backend = SLOW_BACKEND.replace("PIDFILE", repr(str(pidfile))).replace("SECONDS", str(seconds))
    files = {
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{base}/pyproject.toml": ('[build-system]\nrequires = []\nbuild-backend = "slow_backend"\n'
                                   'backend-path = ["."]\n\n'
                                   f'[project]\nname = "{name}"\nversion = "{version}"\n'),
        f"{base}/slow_backend.py": backend,
    }
    path = wheelhouse / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return path


def write_files(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def pid_alive(pid: int, grace: float = 5.0) -> bool:
    """Whether ``pid`` still runs ``grace`` seconds from now (a killed process takes a moment to go)."""
    deadline = time.monotonic() + grace
    while _running(pid):
        if time.monotonic() > deadline:
            return True
        time.sleep(0.05)
    return False


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False
