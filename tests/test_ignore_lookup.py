"""Issue 13, the walk: the ignore rules' lookups (names, suffixes, prefixes, spellings, literal paths, path
patterns tried only where they can match) answer what ``git check-ignore`` answers on a tree built from the
patterns of real templates (GitHub's VisualStudio and Python ``.gitignore`` files), both one entry at a time and a
folder's entries at once (what the walk asks)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_ignore import _git
from venvsense.ignore import IgnoreFile
from venvsense.tree import walk

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

# excerpts of real templates, and the forms each lookup takes
RULES = """\
*.rsuser
*.suo
mono_crash.*
[Dd]ebug/
[Rr]elease/
x64/
[Bb]in/
[Ww][Ii][Nn]32/
[Tt]est[Rr]esult*/
[Bb]uild[Ll]og.*
*_i.c
*.[Cc]ache
!?*.[Cc]ache/
*.py[cod]
*$py.class
.venv*
__pycache__/
coverage*.json
UpgradeLog*.XML
*.mm.*
*tmp_code_*
.*crunch*.local.xml
*- [Bb]ackup ([0-9]).rdl
*- [Bb]ackup ([0-9][0-9]).rdl
**/[Pp]ackages/*
!**/[Pp]ackages/build/
**/*.Server/ModelManifest.xml
.config/*
!.config/settings.json
DocProject/Help/*.HxT
DocProject/Help/Html2
/site
/static/
docs/_build/
share/python-wheels/
**/node_stuff
*\\.egg*
local_settings.py
!keep_settings.py
*settings.py
data[0-9].csv
[!x]y.txt
*~
"""

FILES = [
    "a.rsuser", "src/b.suo", "mono_crash.1.dmp", "mono_crash", "Debug/x.dll", "debug/y.dll", "src/Debug/z",
    "DEBUG/z", "Release/r", "x64/a", "bin/a", "Bin/b", "BIN/c", "Win32/w", "wIN32/w", "WIN32/w", "TestResults/t",
    "testresult_old/t", "BuildLog.htm", "buildlog.txt", "BUILDLOG.txt", "lib_i.c", "_i.c", "x.cache", "x.Cache",
    "x.CACHE", "dir.cache/f", ".cache/f", "m.pyc", "m.pyo", "m.pyd", "m.pyx", "m.py", "m$py.class", ".venv",
    ".venv3/lib.py", "venv/x.py", "pkg/__pycache__/m.pyc", "__pycache__", "coverage.json", "coverage-final.json",
    "coverage.xml", "UpgradeLog.XML", "UpgradeLog2.XML", "UpgradeLog.xml", "a.mm.b", "a.mm", "my_tmp_code_x.py",
    "tmp_code_.py", ".ncrunch.local.xml", "x.crunch.local.xml", "f- Backup (1).rdl", "f- backup (12).rdl",
    "f- Backup (x).rdl", "packages/p", "src/Packages/q", "packages/build/keep", "Packages/build/b",
    "a.Server/ModelManifest.xml", "deep/b.Server/ModelManifest.xml", "a.Server/Other.xml", ".config/settings.json",
    ".config/launch.json", "DocProject/Help/a.HxT", "DocProject/Help/a.hxt", "DocProject/Help/Html2",
    "src/DocProject/Help/Html2", "site", "src/site", "static/s.css", "src/static/s.css", "docs/_build/i.html",
    "src/docs/_build/i.html", "share/python-wheels/w.whl", "node_stuff", "x/y/node_stuff", "pkg.egg-info/PKG",
    "a.egg", "eggs.py", "local_settings.py", "keep_settings.py", "other_settings.py", "settings.py",
    "src/settings_x.py", "src/settings.py", "data1.csv", "data10.csv", "ay.txt", "xy.txt", "notes.txt~",
    "plain.py", "src/app.py",
]


def _tree(root: Path) -> Path:
    for name in FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n", encoding="utf-8")
    (root / ".gitignore").write_text(RULES, encoding="utf-8")
    (root / "src" / ".gitignore").write_text("!settings.py\n*.py[cod]\n/app.py\n", encoding="utf-8")
    _git(root, "init", "--quiet")
    return root


def _all_entries(root: Path) -> list[tuple[str, bool]]:
    """Every path under ``root`` but ``.git``'s, with whether it is a folder."""
    return sorted((path.relative_to(root).as_posix(), path.is_dir()) for path in root.rglob("*")
                  if ".git" not in path.relative_to(root).parts[:1])


