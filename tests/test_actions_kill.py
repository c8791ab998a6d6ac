"""``kill -9`` of ``venvsense create`` in the middle of an install (issue 12, item 14): a real CLI process, a real
installer building a real sdist whose build backend blocks on a FIFO the test holds — so the kill lands while
the build is provably running, with no sleeping around a race. Afterwards no process venvsense started is
alive, no half-made ``.venv`` is left, and the next ``create`` takes the stale lock over and succeeds."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
from pathlib import Path

import pytest

from support.wheels import build_wheel
from test_actions_support import pid_alive, write_files
from venvsense.actions.interpreters import find_uv

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/stat").exists() or os.name != "posix",
                                 reason="needs /proc and POSIX signals")]
SERVER = Path(__file__).resolve().parents[1] / "server"

GATED_BACKEND = textwrap.dedent('''
    """A PEP 517 backend that blocks reading GATE (a FIFO) while it exists, else builds a real tiny wheel."""
    import base64, hashlib, os, zipfile

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        if os.path.exists(GATE):
            with open(GATE) as gate:  # blocks until the test opens the FIFO for writing, then until it closes
                gate.read()
            raise RuntimeError("the gate was closed: no build")
        files = {
            "gated/__init__.py": b"NAME = 'gated'\\n",
            "gated-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: gated\\nVersion: 1.0\\n",
            "gated-1.0.dist-info/WHEEL": (b"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\n"
                                          b"Tag: py3-none-any\\n"),
            "gated-1.0.dist-info/top_level.txt": b"gated\\n",
        }
        record = []
        for name, data in files.items():
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append("gated-1.0.dist-info/RECORD,,")
        filename = "gated-1.0-py3-none-any.whl"
        with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
            archive.writestr("gated-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
        return filename
''')


def gated_sdist(wheelhouse: Path, gate: Path) -> Path:
    base = "gated-1.0"
    files = {
        f"{base}/PKG-INFO": "Metadata-Version: 2.1\nName: gated\nVersion: 1.0\n",
        f"{base}/pyproject.toml": ('[build-system]\nrequires = []\nbuild-backend = "gated_backend"\n'
                                   'backend-path = ["."]\n\n[project]\nname = "gated"\nversion = "1.0"\n'),
        f"{base}/gated_backend.py": GATED_BACKEND.replace("GATE", repr(str(gate))),
    }
    path = wheelhouse / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return path


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` now, from /proc (children, grandchildren, …)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier} - found
        found |= children
        frontier = children
    return found


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\x00", b" ").decode(errors="replace")
    except OSError:
        return "?"


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "venvsense", *args]


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(SERVER)}
    env.pop("VIRTUAL_ENV", None)
    return env


def open_for_writing(fifo: Path, timeout: float) -> int:
    """Open the FIFO for writing: this returns once the build backend has opened it for reading."""
    opened: list[int] = []
    opener = threading.Thread(target=lambda: opened.append(os.open(fifo, os.O_WRONLY)), daemon=True)
    opener.start()
    opener.join(timeout)
    if not opened:  # release the opener (a reader of our own), then fail
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        opener.join(5)
        for fd in opened:
            os.close(fd)
        raise AssertionError("the build backend never opened the gate")
    return opened[0]


INSTALLERS = ["pip", pytest.param("uv", marks=pytest.mark.skipif(find_uv() is None, reason="uv not installed"))]


@pytest.mark.parametrize("installer", INSTALLERS)
def test_kill_9_during_create_leaves_no_installer_no_half_made_venv(tmp_path: Path, wheelhouse: Path,
                                                                    installer: str) -> None:
    build_wheel(wheelhouse, "alpha", "1.0")
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    gated_sdist(wheelhouse, gate)
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\ngated\n",
                                          "main.py": "import alpha\nimport gated\n"})
    args = ("create", str(root), "--installer", installer, "--no-index", "--find-links", str(wheelhouse))
    with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
        process = subprocess.Popen(cli(*args), cwd=tmp_path, env=environment(), stdout=out, stderr=err)
    try:
        writer = open_for_writing(gate, timeout=180)
    except AssertionError:
        process.kill()
        process.wait()
        raise AssertionError((tmp_path / "out").read_text() + (tmp_path / "err").read_text()) from None
    try:
        started = descendants(process.pid)
        lines = {pid: command_line(pid) for pid in started}
        assert any("gated_backend" in line or "build" in line or "pip" in line or "uv" in line
                   for line in lines.values()), lines
        assert (root / ".venv.venvsense-new" / "pyvenv.cfg").is_file()  # the venv is being built beside
        assert not (root / ".venv").exists()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        survivors = {pid: lines[pid] for pid in started if pid_alive(pid, grace=30)}
        assert not survivors, survivors
    finally:
        os.close(writer)
    assert not (root / ".venv").exists()  # never a half-made venv
    assert not (root / ".venv.venvsense-new").exists()  # the guard removed the unfinished one
    assert (root / ".venv.venvsense.lock").exists()  # left by the killed run (the kernel released its flock)

    gate.unlink()  # the next build goes through
    again = subprocess.run(cli(*args), cwd=tmp_path, env=environment(), capture_output=True, text=True,
                           timeout=300, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"took over the lock .venv.venvsense.lock left by process {process.pid}" in again.stderr
    assert (root / ".venv" / "pyvenv.cfg").is_file() and not (root / ".venv.venvsense-new").exists()
    check = subprocess.run(cli("check", str(root)), cwd=tmp_path, env=environment(), capture_output=True,
                           text=True, timeout=120, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
