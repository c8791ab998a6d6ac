"""What a uv workspace's own `uv sync` installs is not "undeclared" (issue "Trusted on real projects", seen on
microsoft/autogen: 956 VS302 warnings, 817 of them this): at a virtual root (no `[project]`, where uv syncs every
member) the members and what they declare; in a member's tests, docs and scripts, also what the root's default
dependency groups declare. A member's package code still declares what it imports. Real files, the real CLI's
engine; no venv (VS302 needs none)."""

from __future__ import annotations

from pathlib import Path

from support.projects import write
from venvsense.check import check_project
from venvsense.model import project_at


def _member(name: str, dependencies: list[str]) -> str:
    listed = ", ".join(f'"{d}"' for d in dependencies)
    return f'[project]\nname = "{name}"\nversion = "0.1"\ndependencies = [{listed}]\n'


def _undeclared(root: Path) -> set[tuple[str, str]]:
    report = check_project(project_at(root))
    return {(f.file.relative_to(root).as_posix(), str(f.data.get("module"))) for f in report.findings
            if f.code == "VS302"}


def _workspace(tmp_path: Path, root_project: str) -> Path:
    return write(tmp_path / "ws", {
        "pyproject.toml": root_project + '[dependency-groups]\ndev = ["pytest>=8"]\n\n'
                          '[tool.uv.workspace]\nmembers = ["packages/*"]\n\n'
                          '[tool.uv.sources]\ncore = { workspace = true }\napp = { workspace = true }\n',
        "packages/core/pyproject.toml": _member("core", ["requests"]),
        "packages/core/src/core/__init__.py": "import requests\n",
        "packages/app/pyproject.toml": _member("app", ["core"]) + '[tool.uv.sources]\ncore = { workspace = true }\n',
        "packages/app/src/app/__init__.py": "import core\nimport pytest\n",
        "packages/app/tests/test_app.py": "import pytest\nimport app\nimport requests\n",
        "samples/demo.py": "import core\nimport app\nimport requests\nimport yaml\n",
    })


def test_a_virtual_root_s_code_uses_what_uv_sync_installs_for_the_workspace(tmp_path: Path) -> None:
    root = _workspace(tmp_path, "")
    # the members and their declared dependencies are installed by `uv sync` at a virtual root; yaml is not
    assert _undeclared(root) == {("samples/demo.py", "yaml")}


def test_a_member_s_tests_use_the_root_s_dev_group_but_its_package_code_declares_what_it_imports(
        tmp_path: Path) -> None:
    root = _workspace(tmp_path, "")
    found = _undeclared(root / "packages" / "app")
    assert ("src/app/__init__.py", "pytest") in found  # package code: published alone, must declare pytest
    assert ("tests/test_app.py", "pytest") not in found  # the root's dev group serves the members' tests
    assert ("tests/test_app.py", "requests") not in found  # core's dependency, synced for the workspace


def test_a_root_that_is_a_project_declares_the_members_it_imports(tmp_path: Path) -> None:
    # a root with its own [project]: `uv sync` installs the root's dependencies, not every member
    root = _workspace(tmp_path, '[project]\nname = "root"\nversion = "0"\ndependencies = []\n\n')
    assert {module for file, module in _undeclared(root) if file == "samples/demo.py"} == {
        "core", "app", "requests", "yaml"}
