"""Actions end to end: real venvs, real installs from a wheelhouse the tests build (``--no-index
--find-links``, no network), with uv and with pip; cancellation, failures, recreate, the lock."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.wheels import build_wheel, make_project, make_venv, pip_install
from test_actions_support import pid_alive, slow_sdist, write_files
from venvsense.actions import (
    LockBusy,
    Options,
    ProgressEvent,
    execute,
    plan_create,
    plan_fix,
    plan_install,
)
from venvsense.actions.interpreters import find_uv
from venvsense.actions.run import run_command
from venvsense.actions.safety import venv_lock
from venvsense.check import check_project
from venvsense.edits import apply_edits
from venvsense.environment import clear_cache, read_environment, read_installed
from venvsense.fixes import version_edits
from venvsense.model import project_at

pytestmark = pytest.mark.slow
SEED = {"pip", "setuptools", "wheel"}  # what `python -m venv` puts in a venv by itself

BACKENDS = ["pip", pytest.param("uv", marks=pytest.mark.skipif(find_uv() is None, reason="uv not installed"))]


@pytest.fixture
def wheels(wheelhouse: Path) -> Path:
    build_wheel(wheelhouse, "alpha", "1.0", requires=["beta>=1"])
    build_wheel(wheelhouse, "alpha", "2.0", requires=["beta>=1"])
    build_wheel(wheelhouse, "beta", "1.0")
    build_wheel(wheelhouse, "gamma", "1.0", extras={"fast": ["delta"]})
    build_wheel(wheelhouse, "delta", "3.0")
    return wheelhouse


def offline(wheels: Path, installer: str, **more: object) -> Options:
    return Options(installer=installer, find_links=(str(wheels),), no_index=True, **more)  # type: ignore[arg-type]


def installed(venv: Path) -> dict[str, str]:
    clear_cache()
    found = read_installed(read_environment(venv, "configured")).distributions
    return {n: d.version for n, d in found.items() if n not in SEED}


def codes(root: Path) -> list[str]:
    """The environment and declaration findings (not the import ones: actions do not change source)."""
    clear_cache()
    return [f.code for f in check_project(project_at(root)).findings if not f.code.startswith("VS3")]


@pytest.mark.parametrize("installer", BACKENDS)
def test_create_from_requirements_installs_what_is_declared(tmp_path: Path, wheels: Path, installer: str) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha==1.0\ngamma[fast]\n"})
    events: list[ProgressEvent] = []
    plan = plan_create(check_project(project_at(root)), offline(wheels, installer))
    outcome = execute(plan, progress=events.append)
    assert outcome.ok, outcome.message + "\n".join(outcome.output)
    assert (root / ".venv" / "pyvenv.cfg").is_file()
    assert installed(root / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0", "delta": "3.0"}
    assert set(outcome.installed) == {"alpha 1.0", "gamma 1.0"} and outcome.missing == ()
    assert codes(root) == []
    assert {e.phase for e in events} >= {"venv", "install", "check"}
    percents = [e.percent for e in events if e.percent is not None]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert any(e.phase == "install" and e.message.startswith(("installed", "installing")) for e in events)
    assert not (root / ".venv.venvsense.lock").exists()


@pytest.mark.parametrize("installer", BACKENDS)
def test_create_from_pyproject_installs_the_project_editable(tmp_path: Path, wheels: Path, installer: str) -> None:
    root = make_project(tmp_path / "proj", "demo", "0.1", requires=["alpha>=2"])
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'dependencies = ["alpha>=2"]\n')
    outcome = execute(plan_create(check_project(project_at(root)), offline(wheels, installer)))
    assert outcome.ok, outcome.message + "\n".join(outcome.output)
    assert installed(root / ".venv") == {"demo": "0.1", "alpha": "2.0", "beta": "1.0"}
    assert "demo 0.1" in outcome.installed


def test_python_is_taken_from_python_version_via_pyenv(tmp_path: Path, wheels: Path, pyenv_python) -> None:
    python = pyenv_python("3.12")
    root = write_files(tmp_path / "proj", {"requirements.txt": "beta\n", ".python-version": "3.12\n"})
    plan = plan_create(check_project(project_at(root)), offline(wheels, "uv" if find_uv() else "pip"))
    assert plan.interpreter is not None and plan.interpreter.version is not None
    assert plan.interpreter.version.startswith("3.12.") and ".python-version" in plan.interpreter.reason
    assert plan.interpreter.path.parent == python.parent
    outcome = execute(plan)
    assert outcome.ok, outcome.message
    assert read_environment(root / ".venv", "in-project").python == plan.interpreter.version
    assert codes(root) == []


@pytest.mark.parametrize("installer", BACKENDS)
def test_failed_create_removes_what_it_created(tmp_path: Path, wheels: Path, installer: str) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\nno-such-package==9\n"})
    outcome = execute(plan_create(check_project(project_at(root)), offline(wheels, installer)))
    assert outcome.status == "failed"
    assert "does not exist in the package index" in outcome.message and ".venv was removed" in outcome.message
    assert any("no-such-package" in line or "no_such_package" in line for line in outcome.output)
    assert not (root / ".venv").exists()


@pytest.mark.parametrize("installer", BACKENDS)
def test_install_missing_clears_not_installed(tmp_path: Path, wheels: Path, installer: str) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha==1.0\ndelta\n"})
    make_venv(root / ".venv")
    assert codes(root) == ["VS201", "VS201"]
    plan = plan_install(check_project(project_at(root)), offline(wheels, installer))
    assert plan.requirements == ("alpha==1.0", "delta") and len(plan.steps) == 1
    outcome = execute(plan)
    assert outcome.ok, outcome.message
    assert codes(root) == []
    assert set(outcome.installed) == {"alpha 1.0", "delta 3.0"}


@pytest.mark.parametrize("installer", BACKENDS)
def test_fix_brings_a_mismatched_version_in_line(tmp_path: Path, wheels: Path, installer: str) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha>=2\n", "constraints.txt": "beta==1.0\n"})
    (root / "requirements.txt").write_text("-c constraints.txt\nalpha>=2\n")
    make_venv(root / ".venv")
    pip_install(root / ".venv", "alpha==1.0", find_links=wheels)
    assert codes(root) == ["VS202"]
    plan = plan_fix(check_project(project_at(root)), offline(wheels, installer))
    assert plan is not None and plan.action == "install"
    assert ("-c", str(root / "constraints.txt")) == plan.steps[0].argv[-2:]
    outcome = execute(plan)
    assert outcome.ok, outcome.message
    assert installed(root / ".venv")["alpha"] == "2.0"
    assert codes(root) == []


def test_version_edit_accepts_the_installed_version_instead(tmp_path: Path, wheels: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha[x] >=2,<3 ; python_version > '3'  # pin\n"})
    make_venv(root / ".venv")
    pip_install(root / ".venv", "alpha==1.0", find_links=wheels)
    report = check_project(project_at(root))
    assert [f.code for f in report.findings if f.code.startswith("VS2")] == ["VS202"]
    edits = version_edits(report)
    assert len(edits) == 1
    assert (root / "requirements.txt").read_text().startswith("alpha[x] >=2")  # returned, not applied
    new = apply_edits((root / "requirements.txt").read_text(), edits)
    assert new == "alpha[x]==1.0 ; python_version > '3'  # pin\n"
    (root / "requirements.txt").write_text(new)
    assert "VS202" not in codes(root)


@pytest.mark.parametrize("installer", BACKENDS)
def test_recreate_keeps_the_old_venv_when_the_new_one_fails(tmp_path: Path, wheels: Path, installer: str) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "beta\nno-such-package\n"})
    make_venv(root / ".venv")
    pip_install(root / ".venv", "beta", find_links=wheels)
    marker = root / ".venv" / "user-file"
    marker.write_text("keep me")
    plan = plan_create(check_project(project_at(root)), offline(wheels, installer), recreate=True)
    outcome = execute(plan)
    assert outcome.status == "failed" and "old venv is untouched" in outcome.message
    assert marker.read_text() == "keep me" and installed(root / ".venv") == {"beta": "1.0"}
    assert not (root / ".venv.venvsense-new").exists()


@pytest.mark.parametrize("installer", BACKENDS)
def test_recreate_swaps_in_a_new_venv_for_a_broken_one(tmp_path: Path, wheels: Path, installer: str) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "beta\n"})
    make_venv(root / ".venv")
    cfg = root / ".venv" / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("home = ", "home = /gone"))  # base interpreter gone: VS104
    assert "VS104" in codes(root)
    plan = plan_fix(check_project(project_at(root)), offline(wheels, installer))
    assert plan is not None and plan.action == "recreate"
    outcome = execute(plan)
    assert outcome.ok, outcome.message
    assert codes(root) == []
    activate = (root / ".venv" / "bin" / "activate").read_text()
    assert ".venvsense-new" not in activate and str(root / ".venv") in activate
    assert not (root / ".venv.venvsense-new").exists() and not (root / ".venv.venvsense-old").exists()


@pytest.mark.parametrize("installer", BACKENDS)
def test_failed_install_reports_what_did_and_did_not_get_installed(tmp_path: Path, wheels: Path,
                                                                   installer: str) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "beta\nno-such-package\n"})
    make_venv(root / ".venv")
    pip_install(root / ".venv", "beta", find_links=wheels)
    outcome = execute(plan_install(check_project(project_at(root)), offline(wheels, installer)))
    assert outcome.status == "failed"
    assert outcome.missing == ("no-such-package",) and outcome.installed == ()
    assert "does not exist in the package index" in outcome.message
    assert "not installed: no-such-package" in outcome.message
    assert installed(root / ".venv") == {"beta": "1.0"}  # left as the installer left it


@pytest.mark.parametrize("installer", BACKENDS)
def test_cancel_mid_install_kills_the_build_and_says_what_is_installed(tmp_path: Path, wheels: Path,
                                                                       installer: str) -> None:
    pidfile = tmp_path / "backend.pid"
    slow_sdist(wheels, "sleepy", pidfile)
    root = write_files(tmp_path / "proj", {"requirements.txt": "alpha\ndelta\nsleepy\n"})
    make_venv(root / ".venv")
    cancel = threading.Event()

    def progress(event: ProgressEvent) -> None:
        if event.phase == "install" and pidfile.exists():
            cancel.set()

    def watch() -> None:  # the build backend does not print: cancel once it is running
        deadline = time.monotonic() + 60
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        cancel.set()

    threading.Thread(target=watch, daemon=True).start()
    started = time.monotonic()
    outcome = execute(plan_install(check_project(project_at(root)), offline(wheels, installer)),
                      progress=progress, cancel=cancel)
    assert outcome.status == "cancelled"
    assert time.monotonic() - started < 60
    assert not pid_alive(int(pidfile.read_text()))  # the whole process group is gone
    now = installed(root / ".venv")
    assert "sleepy" not in now and "sleepy" in outcome.missing
    assert set(outcome.installed) == {f"{n} {v}" for n, v in now.items() if n in ("alpha", "delta")}
    assert "installed now:" in outcome.message and "not installed:" in outcome.message


@pytest.mark.parametrize("installer", BACKENDS)
def test_cancelled_create_removes_the_venv(tmp_path: Path, wheels: Path, installer: str) -> None:
    pidfile = tmp_path / "backend.pid"
    slow_sdist(wheels, "sleepy", pidfile)
    root = write_files(tmp_path / "proj", {"requirements.txt": "sleepy\n"})
    cancel = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        cancel.set()

    threading.Thread(target=watch, daemon=True).start()
    outcome = execute(plan_create(check_project(project_at(root)), offline(wheels, installer)), cancel=cancel)
    assert outcome.status == "cancelled"
    assert not (root / ".venv").exists()
    assert not pid_alive(int(pidfile.read_text()))


def test_two_runs_on_one_venv_do_not_collide(tmp_path: Path, wheels: Path) -> None:
    root = write_files(tmp_path / "proj", {"requirements.txt": "beta\n"})
    make_venv(root / ".venv")
    plan = plan_install(check_project(project_at(root)), offline(wheels, "pip"))
    with venv_lock(root / ".venv"), pytest.raises(LockBusy, match="another venvsense run is changing"):
        execute(plan)
    assert execute(plan).ok  # released: the next run goes ahead


def test_run_command_streams_lines_and_kills_the_process_group(tmp_path: Path) -> None:
    child = tmp_path / "child.pid"
    script = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', 'import time; "
              f"time.sleep(60)']); open({str(child)!r}, 'w').write(str(p.pid)); print('started', flush=True); "
              "time.sleep(60)")
    cancel = threading.Event()
    seen: list[str] = []

    def on_line(line: str) -> None:
        seen.append(line)
        cancel.set()

    result = run_command([sys.executable, "-c", script], on_line=on_line, cancel=cancel)
    assert result.cancelled and seen == ["started"]
    assert not pid_alive(int(child.read_text()))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system (tmpfs), for a real "no space left on device"; skipped where mounting is not
    allowed (not root, or a container without CAP_SYS_ADMIN)."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here ({mounted.stderr.strip() if mounted else 'no mount'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], capture_output=True, check=False)


@pytest.mark.parametrize("installer", BACKENDS)
def test_install_onto_a_full_disk_says_the_disk_is_full(small_disk: Path, wheelhouse: Path, installer: str) -> None:
    # 3 MB of incompressible data: more than the whole 1 MiB disk the venv is on
    build_wheel(wheelhouse, "bulky", "1.0", files={"bulky/blob.bin": os.urandom(3 * 1024 * 1024)})
    root = write_files(small_disk / "proj", {"requirements.txt": "bulky\n"})
    make_venv(root / ".venv")
    outcome = execute(plan_install(check_project(project_at(root)), offline(wheelhouse, installer)))
    assert outcome.status == "failed", outcome
    assert "the disk is full" in outcome.message, outcome.message
    assert outcome.missing == ("bulky",)
    assert (root / "requirements.txt").read_text() == "bulky\n"  # the user's files are untouched
    assert "bulky" not in installed(root / ".venv")
