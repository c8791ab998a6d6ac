"""The lock file's actions end to end: real uv projects locked offline from wheels the tests build
(``uv lock --offline --find-links``), real venvs, ``uv sync --frozen`` and the exact pins with pip; the lock
update with ``uv lock``, its failure and its cancellation leaving the lock as it was; the refusals."""

from __future__ import annotations

import io
import os
import tarfile
import threading
import time
from pathlib import Path

import pytest

from support.wheels import build_wheel, make_venv, pip_install, uv
from test_actions_support import SLOW_BACKEND, pid_alive, write_files
from venvsense.actions import ActionError, ActionRefused, Options, ProgressEvent, execute
from venvsense.actions.sync import plan_sync, plan_update_lock
from venvsense.check import ProjectReport, check_project
from venvsense.environment import clear_cache, read_environment, read_installed
from venvsense.model import project_at

pytestmark = pytest.mark.slow
SEED = {"pip", "setuptools", "wheel"}


@pytest.fixture
def wheels(wheelhouse: Path) -> Path:
    build_wheel(wheelhouse, "alpha", "1.0")
    build_wheel(wheelhouse, "alpha", "2.0")
    build_wheel(wheelhouse, "beta", "1.0")
    build_wheel(wheelhouse, "gamma", "1.0", requires=["beta>=1"])
    build_wheel(wheelhouse, "stray", "1.0")
    return wheelhouse


def offline_environ(wheels: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update({"UV_OFFLINE": "1", "UV_NO_CONFIG": "1", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
                "PIP_CONFIG_FILE": os.devnull})
    return env


def pyproject(dependencies: list[str]) -> str:
    listed = ", ".join(f'"{d}"' for d in dependencies)
    return f'[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.10"\ndependencies = [{listed}]\n'


def uv_project(root: Path, wheels: Path, dependencies: list[str] | None = None) -> Path:
    """A uv project (no build system: uv's virtual project) locked offline, with an empty ``.venv``."""
    write_files(root, {"pyproject.toml": pyproject(dependencies or ["alpha==1.0", "gamma"])})
    uv("lock", "--offline", "--find-links", str(wheels), cwd=root)
    make_venv(root / ".venv")
    return root


def dynamic_slow_sdist(wheelhouse: Path, name: str, pidfile: Path) -> Path:
    """An sdist whose dependencies are dynamic, so a resolver must run its build backend, which writes its pid
    to ``pidfile`` and hangs (``test_actions_support.SLOW_BACKEND``)."""
    base = f"{name}-1.0"
    files = {
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{base}/pyproject.toml": ('[build-system]\nrequires = []\nbuild-backend = "slow_backend"\n'
                                   'backend-path = ["."]\n\n'
                                   f'[project]\nname = "{name}"\nversion = "1.0"\ndynamic = ["dependencies"]\n'),
        f"{base}/slow_backend.py": SLOW_BACKEND.replace("PIDFILE", repr(str(pidfile))).replace("SECONDS", "120"),
    }
    path = wheelhouse / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def installed(venv: Path) -> dict[str, str]:
    clear_cache()
    found = read_installed(read_environment(venv, "configured")).distributions
    return {n: d.version for n, d in found.items() if n not in SEED}


def report_of(root: Path) -> ProjectReport:
    clear_cache()
    return check_project(project_at(root))


def test_sync_makes_the_venv_hold_exactly_what_uv_lock_selects(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    venv = root / ".venv"
    pip_install(venv, "alpha==2.0", "stray", find_links=wheels)  # drifted: another alpha, beta/gamma missing, a stray
    plan = plan_sync(report_of(root), Options(find_links=(str(wheels),)))
    assert plan.action == "sync" and plan.venv == venv and plan.lock == root / "uv.lock"
    (step,) = plan.steps
    assert step.argv[1:3] == ("sync", "--frozen")
    assert dict(step.environ) == {"UV_PROJECT_ENVIRONMENT": str(venv)}
    assert plan.requirements == ("alpha==1.0", "beta==1.0", "gamma==1.0")
    text = plan.describe()
    assert f"UV_PROJECT_ENVIRONMENT={venv}" in text and "uv sync --frozen" in text
    assert plan.index_to_confirm == ()  # the lock's registry is the folder the person named
    before = (root / "uv.lock").read_bytes()
    events: list[ProgressEvent] = []
    outcome = execute(plan, progress=events.append, environ=offline_environ(wheels))
    assert outcome.ok, (outcome.message, outcome.output)
    assert installed(venv) == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}  # the stray one removed
    assert set(outcome.installed) == {"alpha 1.0", "beta 1.0", "gamma 1.0"} and outcome.missing == ()
    assert (root / "uv.lock").read_bytes() == before  # --frozen: the lock is never rewritten by a sync
    assert outcome.message.startswith("synced .venv with uv.lock")
    assert any(e.message == "installed alpha 1.0" for e in events)


