"""The fix policy and the status for a project with a lock file, on real uv projects locked offline: the sync
first when the venv drifted (VS402/VS403), "update the lock and sync" first when the lock is outdated (VS401),
nothing that runs a process in an untrusted workspace; the status's ``lock`` object and summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.wheels import build_wheel, pip_install
from test_sync_actions import pyproject, report_of, uv_project
from venvsense import fixes
from venvsense.lsp.status import project_status
from venvsense.protocol import FIX_ALL_KIND, RECHECK, SYNC_LOCK, UPDATE_LOCK

pytestmark = pytest.mark.slow


@pytest.fixture
def wheels(wheelhouse: Path) -> Path:
    build_wheel(wheelhouse, "alpha", "1.0")
    build_wheel(wheelhouse, "alpha", "2.0")
    build_wheel(wheelhouse, "beta", "1.0")
    build_wheel(wheelhouse, "gamma", "1.0", requires=["beta>=1"])
    return wheelhouse


def text_of(path: Path) -> str | None:
    return path.read_text("utf-8") if path.is_file() else None


def test_a_venv_in_sync_with_its_lock(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    pip_install(root / ".venv", "alpha==1.0", "beta==1.0", "gamma==1.0", find_links=wheels)
    report = report_of(root)
    assert report.findings == []
    assert fixes.lock_fixes(report) == [] and fixes.fix_all(report, trusted=True) is None
    status = project_status(root.as_uri(), report, None)
    assert status["lock"] == {"name": "uv.lock", "state": "synced", "count": 0} and status["state"] == "ok"


def test_a_drifted_venv_is_offered_the_sync_first(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    pip_install(root / ".venv", "alpha==2.0", "beta==1.0", find_links=wheels)  # alpha other, gamma missing
    report = report_of(root)
    assert sorted(f.code for f in report.findings) == ["VS402", "VS402"]
    first, *rest = fixes.project_fixes(report)
    assert (first.title, first.command) == ("Sync .venv with uv.lock", SYNC_LOCK)
    assert rest[-1].command == RECHECK and UPDATE_LOCK not in [f.command for f in rest]
    fix_all = fixes.fix_all(report, trusted=True)
    assert fix_all is not None and (fix_all.command, fix_all.kind) == (SYNC_LOCK, FIX_ALL_KIND)
    for finding in report.findings:
        (sync,) = fixes.finding_fixes(report, finding, trusted=True, text_of=text_of)
        assert sync.command == SYNC_LOCK and sync.preferred
        assert fixes.finding_fixes(report, finding, trusted=False, text_of=text_of) == []
    status = project_status(root.as_uri(), report, None)
    assert status["lock"] == {"name": "uv.lock", "state": "out-of-sync", "count": 2}
    assert status["summary"] == ".venv (Python {}): 2 out of sync with uv.lock, 2 warnings".format(
        report.environment.python if report.environment else "")
    assert status["fixes"][0]["command"] == SYNC_LOCK
    assert [f["command"] for f in project_status(root.as_uri(), report, None, trusted=False)["fixes"]] == [RECHECK]


def test_an_outdated_lock_is_offered_the_update_and_the_sync(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    pip_install(root / ".venv", "alpha==1.0", "beta==1.0", "gamma==1.0", find_links=wheels)
    (root / "pyproject.toml").write_text(pyproject(["alpha==2.0", "gamma"]), encoding="utf-8")
    report = report_of(root)
    assert "VS401" in {f.code for f in report.findings}
    listed = [(f.title, f.command, f.arguments) for f in fixes.lock_fixes(report)]
    assert listed[0] == ("Update uv.lock and sync .venv", UPDATE_LOCK, {"sync": True})
    assert listed[-1] == ("Update uv.lock", UPDATE_LOCK, {})
    fix_all = fixes.fix_all(report, trusted=True)
    assert fix_all is not None and fix_all.arguments == {"sync": True}
    outdated = next(f for f in report.findings if f.code == "VS401")
    assert fixes.finding_fixes(report, outdated, trusted=True, text_of=text_of)[0].title == \
        "Update uv.lock and sync .venv"
    assert project_status(root.as_uri(), report, None)["lock"]["state"] == "outdated"


def test_without_a_venv_the_lock_builds_one_first(tmp_path: Path, wheels: Path, uv_path: Path) -> None:
    root = uv_project(tmp_path / "proj", wheels)
    (root / ".venv").rename(tmp_path / "elsewhere")
    report = report_of(root)
    first, second, *_ = fixes.project_fixes(report)
    assert (first.title, first.command) == ("Create .venv from uv.lock", SYNC_LOCK)
    assert second.title == "Create .venv here"
    fix_all = fixes.fix_all(report, trusted=True)
    assert fix_all is not None and fix_all.command == SYNC_LOCK
    no_venv = next(f for f in report.findings if f.code == "VS101")
    preferred, *others = fixes.finding_fixes(report, no_venv, trusted=True, text_of=text_of)
    assert preferred.title == "Create .venv from uv.lock" and preferred.preferred
    assert [f.title for f in others] == ["Create .venv here"]
    assert project_status(root.as_uri(), report, None)["state"] == "missing"
