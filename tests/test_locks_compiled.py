"""A requirements file compiled by ``uv pip compile`` / ``pip-compile`` is a lock too (issue "Lock files"): VS402
names what ``uv pip sync`` would change in the venv, VS403 what it would remove (never pip and its installers, which
pip-sync keeps), VS401 what compiling the ``.in`` again would change; ``venvsense sync`` installs the pins exactly.
Real files made by the real uv offline from local wheels, a real venv; skips without uv."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.projects import findings, write
from support.wheels import build_wheel, uv_executable

pytestmark = pytest.mark.skipif(uv_executable() is None, reason="uv is not installed")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compiled-wheels")
    build_wheel(folder, "alpha", "1.0")
    build_wheel(folder, "alpha", "2.0")
    build_wheel(folder, "beta", "1.0", requires=["gamma>=1"])
    build_wheel(folder, "gamma", "1.0")
    build_wheel(folder, "stray", "1.0")
    return folder


def _uv(cwd: Path, wheels: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    executable = uv_executable()
    assert executable is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV", "PIP_"))}
    env.update({"UV_OFFLINE": "1", "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1",
                "UV_CACHE_DIR": str(cwd.parent / "uv-cache")})
    index = ["--no-index", "--find-links", str(wheels)] if wheels is not None else []
    return subprocess.run([str(executable), *args, *index], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def _project(tmp_path: Path, wheels: Path, source: str = "alpha==1.0\nbeta\n") -> Path:
    root = write(tmp_path / "app", {"requirements.in": source, "app.py": "import alpha\nimport beta\n"})
    compiled = _uv(root, wheels, "pip", "compile", "requirements.in", "-o", "requirements.txt")
    assert compiled.returncode == 0, compiled.stderr
    subprocess.run([sys.executable, "-m", "venv", str(root / ".venv")], check=True)  # with pip, as people make it
    synced = _uv(root, wheels, "pip", "sync", "--python", str(root / ".venv" / "bin" / "python"), "requirements.txt")
    assert synced.returncode == 0, synced.stderr
    return root


def _would_change(root: Path, wheels: Path) -> tuple[set[str], set[str]]:
    """What ``uv pip sync --dry-run`` would install (+) and remove (-), by name (pip-sync keeps pip)."""
    result = _uv(root, wheels, "pip", "sync", "--dry-run", "--python", str(root / ".venv" / "bin" / "python"),
                 "requirements.txt")
    added = {m.group(1).lower() for m in re.finditer(r"^ \+ ([A-Za-z0-9._-]+)", result.stdout + result.stderr, re.M)}
    removed = {m.group(1).lower() for m in re.finditer(r"^ - ([A-Za-z0-9._-]+)", result.stdout + result.stderr, re.M)}
    return added, removed - added - {"pip", "setuptools", "wheel"}


def _codes(root: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in findings(root):
        found.setdefault(str(finding["code"]), set()).add(str(finding.get("package") or ""))
    return found


def _install(root: Path, wheels: Path, *requirements: str) -> None:
    result = _uv(root, wheels, "pip", "install", "--python", str(root / ".venv" / "bin" / "python"), "--no-deps",
                 *requirements)
    assert result.returncode == 0, result.stderr


def test_a_synced_compiled_file_is_a_lock_with_nothing_to_say(tmp_path: Path, wheels: Path) -> None:
    root = _project(tmp_path, wheels)
    assert "uv pip compile" in (root / "requirements.txt").read_text()
    codes = _codes(root)
    assert not {"VS401", "VS402", "VS403"} & set(codes), codes  # pip, setuptools: pip-sync keeps them
    assert _would_change(root, wheels) == (set(), set())


@pytest.mark.parametrize("change", ["upgrade", "uninstall", "stray"])
def test_vs402_and_vs403_say_what_uv_pip_sync_would_change(tmp_path: Path, wheels: Path, change: str) -> None:
    root = _project(tmp_path, wheels)
    if change == "upgrade":
        _install(root, wheels, "alpha==2.0")
    elif change == "uninstall":
        result = _uv(root, None, "pip", "uninstall", "--python", str(root / ".venv" / "bin" / "python"), "gamma")
        assert result.returncode == 0, result.stderr
    else:
        _install(root, wheels, "stray==1.0")
    added, removed = _would_change(root, wheels)
    codes = _codes(root)
    assert codes.get("VS402", set()) == added and added | removed
    assert codes.get("VS403", set()) == removed
    assert "VS201" not in codes and "VS202" not in codes  # what VS402 says is said once


def test_vs401_when_the_in_file_changed_since_it_was_compiled(tmp_path: Path, wheels: Path) -> None:
    root = _project(tmp_path, wheels)
    (root / "requirements.in").write_text("alpha>=2\ngamma\n")  # raised, added; beta dropped
    stale = [f for f in findings(root) if f["code"] == "VS401"]
    messages = " | ".join(str(f["message"]) for f in stale)
    assert "asks for 'alpha>=2'" in messages and "pins alpha 1.0" in messages
    assert "it pins beta for requirements.in, which no longer asks for it" in messages
    assert all(f["code"] != "VS401" or "gamma" not in str(f["message"]) for f in stale)  # gamma is pinned (via beta)
    (root / "requirements.in").write_text("alpha==1.0\nbeta\n")
    assert "VS401" not in _codes(root)
    recompiled = _uv(root, wheels, "pip", "compile", "requirements.in", "-o", "requirements.txt")
    assert recompiled.returncode == 0


def test_venvsense_sync_installs_the_pins_and_keeps_pip(tmp_path: Path, wheels: Path) -> None:
    root = _project(tmp_path, wheels)
    _install(root, wheels, "alpha==2.0", "stray==1.0")
    assert _codes(root).get("VS402") == {"alpha"} and _codes(root).get("VS403") == {"stray"}
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    environ.update({"VENVSENSE_CACHE_DIR": "", "UV_OFFLINE": "1", "UV_NO_CONFIG": "1",
                    "UV_CACHE_DIR": str(tmp_path / "uv-cache")})
    result = subprocess.run([sys.executable, "-m", "venvsense", "sync", str(root), "--find-links", str(wheels),
                             "--no-index"], capture_output=True, text=True, env=environ, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    codes = _codes(root)
    assert not {"VS402", "VS403"} & set(codes), codes
    site = next((root / ".venv").glob("lib/python3*/site-packages"))
    assert any(site.glob("pip-*.dist-info"))
