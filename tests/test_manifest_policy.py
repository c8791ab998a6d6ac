"""One manifest policy: discovery, the language server's watchers and the VS Code extension agree on what a
manifest is (the extension's copies in package.json and server.ts are checked against ``venvsense.manifests``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from venvsense import manifests

REPO = Path(__file__).resolve().parents[1]
PACKAGE = json.loads((REPO / "extension" / "package.json").read_text(encoding="utf-8"))
SERVER_TS = (REPO / "extension" / "src" / "common" / "server.ts").read_text(encoding="utf-8")

REQUIREMENT_FILES = [
    "requirements.txt", "requirements-dev.txt", "dev-requirements.txt", "test_requirements.txt",
    "myrequirements.txt", "requirements.in", "dev-requirements.in", "requirements/base.txt",
    "requirements/dev.in", "requirements/ci/lint.txt", "sub/project/requirements-docs.txt",
]
NOT_REQUIREMENT_FILES = ["constraints.txt", "README.txt", "setup.py", "requirements.md", "docs/notes.txt"]


def _vscode_glob_matches(path: str, glob: str) -> bool:
    """VS Code matches a pattern without a slash against the file name, one with a slash against the path."""
    if "/" not in glob:
        return manifests.glob_matches(path.rsplit("/", 1)[-1], glob)
    return manifests.glob_matches(path, glob)


@pytest.mark.parametrize("path", REQUIREMENT_FILES)
def test_a_requirements_file_is_one_for_discovery_the_watchers_and_the_extension(path: str) -> None:
    root = Path("/project")
    assert manifests.is_requirements_name(root / path, root)
    assert any(manifests.glob_matches(path, glob) for glob in manifests.WATCH_GLOBS)
    patterns = PACKAGE["contributes"]["languages"][0]["filenamePatterns"]
    assert any(_vscode_glob_matches(path, glob) for glob in patterns), patterns
    activation = [e.split(":", 1)[1] for e in PACKAGE["activationEvents"] if e.startswith("workspaceContains:")]
    assert any(manifests.glob_matches(path, glob) for glob in activation), activation


@pytest.mark.parametrize("path", NOT_REQUIREMENT_FILES)
def test_other_files_are_not_requirements_files(path: str) -> None:
    root = Path("/project")
    assert not manifests.is_requirements_name(root / path, root)
    assert not any(manifests.glob_matches(path, glob) for glob in manifests.WATCH_GLOBS)


def test_every_manifest_name_is_watched_and_sent_to_the_server_by_the_extension() -> None:
    [selector] = re.findall(r"pattern: '\*\*/\{([^}]*)\}'", SERVER_TS)
    assert set(selector.split(",")) == set(manifests.MANIFEST_NAMES)
    for name in manifests.MANIFEST_NAMES:
        assert any(manifests.glob_matches(f"a/{name}", glob) for glob in manifests.WATCH_GLOBS)


@pytest.mark.parametrize(("path", "glob", "expected"), [
    ("deps/dev.txt", "deps/*.txt", True),
    ("deps/sub/dev.txt", "deps/*.txt", False),
    ("deps/sub/dev.txt", "deps/**/*.txt", True),
    ("deps/dev.txt", "deps/**/*.txt", True),
    ("reqs-a.txt", "reqs-?.txt", True),
    ("reqs-ab.txt", "reqs-?.txt", False),
    ("x/requirements.txt", "**/requirements.txt", True),
    ("requirements.txt", "**/requirements.txt", True),
])
def test_one_glob_dialect(path: str, glob: str, expected: bool) -> None:
    assert manifests.glob_matches(path, glob) is expected


def test_configured_globs_never_leave_the_project(tmp_path: Path) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "a.txt").write_text("x\n")
    assert manifests.glob_files(tmp_path, "deps/*.txt") == [tmp_path / "deps" / "a.txt"]
    assert manifests.glob_files(tmp_path / "deps", "../deps/*.txt") == []
    assert manifests.glob_files(tmp_path, "/etc/*.conf") == []


def test_configured_globs_do_not_follow_links_out_of_the_project(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("password = x\n")
    root = tmp_path / "project"
    (root / "deps").mkdir(parents=True)
    (root / "deps" / "ok.txt").write_text("alpha\n")
    (root / "deps" / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "etclink").symlink_to(outside)
    assert manifests.glob_files(root, "deps/*.txt") == [root / "deps" / "ok.txt"]
    assert manifests.glob_files(root, "etclink/*") == []
    assert manifests.glob_files(root, "**/*.txt") == [root / "deps" / "ok.txt"]


@pytest.mark.parametrize("glob", ["/etc/*.conf", "../other/*.txt", "deps/../../x.txt", "C:\\\\deps\\\\*.txt"])
def test_a_configured_glob_outside_the_project_is_a_configuration_error(tmp_path: Path, glob: str) -> None:
    (tmp_path / "requirements.txt").write_text("alpha\n")
    (tmp_path / "pyproject.toml").write_text(f"[tool.venvsense]\nrequirements = [{glob!r}]\n")
    result = subprocess.run([sys.executable, "-m", "venvsense", "check", str(tmp_path), "--format", "json"],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "VENVSENSE_CACHE_DIR": ""})
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)["projects"][0]["findings"]
    [error] = [f for f in found if f["code"] == "VS206"]
    assert error["file"] == "pyproject.toml" and "relative to the project" in error["message"]
