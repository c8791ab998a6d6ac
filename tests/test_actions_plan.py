"""Action plans as data: which Python, which installer, which exact argument lists, which index options,
and what is refused before anything runs. No installs here (interpreters are only chosen, never run)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from venvsense.actions import (
    ActionError,
    ActionRefused,
    LockBusy,
    Options,
    execute,
    plan_create,
    plan_install,
)
from venvsense.actions.interpreters import choose_backend, choose_interpreter, find_uv
from venvsense.actions.run import explain_failure
from venvsense.actions.safety import child_environment, safe_requirement, venv_lock
from venvsense.check import check_project
from venvsense.config import Settings
from venvsense.model import project_at


def fake_pyenv(tmp_path: Path, *versions: str) -> dict[str, str]:
    """A PYENV_ROOT with empty ``bin/python3`` files: choosing by .python-version never runs them."""
    root = tmp_path / "pyenv"
    for version in versions:
        binary = root / "versions" / version / "bin" / "python3"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\nexit 1\n")
        binary.chmod(0o755)
    return {"PYENV_ROOT": str(root), "PATH": str(tmp_path / "empty-path"), "HOME": str(tmp_path)}


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_python_version_prefix_picks_the_newest_pyenv_patch_release(tmp_path: Path) -> None:
    env = fake_pyenv(tmp_path, "3.12.1", "3.12.10", "3.12.9", "3.11.7")
    chosen = choose_interpreter(python_version_file=["3.12"], environ=env)
    assert chosen.path == Path(env["PYENV_ROOT"], "versions", "3.12.10", "bin", "python3")
    assert chosen.version == "3.12.10"
    assert ".python-version" in chosen.reason and "pyenv" in chosen.reason


def test_python_version_exact_match(tmp_path: Path) -> None:
    env = fake_pyenv(tmp_path, "3.12.1", "3.12.10")
    chosen = choose_interpreter(python_version_file=["3.12.1"], environ=env)
    assert chosen.version == "3.12.1"


def test_python_version_not_installed_is_a_clear_error(tmp_path: Path) -> None:
    env = fake_pyenv(tmp_path, "3.11.7")
    with pytest.raises(ActionError, match=r"3\.9\.99.*not installed.*pyenv install 3\.9\.99"):
        choose_interpreter(python_version_file=["3.9.99"], environ=env)


def test_requires_python_picks_the_newest_satisfying_interpreter(tmp_path: Path) -> None:
    env = fake_pyenv(tmp_path, "3.8.18", "3.10.13", "3.11.7", "3.13.0")
    chosen = choose_interpreter(requires_python=">=3.9,<3.12", environ=env)
    assert chosen.version == "3.11.7"
    assert "requires-python" in chosen.reason


def test_no_declared_version_means_the_running_python(tmp_path: Path) -> None:
    chosen = choose_interpreter(environ=fake_pyenv(tmp_path, "3.13.0"))
    assert chosen.version == ".".join(map(str, sys.version_info[:3]))
    assert "running venvsense" in chosen.reason


def test_forced_pip_backend_and_uv_found() -> None:
    assert choose_backend("pip").name == "pip"
    if find_uv() is None:
        pytest.skip("uv not installed")
    backend = choose_backend(None)
    assert backend.name == "uv" and backend.executable is not None and backend.reason


def test_create_plan_from_requirements_with_uv(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.txt": "alpha==1.0\n-r more.txt\n", "more.txt": "beta>=2\n"})
    report = check_project(project_at(root))
    plan = plan_create(report, Options(installer="uv", find_links=(str(tmp_path / "wh"),), no_index=True))
    venv_step, install_step = plan.steps
    assert plan.venv == root / ".venv" and plan.build_at == root / ".venv.venvsense-new" and plan.action == "create"
    assert venv_step.argv[1:3] == ("venv", "--python") and venv_step.argv[-1] == str(root / ".venv.venvsense-new")
    staged_python = str(root / ".venv.venvsense-new" / "bin" / "python")
    assert install_step.argv[1:5] == ("pip", "install", "--python", staged_python)
    assert install_step.argv[-2:] == ("-r", str(root / "requirements.txt"))
    assert f"--find-links={tmp_path / 'wh'}" in install_step.argv and "--no-index" in install_step.argv
    assert set(plan.expected) == {"alpha", "beta"}  # what -r brings along, includes too
    assert "Steps:" in plan.describe() and "requirements.txt" in plan.describe()


def test_create_plan_with_pip_uses_the_new_venvs_own_pip(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.txt": "alpha\n"})
    plan = plan_create(check_project(project_at(root)), Options(installer="pip"))
    venv_step, install_step = plan.steps
    assert venv_step.argv[1:3] == ("-m", "venv") and "--without-pip" not in venv_step.argv
    assert install_step.argv[:4] == (str(root / ".venv.venvsense-new" / "bin" / "python"), "-m", "pip", "install")
    assert "--break-system-packages" not in install_step.argv


def test_index_options_of_the_requirements_are_in_the_plan(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.txt": "--index-url https://mirror.example/simple\nalpha\n"})
    plan = plan_create(check_project(project_at(root)), Options(installer="pip"))
    assert [(s.option, s.value) for s in plan.index] == [("--index-url", "https://mirror.example/simple")]
    text = plan.describe()
    assert "Index options in force" in text and "https://mirror.example/simple" in text
    assert "requirements.txt line 1" in text


def test_pyproject_project_that_builds_is_installed_editable_with_extras(tmp_path: Path) -> None:
    root = project(tmp_path, {"pyproject.toml": (
        '[build-system]\nrequires = []\nbuild-backend = "x"\n\n[project]\nname = "demo"\nversion = "1"\n'
        'dependencies = ["alpha>=1"]\n[project.optional-dependencies]\ntest = ["beta"]\n')})
    plan = plan_create(check_project(project_at(root)), Options(installer="pip", groups=("test",)))
    assert plan.steps[1].argv[-2:] == ("-e", f"{root}[test]")
    assert set(plan.expected) >= {"demo", "alpha", "beta"}


def test_pyproject_without_build_system_installs_its_dependency_list(tmp_path: Path) -> None:
    root = project(tmp_path, {"pyproject.toml": '[project]\nname = "demo"\nversion = "1"\n'
                                                 'dependencies = ["alpha>=1", "beta[x]<3"]\n'})
    plan = plan_create(check_project(project_at(root)), Options(installer="pip"))
    assert plan.steps[1].argv[-2:] == ("alpha>=1", "beta[x]<3")
    assert any("not buildable" in note for note in plan.notes)


def test_with_group_takes_a_requirements_file_of_that_name(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.txt": "alpha\n", "requirements-dev.txt": "beta\n"})
    plan = plan_create(check_project(project_at(root)), Options(installer="pip", groups=("dev",)))
    argv = plan.steps[1].argv
    assert argv[-4:] == ("-r", str(root / "requirements.txt"), "-r", str(root / "requirements-dev.txt"))
    with pytest.raises(ActionError, match="no dependency group"):
        plan_create(check_project(project_at(root)), Options(installer="pip", groups=("docs",)))


def test_an_existing_venv_is_never_overwritten(tmp_path: Path, venv_factory) -> None:
    root = project(tmp_path, {"requirements.txt": "alpha\n"})
    venv_factory(".venv", parent=root)
    report = check_project(project_at(root))
    with pytest.raises(ActionError, match="already exists"):
        plan_create(report, Options(installer="pip"))
    plan = plan_create(report, Options(installer="pip"), recreate=True)
    assert plan.action == "recreate" and plan.build_at == root / ".venv.venvsense-new"


def test_option_lookalike_requirements_are_refused() -> None:
    for bad in ("--index-url=http://evil", "-e /tmp/x", "-r other.txt", "alpha\n--pre", "not a requirement!"):
        with pytest.raises(ActionRefused):
            safe_requirement(bad)
    assert safe_requirement(" alpha[x] >=1 ; python_version>'3' ") == 'alpha[x]>=1; python_version > "3"'


def test_option_lookalike_dependency_never_reaches_the_command_line(tmp_path: Path) -> None:
    root = project(tmp_path, {"pyproject.toml": '[project]\nname = "demo"\nversion = "1"\n'
                                                 'dependencies = ["--index-url=http://evil", "alpha"]\n'})
    plan = plan_create(check_project(project_at(root)), Options(installer="pip"))
    assert all("evil" not in arg for step in plan.steps for arg in step.argv)


def test_install_plan_refuses_a_folder_that_is_not_a_venv(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.txt": "alpha\n"})
    fake = tmp_path / "system-python"
    (fake / "bin").mkdir(parents=True)
    (fake / "bin" / "python").write_text("")
    report = check_project(project_at(root), Settings(venv=fake))
    with pytest.raises(ActionRefused, match="not a virtual environment"):
        plan_install(report, Options(installer="pip"))


def test_untrusted_workspace_refuses_to_run(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.txt": "alpha\n"})
    plan = plan_create(check_project(project_at(root)), Options(installer="pip"))
    with pytest.raises(ActionRefused, match="not trusted"):
        execute(plan, trusted=False)
    assert not (root / ".venv").exists()


def test_a_second_run_on_a_locked_venv_gets_a_clear_error(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.txt": "alpha\n"})
    plan = plan_create(check_project(project_at(root)), Options(installer="pip"))
    with venv_lock(plan.venv), pytest.raises(LockBusy, match="another venvsense run"):
        execute(plan, cancel=threading.Event())
    assert not (root / ".venv").exists()
    assert not (root / ".venv.venvsense.lock").exists()  # released and removed


def test_installer_environment_cannot_break_system_packages() -> None:
    env = child_environment({"PIP_BREAK_SYSTEM_PACKAGES": "1", "UV_SYSTEM_PYTHON": "1", "PATH": os.defpath,
                             "VIRTUAL_ENV": "/elsewhere"})
    assert "PIP_BREAK_SYSTEM_PACKAGES" not in env and "UV_SYSTEM_PYTHON" not in env
    assert "VIRTUAL_ENV" not in env and env["PATH"] == os.defpath


def test_installer_failures_are_explained_in_one_sentence() -> None:
    assert explain_failure(["error: failed to write: No space left on device (os error 28)"], "?") == \
        "the disk is full (no space left on device)"
    assert "does not exist" in explain_failure(
        ["ERROR: No matching distribution found for nosuch"], "?")
    assert "cannot be reached" in explain_failure(
        ["error: Failed to fetch: `https://pypi.invalid/simple/x/`", "dns error"], "?")
    assert "failed to build" in explain_failure(["error: Failed to build `broken==1.0`"], "?")
    assert explain_failure(["something else"], "pip exited with status 2") == "pip exited with status 2"


def test_an_index_url_option_is_in_the_plan_and_its_argv(tmp_path: Path) -> None:
    root = project(tmp_path, {"requirements.txt": "alpha\n"})
    plan = plan_create(check_project(project_at(root)), Options(installer="uv", index_url="https://mirror.example/simple"))
    install_step = plan.steps[-1]
    assert "--index-url=https://mirror.example/simple" in install_step.argv
    assert "https://mirror.example/simple" in plan.describe()
