"""``venvsense create`` and ``venvsense fix`` as a person runs them: a real process, its output and exit code,
Ctrl-C (SIGINT) in the middle of an install."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from support.permissions import as_ordinary_user
from support.projects import findings
from support.wheels import build_wheel, make_project, make_venv
from test_actions_support import pid_alive, slow_sdist, write_files

pytestmark = pytest.mark.slow
SERVER = Path(__file__).resolve().parents[1] / "server"


def venvsense(*args: str, cwd: Path, prefix: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SERVER)}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([*prefix, sys.executable, "-m", "venvsense", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300, check=False)


@pytest.fixture
def wheels(wheelhouse: Path) -> Path:
    build_wheel(wheelhouse, "alpha", "1.0")
    build_wheel(wheelhouse, "beta", "2.0")
    return wheelhouse


def test_create_prints_plan_progress_and_the_check_verdict(tmp_path: Path, wheels: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\nbeta>=2\n"})
    result = venvsense("create", str(root), "--installer", "pip", "--no-index", "--find-links", str(wheels),
                       cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Plan: create" in result.stdout and "Installer: pip" in result.stdout
    assert "Created .venv with Python" in result.stdout
    assert "venvsense check: proj:" in result.stdout and "VS2" not in result.stdout
    assert "install:" in result.stderr  # progress lines
    assert (root / ".venv" / "pyvenv.cfg").is_file()


def test_create_refuses_an_existing_venv(tmp_path: Path, wheels: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\n"})
    make_venv(root / ".venv")
    result = venvsense("create", str(root), cwd=tmp_path)
    assert result.returncode == 3 and "already exists" in result.stderr and "--recreate" in result.stderr


def test_create_with_a_missing_pyenv_version_fails_clearly(tmp_path: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\n", ".python-version": "3.4.99\n"})
    result = venvsense("create", str(root), cwd=tmp_path)
    assert result.returncode == 3
    assert "3.4.99" in result.stderr and "pyenv install" in result.stderr
    assert not (root / ".venv").exists()


def test_create_in_a_read_only_folder_fails_clearly(tmp_path: Path) -> None:
    prefix = as_ordinary_user()
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\n"})
    root.chmod(0o555)
    try:
        result = venvsense("create", str(root), "--installer", "pip", cwd=tmp_path, prefix=prefix)
    finally:
        root.chmod(0o755)
    assert result.returncode == 3 and "no write permission" in result.stderr, result.stdout + result.stderr
    assert sorted(path.name for path in root.iterdir()) == ["requirements.txt"]  # nothing left behind


def test_fix_dry_run_prints_the_plan_and_changes_nothing(tmp_path: Path, wheels: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "--find-links /srv/wheels\nalpha\n"})
    make_venv(root / ".venv")
    result = venvsense("fix", str(root), "--dry-run", "--installer", "pip", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Plan: install into" in result.stdout and "Index options in force" in result.stdout
    assert "--find-links=/srv/wheels" in result.stdout and "alpha" in result.stdout
    assert not any((root / ".venv").glob("lib/python*/site-packages/alpha*"))


def test_fix_installs_then_reports_the_verdict(tmp_path: Path, wheels: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\n"})
    make_venv(root / ".venv")
    result = venvsense("fix", str(root), "--installer", "pip", "--no-index", "--find-links", str(wheels),
                       cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "installed alpha 1.0" in result.stdout and "VS201" not in result.stdout


def test_fix_with_a_nonexistent_package_exits_3_and_says_why(tmp_path: Path, wheels: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\nno-such-package\n"})
    make_venv(root / ".venv")
    result = venvsense("fix", str(root), "--installer", "pip", "--no-index", "--find-links", str(wheels),
                       cwd=tmp_path)
    assert result.returncode == 3
    assert "does not exist in the package index" in result.stderr
    assert "not installed: alpha, no-such-package" in result.stderr


def test_ctrl_c_during_create_exits_130_and_removes_the_venv(tmp_path: Path, wheels: Path) -> None:
    pidfile = tmp_path / "backend.pid"
    slow_sdist(wheels, "sleepy", pidfile)
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\nsleepy\n"})
    env = {**os.environ, "PYTHONPATH": str(SERVER)}
    process = subprocess.Popen(
        [sys.executable, "-m", "venvsense", "create", str(root), "--installer", "pip", "--no-index",
         "--find-links", str(wheels)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 120
    while not pidfile.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert pidfile.exists(), process.communicate()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout + stderr
    assert "cancelled" in stderr
    assert not (root / ".venv").exists()
    assert not pid_alive(int(pidfile.read_text()))


def test_an_unreachable_index_is_named_as_the_cause_and_the_new_venv_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a closed port on this machine: refused at once, no traffic leaves it
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha==1.0\n-i http://127.0.0.1:9/simple\n"})
    monkeypatch.setenv("PIP_RETRIES", "1")  # one retry: pip only says why (connection refused) when it retries
    refused = venvsense("create", str(root), "--installer", "pip", cwd=tmp_path)
    assert refused.returncode == 3  # an index chosen by the project's file needs the person's explicit consent
    assert "--index-url http://127.0.0.1:9/simple  (requirements.txt line 2)" in refused.stdout
    assert "run again with --allow-index-url" in refused.stderr and "venv:" not in refused.stderr
    assert not (root / ".venv").exists() and not (root / ".venv.venvsense-new").exists()
    result = venvsense("create", str(root), "--installer", "pip", "--allow-index-url", cwd=tmp_path)
    assert result.returncode == 3
    assert "the package index cannot be reached" in result.stderr
    assert "--index-url http://127.0.0.1:9/simple  (requirements.txt line 2)" in result.stdout
    assert not (root / ".venv").exists()


def test_create_then_check_on_a_healthy_project_with_a_test_group_shows_no_error(tmp_path: Path,
                                                                                   wheelhouse: Path) -> None:
    """Issue 11: a user's first run does not end in red. The test group (PEP 735) is installed by default, so
    the test suite's imports of it are satisfied."""
    build_wheel(wheelhouse, "alpha", "1.0")
    build_wheel(wheelhouse, "checker", "2.0")
    build_wheel(wheelhouse, "linter", "1.0")
    root = make_project(tmp_path / "proj", "app", "1.0", requires=["alpha"])  # an in-tree backend: offline
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + (
        'requires-python = ">=3.9"\ndependencies = ["alpha"]\n\n'
        '[dependency-groups]\ntest = ["checker>=2"]\nlint = ["linter"]\n'))
    write_files(root, {"src/app/__init__.py": "import alpha\n", "tests/test_app.py": "import checker\n\nimport app\n"})
    result = venvsense("create", str(root), "--no-index", "--find-links", str(wheelhouse), cwd=tmp_path)
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: the lint group is not installed
    assert "group 'test' (checker>=2): a PEP 735 development group" in result.stdout
    assert "linter" not in result.stdout.split("Steps:")[1].split("Created")[0]
    found = findings(root)
    assert not [f for f in found if f["severity"] == "error"], found
    # what is left is about the group nobody installs by default, not about the code or its tests
    assert {(f["code"], f.get("package")) for f in found} <= {("VS201", "linter"), ("VS303", "linter")}, found
