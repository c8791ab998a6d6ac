"""uv.lock read into the lock model, what a sync selects, what makes it outdated, and the lock findings as the CLI
shows them — on real lock files (tests/data/locks, README there) and on small ones written here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from support.locks import LOCK, PYPROJECT
from support.projects import findings, write
from support.wheels import build_wheel
from venvsense.check import check_project
from venvsense.declarations.locks import Target, find_lock, outdated, read_lock, select
from venvsense.declarations.locks.uvcheck import same_marker
from venvsense.environment import marker_environment
from venvsense.fixes import finding_fixes
from venvsense.model import project_at
from venvsense.protocol import SYNC_LOCK, UPDATE_LOCK
from venvsense.rules.locks import lock_state

DATA = Path(__file__).parent / "data" / "locks"


def _disk(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except OSError:
        return None


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    build_wheel(folder, "alpha", "1.0")
    build_wheel(folder, "alpha", "2.0")
    build_wheel(folder, "beta", "1.0")
    build_wheel(folder, "stray", "1.0")
    return folder


def _built_by_uv(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / "built-by-uv.uv.lock", folder / "uv.lock")
    shutil.copyfile(DATA / "built-by-uv.pyproject.toml", folder / "pyproject.toml")
    return folder


# --- reading ----------------------------------------------------------------------------------------------------


def test_a_real_uv_lock_is_read_whole_and_its_stale_group_found(tmp_path: Path) -> None:
    """uv's own test project: its pyproject.toml no longer has the ``dev`` group its lock records (what
    ``uv lock --check`` reports as changed dependency groups)."""
    root = _built_by_uv(tmp_path / "built-by-uv")
    lock = read_lock(find_lock(root) or root)
    assert lock.error is None and lock.kind == "uv" and lock.requires_python == ">=3.12"
    names = [p.name for p in lock.packages]
    assert names == sorted(names) and "anyio" in names and "built-by-uv" in names
    lines = lock.text.splitlines()
    assert all(lines[p.line] == "[[package]]" for p in lock.packages)
    [own] = lock.by_name("built-by-uv")
    assert own.source == "editable" and own.location == "." and own.groups["dev"][0].name == "pytest"
    [stale] = outdated(lock, _disk)
    assert stale.message == ("uv.lock is out of date for built-by-uv: the lock still lists 'pytest>=8.3.3' in its "
                             "group 'dev'")
    assert stale.file == root / "pyproject.toml" and stale.range.start.line == 1  # [project] name: no group is left
    selection = select(lock, Target(marker_environment("3.12.4")), _disk)
    assert {"anyio", "idna", "sniffio", "pytest", "built-by-uv"} <= set(selection.packages)
    # colorama is pytest's on Windows only
    assert ("colorama" in selection.packages) == (sys.platform == "win32")


def test_a_real_lock_made_outdated_by_an_edit_says_where(tmp_path: Path) -> None:
    root = _built_by_uv(tmp_path / "built-by-uv")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text("utf-8").replace('"anyio>=4,<5"', '"anyio>=4,<6"'), "utf-8")
    stale = outdated(read_lock(root / "uv.lock"), _disk)
    lines = pyproject.read_text("utf-8").splitlines()
    said = {(s.message.split(": ", 1)[1], lines[s.range.start.line].split(" ")[0]) for s in stale}
    assert said == {("'anyio>=4,<6' is not in the lock's requirements", "dependencies"),
                    ("the lock still lists 'anyio>=4,<5' in its requirements", "dependencies"),
                    ("the lock still lists 'pytest>=8.3.3' in its group 'dev'", "name")}


@pytest.mark.skipif(not os.environ.get("VENVSENSE_REAL_LOCKS"), reason="VENVSENSE_REAL_LOCKS names no folder")
def test_large_real_locks_read_and_are_up_to_date() -> None:
    """Run by hand on fetched repositories (tests/data/locks/README.md names them)."""
    for lock_path in sorted(Path(os.environ["VENVSENSE_REAL_LOCKS"]).glob("*/uv.lock")):
        lock = read_lock(lock_path)
        assert lock.error is None and lock.packages, lock_path
        assert outdated(lock, _disk) == (), lock_path


@pytest.mark.parametrize(("text", "message", "line"), [
    ("version = 1\n[[package]\nname = 'x'\n", "is not valid TOML", 1),
    ("version = 2\n", "has format version 2", 0),
    ("revision = 3\n", "has no format version", 0),
    ("version = 1\n\n[[package]]\nname = 'a'\nversion = '1'\n\n[[package]]\nversion = '2'\n", "has no name", 6),
    ("version = 1\n[[package]]\nname = 'a'\ndependencies = [{ name = 'b', marker = 'python_version >>' }]\n",
     "marker is not valid", 3),
    ("version = 1\npackage = 3\n", "'package' is not an array of tables", 1),
])
def test_a_bad_lock_is_a_precise_error(tmp_path: Path, text: str, message: str, line: int) -> None:
    (tmp_path / "uv.lock").write_text(text, "utf-8")
    lock = read_lock(tmp_path / "uv.lock")
    assert lock.error is not None and message in lock.error.message
    assert lock.error.range.start.line == line
    assert select(lock, Target(marker_environment("3.11")), _disk).error is not None
    assert outdated(lock, _disk) == ()


FORKED = """version = 1
revision = 3
requires-python = ">=3.9"
resolution-markers = ["python_full_version >= '3.12'", "python_full_version < '3.12'"]

