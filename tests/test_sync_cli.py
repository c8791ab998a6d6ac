"""``venvsense sync [PATH] [--dry-run] [--update-lock]`` as a person runs it: a real process on a real uv
project locked offline; the plan printed, nothing run with ``--dry-run``, the verdict and the exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.wheels import build_wheel, make_venv, pip_install, uv
from test_actions_support import write_files
from test_sync_actions import installed, pyproject, uv_project

pytestmark = pytest.mark.slow


@pytest.fixture
def wheels(wheelhouse: Path) -> Path:
    build_wheel(wheelhouse, "alpha", "1.0")
    build_wheel(wheelhouse, "alpha", "2.0")
    build_wheel(wheelhouse, "beta", "1.0")
    build_wheel(wheelhouse, "gamma", "1.0", requires=["beta>=1"])
    build_wheel(wheelhouse, "stray", "1.0")
    return wheelhouse


def sync(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_", "VIRTUAL_ENV"))}
    env.update({"UV_OFFLINE": "1", "UV_NO_CONFIG": "1", "VENVSENSE_CACHE_DIR": "", "NO_COLOR": "1"})
    return subprocess.run([sys.executable, "-m", "venvsense", "sync", *map(str, args)], capture_output=True,
                          text=True, env=env, check=False, timeout=300)


def test_dry_run_prints_the_plan_and_changes_nothing(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    pip_install(root / ".venv", "stray", find_links=wheels)
    result = sync(root, "--dry-run", "--find-links", wheels)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Plan: sync {root / '.venv'}")
    assert "Installs: alpha==1.0, beta==1.0, gamma==1.0" in result.stdout
    assert f"$ UV_PROJECT_ENVIRONMENT={root / '.venv'} " in result.stdout and " sync --frozen" in result.stdout
    assert installed(root / ".venv") == {"stray": "1.0"}


def test_sync_runs_the_plan_and_prints_the_verdict(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    pip_install(root / ".venv", "alpha==2.0", "stray", find_links=wheels)
    result = sync(root, "--find-links", wheels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "synced .venv with uv.lock (3 packages)" in result.stdout
    assert result.stdout.rstrip().endswith("venvsense check: proj: no findings")
    assert "install: installed alpha 1.0" in result.stderr  # progress goes to stderr
    assert installed(root / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def test_the_lock_s_own_index_is_not_used_without_consent(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    result = sync(root)
    assert result.returncode == 3
    assert "--allow-index-url" in result.stderr and "uv.lock line" in result.stderr
    assert installed(root / ".venv") == {}
    accepted = sync(root, "--allow-index-url")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert installed(root / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def test_update_lock_then_sync(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    (root / "pyproject.toml").write_text(pyproject(["alpha==2.0"]), encoding="utf-8")
    planned = sync(root, "--update-lock", "--dry-run", "--find-links", wheels)
    assert planned.returncode == 0, planned.stderr
    assert f"Plan: update the lock of {root}" in planned.stdout and " lock --find-links=" in planned.stdout
    assert 'version = "2.0"' not in (root / "uv.lock").read_text()
    result = sync(root, "--update-lock", "--find-links", wheels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "updated uv.lock" in result.stdout
    assert installed(root / ".venv") == {"alpha": "2.0"}


def test_no_lock_exits_3_and_without_a_venv_uv_lock_makes_one(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    bare = write_files(tmp_path / "bare", {"pyproject.toml": pyproject(["alpha"])})
    result = sync(bare)
    assert result.returncode == 3 and "has no lock file" in result.stderr
    root = write_files(tmp_path / "novenv", {"pyproject.toml": pyproject(["alpha==1.0"])})
    uv("lock", "--offline", "--find-links", str(wheels), cwd=root)
    result = sync(root, "--installer", "pip")  # only uv builds a venv from uv.lock
    assert result.returncode == 3 and "create one first (venvsense create)" in result.stderr
    created = sync(root, "--find-links", wheels)
    assert created.returncode == 0, created.stdout + created.stderr
    assert f"Plan: create {root / '.venv'}" in created.stdout and "Created .venv with Python" in created.stdout
    assert installed(root / ".venv") == {"alpha": "1.0"}


def test_a_folder_of_projects_syncs_those_with_a_lock(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    uv_project(tmp_path / "ws" / "locked", wheels)
    plain = write_files(tmp_path / "ws" / "plain", {"requirements.txt": "alpha\n"})
    make_venv(plain / ".venv")
    result = sync(tmp_path / "ws", "--find-links", wheels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{plain}: no lock file, nothing to sync" in result.stdout
    assert installed(tmp_path / "ws" / "locked" / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def test_fix_on_a_drifted_venv_syncs_it_with_the_lock(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    pip_install(root / ".venv", "alpha==2.0", "stray", find_links=wheels)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_", "VIRTUAL_ENV"))}
    env.update({"UV_OFFLINE": "1", "UV_NO_CONFIG": "1", "VENVSENSE_CACHE_DIR": ""})
    result = subprocess.run([sys.executable, "-m", "venvsense", "fix", str(root), "--find-links", str(wheels)],
                            capture_output=True, text=True, env=env, check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "uv sync --frozen" in result.stdout and "synced .venv with uv.lock" in result.stdout
    assert installed(root / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