def test_the_exact_pins_with_pip_install_the_selection_and_remove_the_rest(tmp_path: Path, wheels: Path,
                                                                          uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    venv = root / ".venv"
    pip_install(venv, "alpha==2.0", "stray", find_links=wheels)
    plan = plan_sync(report_of(root), Options(installer="pip", find_links=(str(wheels),), no_index=True))
    install, uninstall = plan.steps
    assert "--no-deps" in install.argv and {"alpha==1.0", "beta==1.0", "gamma==1.0"} <= set(install.argv)
    assert uninstall.argv[-1] == "stray" and "uninstall" in uninstall.argv
    assert any("--installer pip was asked for" in note for note in plan.notes)
    outcome = execute(plan, environ=offline_environ(wheels))
    assert outcome.ok, (outcome.message, outcome.output)
    assert installed(venv) == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}


def test_a_venv_in_sync_has_nothing_to_uninstall(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    pip_install(root / ".venv", "alpha==1.0", "beta==1.0", "gamma==1.0", find_links=wheels)
    plan = plan_sync(report_of(root), Options(installer="pip", find_links=(str(wheels),), no_index=True))
    assert [s for s in plan.steps if "uninstall" in s.argv] == []


def test_the_lock_s_own_index_needs_consent(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    (setting,) = plan_sync(report_of(root)).index_to_confirm
    assert setting.value == str(wheels) and setting.option == "--find-links"
    assert setting.origin.startswith("uv.lock line ")


def test_sync_refuses_without_a_lock_without_a_venv_and_in_an_untrusted_workspace(tmp_path: Path, wheels: Path,
                                                                                   uv_path: Path) -> None:
    bare = write_files(tmp_path / "bare", {"pyproject.toml": pyproject(["alpha"])})
    make_venv(bare / ".venv")
    with pytest.raises(ActionError, match="has no lock file"):
        plan_sync(report_of(bare))
    root = uv_project(tmp_path / "proj", wheels)
    plan = plan_sync(report_of(root), Options(find_links=(str(wheels),)))
    with pytest.raises(ActionRefused, match="not trusted"):
        execute(plan, trusted=False, environ=offline_environ(wheels))
    assert installed(root / ".venv") == {}
    (root / ".venv").rename(tmp_path / "elsewhere")
    with pytest.raises(ActionError, match="create one first"):  # only uv builds a venv from uv.lock
        plan_sync(report_of(root), Options(installer="pip"))


def test_without_a_venv_uv_lock_builds_one_beside_and_moves_it_into_place(tmp_path: Path, wheels: Path,
                                                                          uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    (root / ".venv").rename(tmp_path / "elsewhere")
    plan = plan_sync(report_of(root), Options(find_links=(str(wheels),)))
    assert plan.action == "create" and plan.build_at == root / ".venv.venvsense-new"
    (step,) = plan.steps
    assert step.argv[1:3] == ("sync", "--frozen") and "--python" in step.argv
    assert dict(step.environ) == {"UV_PROJECT_ENVIRONMENT": str(plan.build_at)}
    assert "rename .venv.venvsense-new to .venv (only once it is complete)" in plan.describe()
    outcome = execute(plan, environ=offline_environ(wheels))
    assert outcome.ok, (outcome.message, outcome.output)
    assert not plan.build_at.exists()
    assert installed(root / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    assert [f.code for f in report_of(root).findings] == []


def test_update_lock_runs_uv_lock_and_the_next_sync_installs_from_it(tmp_path: Path, wheels: Path,
                                                                     uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    (root / "pyproject.toml").write_text(pyproject(["alpha==2.0"]), encoding="utf-8")
    options = Options(find_links=(str(wheels),))
    plan = plan_update_lock(report_of(root), options)
    assert plan.action == "lock" and plan.steps[0].argv[1] == "lock" and plan.steps[0].phase == "lock"
    outcome = execute(plan, environ=offline_environ(wheels))
    assert outcome.ok, (outcome.message, outcome.output)
    assert outcome.message.startswith("updated uv.lock")
    lock = (root / "uv.lock").read_text()
    assert 'version = "2.0"' in lock and "gamma" not in lock
    assert installed(root / ".venv") == {}  # updating the lock installs nothing
    assert execute(plan_sync(report_of(root), options), environ=offline_environ(wheels)).ok
    assert installed(root / ".venv") == {"alpha": "2.0"}


def test_a_failed_lock_update_leaves_the_lock_as_it_was(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    before = (root / "uv.lock").read_bytes()
    (root / "pyproject.toml").write_text(pyproject(["alpha", "no-such-package"]), encoding="utf-8")
    outcome = execute(plan_update_lock(report_of(root), Options(find_links=(str(wheels),))),
                      environ=offline_environ(wheels))
    assert outcome.status == "failed"
    assert "uv.lock is as it was" in outcome.message
    assert (root / "uv.lock").read_bytes() == before


def test_a_cancelled_lock_update_stops_the_tool_and_leaves_the_lock_as_it_was(tmp_path: Path, wheels: Path,
                                                                               uv_path: Path) -> None:
    pidfile = tmp_path / "backend.pid"
    root = uv_project(tmp_path / "proj", wheels)
    before = (root / "uv.lock").read_bytes()
    dynamic_slow_sdist(wheels, "sleepy", pidfile)  # uv lock builds it for its metadata: a build that hangs
    (root / "pyproject.toml").write_text(pyproject(["alpha==1.0", "sleepy"]), encoding="utf-8")
    cancel = threading.Event()

    def watch() -> None:  # cancel once the build backend runs (it prints nothing to wait on)
        deadline = time.monotonic() + 60
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        cancel.set()

    threading.Thread(target=watch, daemon=True).start()
    outcome = execute(plan_update_lock(report_of(root), Options(find_links=(str(wheels),))), cancel=cancel,
                      environ=offline_environ(wheels))
    assert outcome.status == "cancelled"
    assert pidfile.exists() and not pid_alive(int(pidfile.read_text()))
    assert (root / "uv.lock").read_bytes() == before


def test_pylock_toml_is_synced_with_uv_pip_sync(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    uv("export", "--offline", "--format", "pylock.toml", "--output-file", "pylock.toml", cwd=root)
    (root / "uv.lock").unlink()
    pip_install(root / ".venv", "stray", find_links=wheels)
    plan = plan_sync(report_of(root), Options(find_links=(str(wheels),)))
    (step,) = plan.steps
    assert step.argv[1:3] == ("pip", "sync") and step.argv[-1] == str(root / "pylock.toml")
    outcome = execute(plan, environ=offline_environ(wheels))
    assert outcome.ok, (outcome.message, outcome.output)
    assert installed(root / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0"}
    with pytest.raises(ActionError, match="names no tool"):
        plan_update_lock(report_of(root))


def test_the_extras_and_groups_the_settings_add_are_synced_too(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    """``lock-extras``/``lock-groups`` make the check compare more of the lock; the sync installs that much."""
    root = write_files(tmp_path / "proj", {"pyproject.toml": pyproject(["alpha==1.0"])
                                           + '[project.optional-dependencies]\nfast = ["gamma"]\n'
                                           + '[dependency-groups]\nlint = ["stray"]\n'
                                           + '[tool.venvsense]\nlock-extras = ["fast"]\nlock-groups = ["lint"]\n'})
    uv("lock", "--offline", "--find-links", str(wheels), cwd=root)
    make_venv(root / ".venv")
    assert {f.package for f in report_of(root).findings if f.code == "VS402"} == {"alpha", "beta", "gamma", "stray"}
    plan = plan_sync(report_of(root), Options(find_links=(str(wheels),)))
    assert {"--extra=fast", "--group=lint"} <= set(plan.steps[0].argv)
    outcome = execute(plan, environ=offline_environ(wheels))
    assert outcome.ok, (outcome.message, outcome.output)
    assert installed(root / ".venv") == {"alpha": "1.0", "beta": "1.0", "gamma": "1.0", "stray": "1.0"}
    assert [f.code for f in report_of(root).findings] == []
    pins = plan_sync(report_of(root), Options(installer="pip", find_links=(str(wheels),), no_index=True))
    assert pins.steps == () and any("already holds exactly" in note for note in pins.notes)