[[package]]
name = "app"
version = "0.1"
source = { virtual = "." }
dependencies = [
    { name = "numpy", version = "1.26.4", source = { registry = "https://i.org" }, marker = "python_version < '3.12'" },
    { name = "numpy", version = "2.1.0", source = { registry = "https://i.org" }, marker = "python_version >= '3.12'" },
    { name = "tools", extra = ["cli"] },
]

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tools"
version = "3.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
cli = [{ name = "click", marker = "sys_platform != 'emscripten'" }]

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "https://pypi.org/simple" }
"""


def test_a_forked_resolution_selects_the_entry_for_the_venvs_python(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(FORKED, "utf-8")
    lock = read_lock(tmp_path / "uv.lock")
    assert lock.error is None and len(lock.by_name("numpy")) == 2
    old = select(lock, Target(marker_environment("3.11.9")), _disk)
    new = select(lock, Target(marker_environment("3.13.0")), _disk)
    assert old.packages["numpy"].version == "1.26.4" and new.packages["numpy"].version == "2.1.0"
    # the virtual project itself is not installed, an extra's dependencies are
    assert "app" not in old.packages and "app" in old.own and "click" in old.packages


def test_markers_are_compared_by_meaning() -> None:
    python = SpecifierSet(">=3.9")
    assert same_marker(Marker("python_version >= '3.8'"), Marker("python_full_version >= '3.8'"), python)
    assert same_marker(Marker("python_version < '3.8'"), Marker("python_version < '3.7'"), python)  # both never
    assert same_marker(Marker("sys_platform == 'win32' and extra == 'x'"),
                       Marker("extra == 'x' and sys_platform == 'win32'"), python)
    assert not same_marker(Marker("sys_platform == 'win32'"), Marker("os_name == 'posix'"), python)
    assert not same_marker(Marker("python_version >= '3.10'"), None, python)


# --- the findings -----------------------------------------------------------------------------------------------



def test_not_synced_stands_on_the_declaration_once_and_stray_installs_are_named(project, wheels: Path) -> None:
    root = project({"pyproject.toml": PYPROJECT, "uv.lock": LOCK}, installs=("alpha==1.0", "stray"))
    found = findings(root)
    lock_codes = sorted((f["code"], f["package"]) for f in found if f["code"] in ("VS201", "VS202", "VS402", "VS403"))
    assert lock_codes == [("VS402", "alpha"), ("VS402", "beta"), ("VS403", "stray")]
    alpha = next(f for f in found if f["code"] == "VS402" and f["package"] == "alpha")
    assert alpha["file"] == "pyproject.toml" and alpha["range"]["start"]["line"] == 5
    assert "alpha 1.0 is installed; uv.lock has alpha 2.0" in str(alpha["message"])
    stray = next(f for f in found if f["code"] == "VS403")
    assert stray["file"] == "uv.lock" and stray["severity"] == "information"
    report = check_project(project_at(root))
    assert lock_state(report.lock, report.findings) == ("out-of-sync", 3)
    assert lock_state(None, report.findings) is None


def test_without_a_lock_the_declaration_rules_speak(project, wheels: Path) -> None:
    root = project({"pyproject.toml": PYPROJECT}, installs=("stray",))
    codes = sorted((f["code"], f["package"]) for f in findings(root) if f["code"].startswith(("VS20", "VS4")))
    assert codes == [("VS201", "alpha"), ("VS201", "beta")]


def test_an_unsaved_manifest_makes_the_lock_outdated_and_the_fixes_name_the_lock_actions(project, wheels: Path):
    root = project({"pyproject.toml": PYPROJECT, "uv.lock": LOCK}, installs=("alpha==2.0", "beta"))
    clean = check_project(project_at(root))
    assert [f.code for f in clean.findings if f.code.startswith("VS4")] == []
    assert lock_state(clean.lock, clean.findings) == ("synced", 0)
    edited = PYPROJECT.replace('"beta"]', '"beta", "gamma<2"]')
    report = check_project(project_at(root), overrides={root / "pyproject.toml": edited})
    [stale] = [f for f in report.findings if f.code == "VS401"]
    assert lock_state(report.lock, report.findings) == ("outdated", 0)
    assert "'gamma<2' is not in the lock's requirements" in stale.message and stale.range.start.line == 4
    fixes = finding_fixes(report, stale, trusted=True, text_of=_disk)
    assert [(fix.title, fix.command, fix.arguments) for fix in fixes] == [
        ("Update uv.lock and sync .venv", UPDATE_LOCK, {"sync": True}), ("Update uv.lock", UPDATE_LOCK, {})]
    assert finding_fixes(report, stale, trusted=False, text_of=_disk) == []


def test_the_sync_fix_is_offered_for_not_synced(project, wheels: Path) -> None:
    root = project({"pyproject.toml": PYPROJECT, "uv.lock": LOCK}, installs=("alpha==1.0", "beta"))
    report = check_project(project_at(root))
    [finding] = [f for f in report.findings if f.code == "VS402"]
    [fix] = finding_fixes(report, finding, trusted=True, text_of=_disk)
    assert (fix.title, fix.command, fix.preferred) == ("Sync .venv with uv.lock", SYNC_LOCK, True)
    assert finding_fixes(report, finding, trusted=False, text_of=_disk) == []


def test_a_bad_lock_is_one_invalid_declaration_in_it(project, wheels: Path) -> None:
    root = project({"pyproject.toml": PYPROJECT, "uv.lock": "version = 1\n[[package]]\nname = \n"},
                   installs=("alpha==2.0", "beta"))
    found = [f for f in findings(root) if f["file"] == "uv.lock" or f["code"].startswith("VS4")]
    assert [(f["code"], f["range"]["start"]["line"]) for f in found] == [("VS206", 3)]
    assert "not valid TOML" in str(found[0]["message"])


def test_show_deps_lists_the_lock(project, wheels: Path) -> None:
    root = project({"pyproject.toml": PYPROJECT, "uv.lock": LOCK}, installs=("alpha==2.0",))
    environ = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = subprocess.run([sys.executable, "-m", "venvsense", "show", "deps", str(root), "--lock", "--format",
                             "json"], capture_output=True, text=True, env=environ, check=True)
    [document] = json.loads(result.stdout)["projects"]
    lock = document["lock"]
    assert (lock["file"], lock["kind"], lock["error"]) == ("uv.lock", "uv", None)
    assert [(p["name"], p["version"], p["source"], p["line"], p["selected"]) for p in lock["packages"]] == [
        ("alpha", "2.0", "registry", 5, True), ("app", "0.1", "virtual", 10, False),
        ("beta", "1.0", "registry", 25, True)]
    text = subprocess.run([sys.executable, "-m", "venvsense", "show", "deps", str(root), "--lock"],
                          capture_output=True, text=True, env=environ, check=True, cwd=root).stdout
    assert "lock: uv.lock (uv, 3 packages)" in text and "alpha 2.0  uv.lock:5" in text
    assert "app 0.1  uv.lock:10  (virtual .)  [not for this venv]" in text


def test_without_a_venv_only_the_lock_itself_is_judged(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"pyproject.toml": PYPROJECT.replace('"beta"]', '"beta", "stray"]'),
                                  "uv.lock": LOCK})
    codes = sorted(f["code"] for f in findings(root))
    assert "VS101" in codes and codes.count("VS401") == 1 and "VS402" not in codes and "VS403" not in codes