def test_the_walk_lists_what_git_lists(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    expected = sorted(_git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0")[:-1])
    walked = sorted(listing.relative + name for listing in walk(root) for name in listing.kept_files(listing.files))
    assert walked == expected
    # the tree exercises the lookups: each kind both ignores and keeps something
    for kept in ("m.py", "DEBUG/z", "BIN/c", "UpgradeLog.xml", "a.mm", "packages/build/keep", "xy.txt",
                 ".config/settings.json", "src/settings.py", "DocProject/Help/a.hxt"):
        assert kept in expected, kept
    for ignored in ("m.pyc", "debug/y.dll", "wIN32/w", "buildlog.txt", "x.Cache", "coverage-final.json",
                    "my_tmp_code_x.py", "f- backup (12).rdl", "src/Packages/q", "deep/b.Server/ModelManifest.xml",
                    "site", "static/s.css", "x/y/node_stuff", "pkg.egg-info/PKG", "other_settings.py",
                    "keep_settings.py", "src/app.py", "notes.txt~"):
        assert ignored not in expected, ignored


def test_every_verdict_one_at_a_time_and_by_folder_is_git_check_ignore_s(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    entries = _all_entries(root)
    out = _git(root, "check-ignore", "--stdin", "-z", "--no-index",
               stdin="\0".join(path for path, _ in entries) + "\0")
    by_git = set(out.split("\0")[:-1])
    rules = IgnoreFile(RULES.splitlines())
    inner = IgnoreFile((root / "src" / ".gitignore").read_text().splitlines())
    wrong: dict[str, tuple[bool, bool]] = {}
    for path, is_folder in entries:
        folder, _, name = path.rpartition("/")
        folder = folder + "/" if folder else ""
        ancestors = [path[:index] for index in range(len(path)) if path[index] == "/"]
        if any(ancestor in by_git for ancestor in ancestors):
            continue  # git answers for what is under an ignored folder; the walk never goes there
        one = rules.verdict(path, name, is_folder)
        batch = rules.verdicts(folder, [name, "unrelated.name"], is_folder)[0]
        assert one == batch, path
        if path.startswith("src/"):
            deeper = inner.verdict(path[4:], name, is_folder)
            assert deeper == inner.verdicts(folder[4:], [name], is_folder)[0], path
            one = deeper if deeper is not None else one
        if bool(one) != (path in by_git):
            wrong[path] = (bool(one), path in by_git)
    assert not wrong, wrong
    assert len(by_git) >= 40


def test_many_names_one_folder_at_once_agree_with_one_at_a_time() -> None:
    rules = IgnoreFile(RULES.splitlines())
    names = [path.rpartition("/")[2] for path in FILES] + ["Debug", "WIN32", "x.Cache", "build"]
    for folder in ("", "src/", "DocProject/Help/", ".config/", "a/packages/", "x/y/"):
        for is_folder in (False, True):
            assert rules.verdicts(folder, names, is_folder) == [
                rules.verdict(folder + name, name, is_folder) for name in names], (folder, is_folder)


def test_a_pattern_with_many_spellings_is_still_exact() -> None:
    # 10 x 10 spellings: more than are looked up one by one; the expression answers
    rules = IgnoreFile(["[0-9][0-9]-out/", "![a-c]*.keep", "*.keep"])
    assert rules.verdict("42-out", "42-out", True) is True
    assert rules.verdict("4x-out", "4x-out", True) is None
    assert rules.verdict("42-out", "42-out", False) is None
    assert rules.verdict("a.keep", "a.keep", False) is True  # the later *.keep wins over the re-inclusion
    assert rules.verdict("z.keep", "z.keep", False) is True
