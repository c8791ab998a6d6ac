"""VS210 newer-version on real projects: the CLI's check with ``check-outdated`` and index answers cached from a
loopback index (``support.index``); its fix rewrites the pin; off by default; the check itself never asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.index import LocalIndex
from support.projects import findings, write
from support.wheels import make_venv, pip_install
from venvsense.check import check_project
from venvsense.config import Settings
from venvsense.edits import apply_edits
from venvsense.fixes import finding_fixes
from venvsense.index import DiskCache, IndexService, IndexUrl
from venvsense.model import project_at


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> LocalIndex:
    local = LocalIndex(tmp_path_factory.mktemp("index"))
    local.add("alpha", "1.0")
    local.add("alpha", "2.0")
    local.add("alpha", "3.0rc1")
    local.add("alpha", "2.5", yanked=True)
    local.add("beta", "1.0")
    local.add("beta", "9.0", requires_python=">=3.99")
    return local


def cached(index: LocalIndex, cache: Path, *names: str) -> str:
    """Refresh ``names`` into ``cache`` from the running index; its URL."""
    with index.serving() as url:
        service = IndexService(DiskCache(cache / "index"))
        for name in names:
            service.refresh_project((IndexUrl(url, "test"),), name)
    return url


def make(root: Path, index: LocalIndex, files: dict[str, str]) -> Path:
    write(root, files)
    make_venv(root / ".venv")
    pip_install(root / ".venv", "alpha==1.0", "beta==1.0", find_links=index.folder / "files")
    return root


def test_the_cli_reports_newer_versions_from_the_cache_only(index: LocalIndex, tmp_path: Path) -> None:
    url = cached(index, tmp_path / "cache", "alpha", "beta")  # the index is stopped from here on
    root = make(tmp_path / "proj", index, {
        "requirements.txt": "alpha==1.0\nbeta>=1\n",
        "pyproject.toml": '[tool.venvsense]\ncheck-outdated = true\n'})
    env = {"VENVSENSE_CACHE_DIR": str(tmp_path / "cache"), "PIP_INDEX_URL": url, "PIP_CONFIG_FILE": "/dev/null",
           "UV_NO_CONFIG": "1", "PIP_NO_INDEX": ""}
    found = [f for f in findings(root, env=env) if f["code"] == "VS210"]
    assert [(f["package"], f["severity"], f["message"]) for f in found] == [
        ("alpha", "information", "alpha 2.0 is available (installed 1.0; the declared ==1.0 does not allow it)")]
    # beta 9.0 needs a Python nobody has: not offered; alpha 3.0rc1 is a pre-release, 2.5 is yanked
    off = {"VENVSENSE_CACHE_DIR": str(tmp_path / "cache"), "PIP_INDEX_URL": url, "PIP_NO_INDEX": ""}
    (root / "pyproject.toml").write_text("")
    assert [f for f in findings(root, env=off) if f["code"] == "VS210"] == []


def test_update_the_pin_rewrites_a_requirement_and_a_pyproject_floor(index: LocalIndex, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url = cached(index, tmp_path / "cache", "alpha")
    root = make(tmp_path / "proj", index, {
        "requirements.txt": "alpha[x] == 1.0 ; python_version >= '3'  # pinned\n",
        "pyproject.toml": '[project]\nname = "p"\nversion = "0"\ndependencies = ["alpha>=1.0"]\n'})
    for key, value in {"VENVSENSE_CACHE_DIR": str(tmp_path / "cache"), "PIP_INDEX_URL": url,
                       "PIP_CONFIG_FILE": "/dev/null", "UV_NO_CONFIG": "1", "PIP_NO_INDEX": ""}.items():
        monkeypatch.setenv(key, value)
    report = check_project(project_at(root), Settings(check_outdated=True, check_imports=False))
    found = sorted((f for f in report.findings if f.code == "VS210"), key=lambda f: f.file.name)
    assert [f.file.name for f in found] == ["pyproject.toml", "requirements.txt"]
    titles = []
    for finding in found:
        fix = finding_fixes(report, finding, trusted=True, text_of=lambda p: p.read_text())[0]
        titles.append(fix.title)
        finding.file.write_text(apply_edits(finding.file.read_text(), fix.edits))
    assert titles == ["Update the specifier to alpha>=2.0", "Update the pin to alpha==2.0"]
    assert (root / "requirements.txt").read_text() == "alpha[x]==2.0 ; python_version >= '3'  # pinned\n"
    assert 'dependencies = ["alpha>=2.0"]' in (root / "pyproject.toml").read_text()


def test_the_cli_asks_the_index_first_unless_offline(index: LocalIndex, tmp_path: Path) -> None:
    offline = "[tool.venvsense]\ncheck-outdated = true\noffline = true\n"
    root = make(tmp_path / "proj", index, {"requirements.txt": "alpha==1.0\nbeta==1.0\n", "pyproject.toml": offline})
    with index.serving() as url:
        env = {"VENVSENSE_CACHE_DIR": str(tmp_path / "cache"), "PIP_INDEX_URL": url, "PIP_CONFIG_FILE": "/dev/null",
               "UV_NO_CONFIG": "1", "PIP_NO_INDEX": ""}
        asked = sum(index.requests.values())
        assert [f for f in findings(root, env=env) if f["code"] == "VS210"] == []  # offline: nothing cached, none asked
        assert sum(index.requests.values()) == asked
        (root / "pyproject.toml").write_text("[tool.venvsense]\ncheck-outdated = true\n")
        found = [f["package"] for f in findings(root, env=env) if f["code"] == "VS210"]
        assert found == ["alpha"]  # beta 9.0 needs Python >= 3.99
        assert index.requests["/simple/alpha/"] >= 1 and index.requests["/simple/beta/"] >= 1
        before = sum(index.requests.values())
        assert [f["package"] for f in findings(root, env=env) if f["code"] == "VS210"] == ["alpha"]
        assert sum(index.requests.values()) == before  # fresh answers are not asked for again
