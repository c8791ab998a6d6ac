"""Issue 13, the walk: a folder unchanged since it was listed is not listed again (discovery, then the module
walk, reuse its listing for one ``stat``), and any change to it — an entry added, removed or renamed, the folder
replaced — is seen by the next walk; the files the walk gives are the same either way."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from support.projects import write
from venvsense.classify import project_files
from venvsense.model import find_projects
from venvsense.tree import entries, walk

SERVER = Path(__file__).resolve().parents[1] / "server"


def _settle(root: Path) -> None:
    """Date every folder under ``root`` an hour back: a settled tree, as a checkout is."""
    old = time.time() - 3600
    for folder, _, _ in os.walk(root):
        os.utime(folder, (old, old))


def test_an_unchanged_folder_is_listed_once(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a.py": "", "pkg/b.py": ""})
    _settle(root)
    first = entries(str(root))
    assert first is not None and first.files == ["a.py"] and first.folders == ["pkg"]
    assert entries(str(root)) is first  # the same listing, not a new one


def test_a_folder_changed_a_moment_ago_is_listed_each_time(tmp_path: Path) -> None:
    # within the file system's timestamp granularity a second change would not show: such a folder is not kept
    root = write(tmp_path / "p", {"a.py": ""})
    first = entries(str(root))
    assert first is not None and entries(str(root)) is not first


def test_every_change_to_a_folder_is_seen(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"requirements.txt": "", "a.py": "", "pkg/b.py": "", "other/c.py": ""})
    _settle(root)
    assert [p.relative_to(root).as_posix() for p in project_files(root)] == ["a.py", "other/c.py", "pkg/b.py"]
    (root / "new.py").write_text("")  # added
    (root / "pkg" / "b.py").rename(root / "pkg" / "renamed.py")  # renamed
    (root / "other" / "c.py").unlink()  # removed
    assert [p.relative_to(root).as_posix() for p in project_files(root)] == ["a.py", "new.py", "pkg/renamed.py"]


def test_a_folder_replaced_with_the_same_mtime_is_listed_again(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"pkg/a.py": "", "next/b.py": ""})
    _settle(root)
    before = entries(str(root / "pkg"))
    assert before is not None and before.files == ["a.py"]
    stamp = os.stat(root / "pkg").st_mtime_ns
    os.rename(root / "pkg", root / "gone")
    os.rename(root / "next", root / "pkg")  # another folder (another inode) in its place, dated the same
    os.utime(root / "pkg", ns=(stamp, stamp))
    after = entries(str(root / "pkg"))
    assert after is not None and after.files == ["b.py"]


def test_discovery_then_the_module_walk_give_what_fresh_walks_give(tmp_path: Path) -> None:
    workspace = write(tmp_path / "ws", {
        "one/pyproject.toml": "[project]\nname = 'one'\n", "one/src/one/__init__.py": "import requests\n",
        "one/.gitignore": "generated/\n", "one/generated/g.py": "", "two/requirements.txt": "", "two/t.py": "",
        "two/nested/setup.py": "", "two/nested/n.py": "", "loose/script.py": "import yaml\n",
    })
    fresh = {project.root: project_files(project.root) for project in find_projects(workspace)}
    _settle(workspace)
    projects = find_projects(workspace)  # lists every folder; the module walks below reuse the listings
    assert {project.root: project_files(project.root) for project in projects} == fresh
    assert sorted(p.relative_to(workspace).as_posix() for files in fresh.values() for p in files) == [
        "loose/script.py", "one/src/one/__init__.py", "two/nested/n.py", "two/nested/setup.py", "two/t.py"]
    assert all(type(path) is type(workspace) for files in fresh.values() for path in files)


def test_a_reused_listing_still_raises_the_scandir_audit_event(tmp_path: Path) -> None:
    # what learns the folders a check read from the "os.scandir" audit event (the CLI's memo) learns them all
    root = write(tmp_path / "p", {"a.py": "", "pkg/b.py": "", "pkg/sub/c.py": ""})
    _settle(root)
    script = (
        "import sys\n"
        "from venvsense.tree import walk\n"
        "seen = []\n"
        "sys.addaudithook(lambda event, args: seen.append(str(args[0])) if event == 'os.scandir' else None)\n"
        "for _ in range(2):\n"
        "    seen.clear()\n"
        "    print(sorted(listing.relative for listing in walk(sys.argv[1], ignore_rules=False)), len(seen))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SERVER)}, timeout=60).stdout.splitlines()
    assert out == ["['', 'pkg/', 'pkg/sub/'] 3", "['', 'pkg/', 'pkg/sub/'] 3"]


def test_a_walk_never_changes_a_shared_listing(tmp_path: Path) -> None:
    root = write(tmp_path / "p", {"a.py": "", "pkg/b.py": "", "skip/c.py": ""})
    _settle(root)
    for listing in walk(root):
        listing.folders.clear()  # pruning, as discovery does
    listed = entries(str(root))
    assert listed is not None and listed.folders == ["pkg", "skip"]
    assert [listing.relative for listing in walk(root)] == ["", "pkg/", "skip/"]
