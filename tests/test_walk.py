"""The one folder walk (``venvsense.tree``) on real trees: a folder is skipped only when it is a venv, build
output at the project root, a tool's folder by name or ignored by git's rules (issue 11); symbolic links are
never followed, so no walk leaves the workspace (issue 12, item 7) and a file is reported under one path, its
real one (issue 11, pattern 14) — through the CLI and through a language-server session."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from support.projects import findings, write
from venvsense.classify import project_files
from venvsense.manifests import glob_files
from venvsense.model import find_projects

sys.path.insert(0, str(Path(__file__).parent / "lsp"))

from lsp_session import lsp_session


def _relative(root: Path, paths: list[Path]) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in paths)


def _venv(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")


# --- issue 11: skip a folder only when it is one -----------------------------------------------------------


def test_folders_named_like_build_output_or_venvs_are_code(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {
        "requirements.txt": "",
        "python/dist/plugins/p.py": "import yaml\n",
        "commands/env/__init__.py": "import toml\n",
        "tools/venv/helpers.py": "",
        "src/pkg/build/step.py": "",
        "build/make.py": "",  # a build/ at the root with no build artefacts: code of the project
    })
    assert _relative(root, project_files(root)) == [
        "build/make.py", "commands/env/__init__.py", "python/dist/plugins/p.py", "src/pkg/build/step.py",
        "tools/venv/helpers.py"]


def test_venvs_build_output_and_tool_folders_are_skipped(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {
        "requirements.txt": "",
        "app.py": "",
        "build/lib/pkg/copy.py": "",  # setup.py build output
        "build/bdist.linux-x86_64/x.py": "",
        "dist/pkg-1.0.tar.gz": "",
        "dist/leftover.py": "",
        "pkg.egg-info/x.py": "",
        "node_modules/n/x.py": "",
        ".tox/py311/x.py": "",
        "__pycache__/x.py": "",
        "sub/node_modules/x.py": "",
        "anything/lib/python3.11/site-packages/x.py": "",
    })
    _venv(root / "tools")  # a venv, whatever its name
    write(root, {"tools/lib/t.py": ""})
    assert _relative(root, project_files(root)) == ["app.py"]


def test_build_output_below_the_root_is_code(tmp_path: Path) -> None:
    # only the project's own build/ and dist/ are its build output
    root = write(tmp_path / "p", {"requirements.txt": "", "vendor/dist/x-1.0.whl": "", "vendor/dist/x.py": ""})
    assert _relative(root, project_files(root)) == ["vendor/dist/x.py"]


def test_the_project_ignore_rules_skip_folders(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "", ".gitignore": "env/\n/out\n*.gen.py\n",
                                  "env/x.py": "", "out/y.py": "", "src/out/z.py": "", "a.gen.py": "", "a.py": ""})
    assert _relative(root, project_files(root)) == ["a.py", "src/out/z.py"]


def test_cli_reports_imports_in_folders_named_like_output(tmp_path: Path, venv_factory) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "", "python/dist/plugins/p.py": "import yaml\n",
                                  "commands/env/__init__.py": "import toml\n"})
    venv_factory(".venv", parent=root)
    files = sorted((f["file"], f["package"]) for f in findings(root) if f["code"] == "VS301")
    assert files == [("commands/env/__init__.py", "toml"), ("python/dist/plugins/p.py", "pyyaml")]


# --- issue 12 item 7, issue 11 pattern 14: symbolic links -------------------------------------------------


def _linked_workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace holding one project, with links out of it (to a folder holding projects and code, and to
    ``/``) and links inside it (to a module and to a package of the project)."""
    outside = write(tmp_path / "outside", {"elsewhere/requirements.txt": "", "elsewhere/e.py": "import toml\n",
                                           "code/o.py": "import toml\n"})
    workspace = tmp_path / "ws"
    root = write(workspace / "proj", {"requirements.txt": "", "app.py": "import yaml\n",
                                      "pkg/__init__.py": "", "pkg/mod.py": "import yaml\n"})
    (workspace / "rootlink").symlink_to("/", target_is_directory=True)
    (workspace / "outlink").symlink_to(outside, target_is_directory=True)
    (root / "outcode").symlink_to(outside / "code", target_is_directory=True)
    (root / "outfile.py").symlink_to(outside / "code" / "o.py")
    (root / "alias.py").symlink_to(root / "app.py")
    (root / "pkgalias").symlink_to(root / "pkg", target_is_directory=True)
    return workspace, root


def test_discovery_never_follows_a_link_out_of_the_workspace(tmp_path: Path) -> None:
    workspace, root = _linked_workspace(tmp_path)
    assert [project.root for project in find_projects(workspace)] == [root]


def test_the_module_walk_gives_each_file_once_under_its_real_path(tmp_path: Path) -> None:
    _, root = _linked_workspace(tmp_path)
    assert _relative(root, project_files(root)) == ["app.py", "pkg/__init__.py", "pkg/mod.py"]


def test_cli_on_a_workspace_with_links_out_and_in(tmp_path: Path, venv_factory) -> None:
    workspace, root = _linked_workspace(tmp_path)
    venv_factory(".venv", parent=root)
    found = findings(workspace)
    assert sorted((f["file"], f["package"]) for f in found if f["code"] == "VS301") == [
        ("app.py", "pyyaml"), ("pkg/mod.py", "pyyaml")]


def test_language_server_finds_only_the_workspace_projects(tmp_path: Path) -> None:
    workspace, root = _linked_workspace(tmp_path)

    async def run() -> list[str]:
        async with lsp_session(workspace) as session:
            await session.wait_for(lambda: session.statuses and all(
                p["state"] != "busy" for p in session.statuses[-1]["projects"]), timeout=30,
                what="the first checks")
            status = await session.status()
            return sorted(p["root"] for p in status["projects"])

    roots = asyncio.run(run())
    assert roots == [root.as_uri()]


def test_linked_requirements_out_of_the_project_are_not_manifests(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"base.txt": "secret-package\n", "dev-requirements.txt": ""})
    root = write(tmp_path / "p", {"requirements.txt": "", "requirements/test.txt": "", "real.txt": ""})
    (root / "requirements-extra.txt").symlink_to(outside / "base.txt")
    (root / "requirements" / "linked.txt").symlink_to(outside / "base.txt")
    (root / "requirements" / "inside.txt").symlink_to(root / "real.txt")
    (root / "requirements" / "ci").symlink_to(outside, target_is_directory=True)
    (project,) = find_projects(root)
    assert project.requirements == (root / "requirements.txt", root / "requirements" / "inside.txt",
                                    root / "requirements" / "test.txt")


def test_configured_globs_skip_the_root_build_output_only(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "", "build/lib/pkg/requirements.txt": "",
                                  "src/build/requirements.txt": "", "dist/requirements.txt": ""})
    assert _relative(root, glob_files(root, "**/requirements.txt")) == [
        "dist/requirements.txt", "requirements.txt", "src/build/requirements.txt"]
