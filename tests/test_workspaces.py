"""uv workspaces (issue 16): a root with `[tool.uv.workspace] members/exclude` globs and three members sharing the
root's `.venv` — no VS101 for the members, a member importing another is first-party when it declares it with a
workspace source and VS302 when it does not, VS303 per member; without a venv the members point at the root;
the status names the workspace and the member. Real files, a real venv, real wheels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.projects import write
from support.wheels import build_wheel, make_project, make_venv, pip_install
from venvsense.check import check_project
from venvsense.classify.members import workspace_of
from venvsense.fixes import finding_fixes, project_fixes, repair_for
from venvsense.lsp.status import project_status
from venvsense.model import project_at


def _member(name: str, dependencies: list[str], sources: str = "") -> str:
    listed = ", ".join(f'"{d}"' for d in dependencies)
    return (f'[project]\nname = "{name}"\nversion = "0.1"\ndependencies = [{listed}]\n{sources}'
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')


WORKSPACE = {
    "pyproject.toml": '[project]\nname = "root"\nversion = "0"\ndependencies = []\n\n'
                      '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/old"]\n',
    # core: the base; api declares core from the workspace; cli imports api without declaring it
    "packages/core/pyproject.toml": _member("core", ["requests"]),
    "packages/core/src/core/__init__.py": "import requests\n",
    "packages/api/pyproject.toml": _member("api", ["core", "PyYAML"],
                                           "[tool.uv.sources]\ncore = { workspace = true }\n"),
    "packages/api/src/api/__init__.py": "import core\nimport yaml\n",
    "packages/cli/pyproject.toml": _member("cli", ["idna"]),
    "packages/cli/src/cli/__init__.py": "import api\n",
    # excluded by the root: not a member (its import of core is no member's concern)
    "packages/old/pyproject.toml": _member("old", []),
    "packages/old/old.py": "import core\n",
}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("workspace-wheels")
    for name, version in (("requests", "2.32.3"), ("idna", "3.7")):
        build_wheel(house, name, version)
    build_wheel(house, "PyYAML", "6.0.1", modules=["yaml"])
    return house


def _installable(root: Path) -> None:
    """Each member made installable offline (the tests' PEP 517 backend, its src layout), its pyproject.toml kept
    but for the build system."""
    for name in ("core", "api", "cli"):
        folder = root / "packages" / name
        kept = (folder / "pyproject.toml").read_text(encoding="utf-8")
        module = (folder / "src" / name / "__init__.py").read_text(encoding="utf-8")
        make_project(folder, name, "0.1", modules=[name])
        backend = (folder / "pyproject.toml").read_text(encoding="utf-8").split("[project]")[0]
        (folder / "pyproject.toml").write_text(backend + kept.split("[build-system]")[0], encoding="utf-8")
        (folder / "src" / name / "__init__.py").write_text(module, encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path, wheels: Path) -> Path:
    """The workspace with its venv as `uv sync --all-packages` leaves it: the members installed editable."""
    root = write(tmp_path / "ws", WORKSPACE)
    _installable(root)
    venv = make_venv(root / ".venv")
    pip_install(venv, "requests", "PyYAML", "idna", find_links=wheels)
    for name in ("core", "api", "cli"):
        pip_install(venv, "-e", str(root / "packages" / name), find_links=wheels, args=("--no-deps",))
    return root


def _by_project(root: Path) -> dict[str, list[str]]:
    """``venvsense check ROOT``'s findings: project folder (relative) → codes."""
    result = subprocess.run([sys.executable, "-m", "venvsense", "check", str(root), "--format", "json"],
                            capture_output=True, text=True, check=False,
                            env={**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
                                 "VENVSENSE_CACHE_DIR": ""})
    assert result.returncode in (0, 1), result.stderr
    return {Path(p["root"]).relative_to(root).as_posix(): [f["code"] for f in p["findings"]]
            for p in json.loads(result.stdout)["projects"]}


def test_the_workspace_is_read_from_its_root_and_from_each_member(workspace: Path) -> None:
    found = workspace_of(workspace / "packages" / "api")
    assert found is not None and found.root == workspace
    assert [m.name for m in found.members] == ["api", "cli", "core"]  # packages/old is excluded
    assert found.member is not None and found.member.name == "api" and "api" in found.member.modules
    root = workspace_of(workspace, None)
    assert root is not None and root.member is None
    assert workspace_of(workspace / "packages" / "old") is None


def test_three_members_share_the_root_venv_and_member_imports_are_judged(workspace: Path) -> None:
    reports = {p.root.name: check_project(p) for p in
               [project_at(workspace / "packages" / n) for n in ("api", "cli", "core")]}
    for report in reports.values():
        assert report.environment is not None and report.environment.path == workspace / ".venv"
        assert not [f for f in report.findings if f.code == "VS101"]
    assert [(f.code, f.package) for f in reports["core"].findings] == []
    assert [(f.code, f.package) for f in reports["api"].findings] == []  # core: declared from the workspace
    cli = reports["cli"].findings
    assert sorted((f.code, f.package) for f in cli) == [("VS302", "api"), ("VS303", "idna")]  # VS303 per member
    undeclared = next(f for f in cli if f.code == "VS302")
    assert undeclared.message == ("'api' is workspace member api's (packages/api) but this project does not "
                                  "declare it: add api to its dependencies and `api = { workspace = true }` to "
                                  "[tool.uv.sources]")
    fixes = finding_fixes(reports["cli"], undeclared, trusted=True, text_of=lambda p: p.read_text())
    assert [f.title for f in fixes] == ["Add api to pyproject.toml"]


def test_a_venv_out_of_sync_says_the_declared_member_is_not_installed(tmp_path: Path, wheels: Path) -> None:
    root = write(tmp_path / "ws", WORKSPACE)  # the members not installed: `uv sync` was not run since
    pip_install(make_venv(root / ".venv"), "requests", "PyYAML", "idna", find_links=wheels)
    api = check_project(project_at(root / "packages" / "api"))
    assert sorted((f.code, f.package) for f in api.findings) == [("VS201", "core"), ("VS301", "core")]
    assert "declared as core in pyproject.toml" in next(f for f in api.findings if f.code == "VS301").message
    cli = check_project(project_at(root / "packages" / "cli"))  # undeclared: that is the problem, not the venv
    assert sorted((f.code, f.package) for f in cli.findings) == [("VS302", "api"), ("VS303", "idna")]


def test_declaring_a_member_without_a_workspace_source_is_judged_as_any_distribution(workspace: Path) -> None:
    text = (workspace / "packages/cli/pyproject.toml").read_text(encoding="utf-8")
    write(workspace, {"packages/cli/pyproject.toml": text.replace('["idna"]', '["api"]')})
    report = check_project(project_at(workspace / "packages" / "cli"))
    assert report.findings == []  # declared and installed (uv would take it from an index: not ours to say)


def test_the_cli_checks_a_whole_workspace(workspace: Path) -> None:
    assert _by_project(workspace) == {
        ".": [], "packages/api": [], "packages/core": [], "packages/cli": ["VS303", "VS302"],
        "packages/old": ["VS302"],  # excluded from the workspace: core is installed, not declared, no member
    }


def test_without_a_venv_the_members_point_at_the_root_which_says_it_once(tmp_path: Path) -> None:
    root = write(tmp_path / "ws", WORKSPACE)
    top = check_project(project_at(root))
    (vs101,) = top.findings
    assert vs101.code == "VS101" and vs101.file == root / "pyproject.toml"
    assert vs101.message.startswith("this workspace's members (api, cli, core) share one venv here")
    assert repair_for(top) == "create"
    api = check_project(project_at(root / "packages" / "api"))
    (member,) = [f for f in api.findings if f.code == "VS101"]
    assert "share one venv at its root (../..)" in member.message
    assert repair_for(api) is None  # `venvsense fix` makes no venv inside a member
    assert finding_fixes(api, member, trusted=True, text_of=lambda p: None) == []
    assert "Create .venv here" not in [f.title for f in project_fixes(api)]
    assert not [f for f in api.findings if f.code in ("VS301", "VS302")]  # core: still first-party


def test_the_status_names_the_workspace_and_the_member(workspace: Path) -> None:
    api = check_project(project_at(workspace / "packages" / "api"))
    status = project_status("file:///api", api, None)
    assert status["summary"] == ".venv (workspace) · api"
    assert status["workspace"] == {"root": workspace.as_uri(), "member": "api", "shared": True}
    top = project_status("file:///ws", check_project(project_at(workspace)), None)
    assert top["summary"] == ".venv (workspace)" and top["workspace"]["member"] is None
    cli = project_status("file:///cli", check_project(project_at(workspace / "packages" / "cli")), None)
    assert cli["summary"] == ".venv (workspace) · cli: 1 warning"


def test_a_member_with_its_own_venv_is_not_shown_as_the_workspace(workspace: Path) -> None:
    make_venv(workspace / "packages" / "core" / ".venv")
    core = check_project(project_at(workspace / "packages" / "core"))
    status = project_status("file:///core", core, None)
    assert status["workspace"]["shared"] is False and "(workspace)" not in status["summary"]


def test_the_members_read_once_follow_the_disk(tmp_path: Path) -> None:
    root = write(tmp_path / "ws", WORKSPACE)
    first = workspace_of(root / "packages" / "api")
    assert first is not None and workspace_of(root / "packages" / "api") == first  # remembered
    write(root, {"packages/web/pyproject.toml": _member("web", []), "packages/web/src/web/__init__.py": ""})
    (root / "packages" / "cli" / "src" / "cli" / "extra").mkdir()  # src/ changes: cli's names are read again
    (root / "packages" / "cli" / "src" / "extra_cli").mkdir()
    (root / "packages" / "cli" / "src" / "extra_cli" / "__init__.py").write_text("")
    again = workspace_of(root / "packages" / "api")
    assert again is not None and [m.name for m in again.members] == ["api", "cli", "core", "web"]
    cli = again.named("cli")
    assert cli is not None and cli.modules == {"cli", "extra_cli"}
    text = (root / "packages/core/pyproject.toml").read_text().replace('name = "core"', 'name = "kernel"')
    (root / "packages/core/pyproject.toml").write_text(text)
    os.utime(root / "packages/core/pyproject.toml", ns=(1, 1))  # a changed mtime, whatever the clock's grain
    renamed = workspace_of(root / "packages" / "api")
    assert renamed is not None and renamed.named("kernel") is not None and renamed.named("core") is None
